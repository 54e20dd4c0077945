"""Backing up the portal and restoring it: the database and every media file, with a manifest.

A backup is one folder:

- the database: `database.pgdump` (pg_dump's custom format) on PostgreSQL, `database.sqlite3`
  (SQLite's online backup API, safe while the portal runs) on SQLite;
- `media/`: every file of the media storage, read through the storage API, so a local disk and
  an S3 bucket are backed up the same way;
- `manifest.json`: the rows in each table and each media file's size and SHA-256.

On PostgreSQL the rows are counted in the very snapshot pg_dump writes (`--snapshot`), so the
counts are those of the dump even while the portal keeps working. The media are copied after
the database, so every file a row names is there unless it was deleted in between (a photo
removed, an original past its retention time).

A restore goes only into an empty database (no tables at all) and an empty media storage, so it
never mixes two schools' histories or overwrites anything; it checks the backup's checksums
before it starts and the restored counts against the manifest when it ends. Inserting into an
empty database is what the audit trail's triggers allow: they refuse changes and removals, and
pg_restore creates them only after the rows are in.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

MANIFEST = "manifest.json"
MEDIA_FOLDER = "media"
FORMAT = 1
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupSummary:
    folder: Path
    tables: int
    rows: int
    media_files: int
    media_bytes: int


# --- Backup -----------------------------------------------------------------------------------


def backup_create(*, destination: Path, storage=default_storage) -> BackupSummary:
    """Write a backup of the database and the media storage into `destination`, a new or empty folder."""
    destination = Path(destination)
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(
            f"{destination} already exists and is not an empty folder. Give a new folder for each backup, "
            "so an older backup is never overwritten."
        )
    destination.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    dump = destination / DUMP_FILES[engine]
    tables = _dump_postgresql(dump) if engine == "postgresql" else _dump_sqlite(dump)
    media = _copy_media_out(storage, destination / MEDIA_FOLDER)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"engine": engine, "file": dump.name, "bytes": dump.stat().st_size, "sha256": _sha256(dump)},
        "tables": tables,
        "media": media,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return BackupSummary(
        folder=destination,
        tables=len(tables),
        rows=sum(tables.values()),
        media_files=len(media),
        media_bytes=sum(entry["bytes"] for entry in media.values()),
    )


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DUMP_FILES:
        raise BackupError(f"Backups work on PostgreSQL and SQLite; this database is {vendor}.")
    return vendor


def _dump_postgresql(dump: Path) -> dict[str, int]:
    """pg_dump in the snapshot the rows are counted in, so the manifest describes the dump exactly."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            tables = _count_rows(cursor, connection.introspection.table_names(cursor))
        _run(
            _postgres_program("pg_dump"),
            "--format=custom",
            f"--snapshot={snapshot}",
            f"--file={dump}",
            f"--dbname={connection.settings_dict['NAME']}",
        )
    return tables


def _dump_sqlite(dump: Path) -> dict[str, int]:
    """SQLite's online backup API: a consistent copy even while the portal writes. The rows are
    counted in the copy, which is what the manifest describes."""
    source = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=ro", uri=True)
    copy = sqlite3.connect(dump)
    try:
        source.backup(copy)
        cursor = copy.cursor()
        names = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return _count_rows(cursor, [name for name in names if not name.startswith("sqlite_")])
    finally:
        copy.close()
        source.close()


def _count_rows(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


def _copy_media_out(storage, folder: Path) -> dict[str, dict]:
    files = {}
    for name in sorted(_storage_files(storage)):
        target = folder / Path(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as source, target.open("wb") as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        files[name] = {"bytes": size, "sha256": digest.hexdigest()}
    return files


def _storage_files(storage, path: str = ""):
    """Every file's name in the storage, through listdir (a missing media folder holds none)."""
    try:
        folders, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(path, name) if path else name
    for name in folders:
        yield from _storage_files(storage, posixpath.join(path, name) if path else name)


# --- Restore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    tables: int
    rows: int
    media_files: int
    media_bytes: int


def backup_restore(*, source: Path, storage=default_storage) -> RestoreSummary:
    """Restore the backup in `source` into this (empty) database and (empty) media storage,
    then check every count and checksum against the manifest."""
    source = Path(source)
    manifest = _read_manifest(source)
    engine = _engine()
    if manifest["database"]["engine"] != engine:
        backed_up = _engine_name(manifest["database"]["engine"])
        raise BackupError(
            f"This backup is of a {backed_up} database and the portal is set up for {_engine_name(engine)}. "
            f"Point DATABASE_URL at a new, empty {backed_up} database and run the restore again."
        )
    _check_backup_files(source, manifest)
    _check_empty(storage)

    dump = source / manifest["database"]["file"]
    if engine == "postgresql":
        _restore_postgresql(dump)
    else:
        _restore_sqlite(dump)
    for name in manifest["media"]:
        _copy_media_in(storage, name, source / MEDIA_FOLDER / Path(*name.split("/")))

    _check_restored(storage, manifest)
    # The audit trail's own check: every school's chain whole after the journey (it exits non-zero
    # and names the first break otherwise).
    call_command("audit_verify")
    return RestoreSummary(
        tables=len(manifest["tables"]),
        rows=sum(manifest["tables"].values()),
        media_files=len(manifest["media"]),
        media_bytes=sum(entry["bytes"] for entry in manifest["media"].values()),
    )


def _engine_name(engine: str) -> str:
    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(engine, engine)


def _read_manifest(source: Path) -> dict:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a backup folder: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text())
    except ValueError as exc:
        raise BackupError(f"{path} is damaged (it is not readable JSON), so nothing was restored.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is in backup format {manifest.get('format')!r}; this portal reads format {FORMAT}.")
    return manifest


def _check_backup_files(source: Path, manifest: dict) -> None:
    """Every file the manifest lists is there and unchanged, before anything is written."""
    expected = {manifest["database"]["file"]: manifest["database"]}
    expected.update({f"{MEDIA_FOLDER}/{name}": entry for name, entry in manifest["media"].items()})
    damaged = []
    for relative, entry in expected.items():
        path = source / Path(*relative.split("/"))
        if not path.is_file():
            damaged.append(f"{relative} is missing")
        elif path.stat().st_size != entry["bytes"] or _sha256(path) != entry["sha256"]:
            damaged.append(f"{relative} has changed since the backup was made")
    if damaged:
        shown = "; ".join(damaged[:5]) + (f"; and {len(damaged) - 5} more" if len(damaged) > 5 else "")
        raise BackupError(
            f"The backup in {source} is damaged ({len(damaged)} of its {len(expected)} files: {shown}). "
            "Nothing was restored. Use another copy of the backup."
        )


def _check_empty(storage) -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty: it has {len(tables)} tables. A restore "
            "goes only into a new, empty database, so nothing in it is overwritten or mixed with the backup. "
            "Create a new database, point DATABASE_URL at it, and run the restore without running migrate first."
        )
    stored = sum(1 for _ in _storage_files(storage))
    if stored:
        raise BackupError(
            f"The media storage already holds {stored} files. A restore goes only into an empty media storage "
            "(a new MEDIA_ROOT folder, or a new bucket), so no photo is overwritten."
        )


def _restore_postgresql(dump: Path) -> None:
    # One transaction: a restore that fails leaves the database empty, ready for another try.
    # The audit trail's triggers are created after its rows are in, as pg_dump orders them.
    _run(
        _postgres_program("pg_restore"),
        "--exit-on-error",
        "--single-transaction",
        "--no-owner",
        "--no-privileges",
        f"--dbname={connection.settings_dict['NAME']}",
        str(dump),
    )


def _restore_sqlite(dump: Path) -> None:
    connection.close()
    backup = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    target = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        backup.backup(target)
    finally:
        target.close()
        backup.close()


def _copy_media_in(storage, name: str, path: Path) -> None:
    with path.open("rb") as source:
        saved = storage.save(name, File(source, name=name))
    if saved != name:
        raise BackupError(f"The media storage kept {name} as {saved}; restore into an empty media storage.")


def _check_restored(storage, manifest: dict) -> None:
    connection.close()  # a fresh connection sees the restored database
    with connection.cursor() as cursor:
        restored = _count_rows(cursor, manifest["tables"])
    wrong = [
        f"{table}: {restored.get(table, 0)} rows, the backup had {count}"
        for table, count in manifest["tables"].items()
        if restored.get(table, 0) != count
    ]
    for name, entry in manifest["media"].items():
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as stored:
            for chunk in iter(lambda: stored.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != entry["sha256"]:
            wrong.append(f"media file {name}: {size} bytes that differ from the backup's {entry['bytes']}")
    if wrong:
        raise BackupError(
            f"The restore finished but {len(wrong)} checks against the backup failed: "
            + "; ".join(wrong[:10])
            + ". Do not use this database; restore again into a new, empty one."
        )


# --- Helpers ----------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _postgres_program(name: str) -> str:
    folder = settings.POSTGRES_BIN_DIR
    program = str(Path(folder) / name) if folder else shutil.which(name)
    if not program or not Path(program).exists():
        raise BackupError(
            f"{name} was not found{f' in {folder}' if folder else ' on the PATH'}. Install PostgreSQL's client "
            "programs (apt-get install postgresql-client) or set POSTGRES_BIN_DIR to their folder."
        )
    return program


def _run(program: str, *arguments: str) -> None:
    """A PostgreSQL program, connected as the portal is (password in the environment, not on the command line)."""
    db = connection.settings_dict
    env = {**os.environ}
    for key, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", str(db.get("PORT") or "")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGSSLMODE", (db.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[key] = value
    result = subprocess.run([program, *arguments], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(program).name} failed: {result.stderr.strip()[-2000:]}")
