"""Page figures at the scale of a trust (`manage.py bench --scale trust`): 50 schools of 10,000
posts and 500 pupils each, and every page a member of staff opens, measured for ONE school in
the middle of them, as a ratio to /healthz timed in the same run.

The data is committed, so the database plans with real statistics, which a rolled-back
transaction never gives it. It goes into a scratch database of its own, named after the
configured one with `_bench_trust` on the end (on SQLite, a file beside it), which a child
process (`manage.py bench_trust_run`) migrates, fills, ANALYZEs and measures with DATABASE_URL
pointing at it: the portal's own database is never opened for writing. The scratch database is
dropped afterwards, unless `--reuse` keeps it for the next run with the same scale (building
500,000 posts takes minutes; a marker says what was built and when).

The child runs with DEBUG off and its own in-memory cache, so the pages cost what they cost in
production rather than what a debug run or a shared cache makes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from .trust_data import TrustScale

SCRATCH_SUFFIX = "_bench_trust"
# Bump when the data set changes shape, so --reuse does not measure yesterday's shape.
DATA_VERSION = 1
REUSE_FOR = timedelta(days=1)


def bench_trust(*, scale: TrustScale, repeats: int, reuse: bool, log: Callable[[str], None]) -> dict:
    """Build (or reuse) the scratch database, measure in a child process, then drop it unless
    told to keep it. Returns the child's figures, with how the database was got."""
    scratch = ScratchDatabase.for_configured_database()
    marker = _marker(scale)
    reused = reuse and scratch.marker_matches(marker)
    if not reused:
        scratch.recreate()
    log(f"{'Reusing' if reused else 'Building'} the trust data set in {scratch.label} ({_describe(scale)})")
    try:
        figures = _run_child(scratch, scale=scale, repeats=repeats, build=not reused, log=log)
        if not reused and "error" not in figures:
            scratch.write_marker(marker)
    finally:
        if not reuse:
            scratch.drop()
    figures["database"] = {
        "vendor": scratch.vendor,
        "name": scratch.label,
        "reused": reused,
        "kept": reuse,
    }
    return figures


def _describe(scale: TrustScale) -> str:
    return f"{scale.schools} schools, {scale.posts_per_school:,} posts and {scale.pupils_per_school:,} pupils each"


def _marker(scale: TrustScale) -> dict:
    return {"scale": scale.as_dict(), "data_version": DATA_VERSION, "built_at": datetime.now(UTC).isoformat()}


def _run_child(scratch: ScratchDatabase, *, scale: TrustScale, repeats: int, build: bool, log) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "policy_portal.settings",
        "DATABASE_URL": scratch.url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + uuid.uuid4().hex,
        # The same key as the portal's: a reused database's encrypted fields must still read.
        "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": "testserver",
        "CACHE_URL": "locmemcache://",
        "EMAIL_URL": "dummymail://",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "ERROR",
    }
    command = [
        sys.executable,
        "manage.py",
        "bench_trust_run",
        "--schools",
        str(scale.schools),
        "--posts-per-school",
        str(scale.posts_per_school),
        "--pupils-per-school",
        str(scale.pupils_per_school),
        "--repeats",
        str(repeats),
    ]
    if build:
        command.append("--build")
    child = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    last_lines: list[str] = []
    relay = threading.Thread(target=_relay, args=(child.stderr, log, last_lines), daemon=True)
    relay.start()
    output = child.stdout.read()
    child.wait()
    relay.join(timeout=5)
    if child.returncode != 0:
        return {"error": f"bench_trust_run stopped (exit {child.returncode})", "last_lines": last_lines[-15:]}
    return json.loads(output.strip().splitlines()[-1])


def _relay(stream, log, last_lines: list[str]) -> None:
    """Pass the child's progress on as it comes, and keep the end of it for an error report."""
    for line in stream:
        line = line.rstrip("\n")
        log(line)
        last_lines.append(line)
        del last_lines[:-40]


class ScratchDatabase:
    """The scratch database beside the configured one: how to reach, (re)create, mark and drop it."""

    def __init__(self, *, vendor: str, name: str, url: str):
        self.vendor, self.name, self.url = vendor, name, url

    @classmethod
    def for_configured_database(cls) -> ScratchDatabase:
        configured = connection.settings_dict
        if connection.vendor == "postgresql":
            name = f"{configured['NAME']}{SCRATCH_SUFFIX}"
            credentials = quote(configured.get("USER") or "", safe="")
            if configured.get("PASSWORD"):
                credentials += ":" + quote(configured["PASSWORD"], safe="")
            host = configured.get("HOST") or "localhost"
            port = f":{configured['PORT']}" if configured.get("PORT") else ""
            url = f"postgres://{credentials}@{host}{port}/{quote(name, safe='')}"
            return cls(vendor="postgresql", name=name, url=url)
        if connection.vendor == "sqlite":
            configured_path = Path(str(configured["NAME"]))
            folder = configured_path.parent if configured_path.is_absolute() else Path(settings.VAR_DIR)
            path = folder / f"{configured_path.stem}{SCRATCH_SUFFIX}.sqlite3"
            return cls(vendor="sqlite", name=str(path), url=f"sqlite:///{path}")
        raise RuntimeError(f"The trust bench runs on PostgreSQL or SQLite, not {connection.vendor}.")

    @property
    def label(self) -> str:
        return self.name if self.vendor == "postgresql" else Path(self.name).name

    # PostgreSQL: the server's maintenance database answers for the scratch one, and the marker
    # is the scratch database's comment, so reading it needs no connection to the database itself.

    def recreate(self) -> None:
        self.drop()
        if self.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(self.name)}")

    def drop(self) -> None:
        if self.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(self.name)} WITH (FORCE)")
            return
        for suffix in ("", "-wal", "-shm", ".json"):
            Path(self.name + suffix).unlink(missing_ok=True)

    def marker_matches(self, wanted: dict) -> bool:
        found = self._read_marker()
        if not found:
            return False
        try:
            built_at = datetime.fromisoformat(found["built_at"])
        except (KeyError, TypeError, ValueError):
            return False
        return (
            found.get("scale") == wanted["scale"]
            and found.get("data_version") == wanted["data_version"]
            and datetime.now(UTC) - built_at < REUSE_FOR
        )

    def write_marker(self, marker: dict) -> None:
        text = json.dumps(marker)
        if self.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                literal = "'" + text.replace("'", "''") + "'"
                cursor.execute(f"COMMENT ON DATABASE {connection.ops.quote_name(self.name)} IS {literal}")
            return
        Path(self.name + ".json").write_text(text)

    def _read_marker(self) -> dict | None:
        if self.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [self.name]
                )
                row = cursor.fetchone()
            text = row[0] if row else None
        else:
            marker = Path(self.name + ".json")
            text = marker.read_text() if marker.exists() and Path(self.name).exists() else None
        try:
            return json.loads(text) if text else None
        except ValueError:
            return None


def run_in_scratch_database(*, scale: TrustScale, repeats: int, build: bool, log) -> dict:
    """The child's work: migrate, fill (unless reusing), gather statistics, measure."""
    from django.core.management import call_command

    from . import trust_data, trust_pages

    if not str(connection.settings_dict["NAME"]).endswith((SCRATCH_SUFFIX, f"{SCRATCH_SUFFIX}.sqlite3")):
        raise RuntimeError(
            "bench_trust_run only runs on the scratch database `manage.py bench --scale trust` gives it."
        )
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = round(time.perf_counter() - started, 1)
    log(f"migrated ({migrate_s} s)")
    if build:
        built = trust_data.build(scale, log=log)
    else:
        trust_data.analyze()
        built = {"seconds": 0, "rows": trust_data.row_counts(), "reused": True}
    built["migrate_s"] = migrate_s
    log("measuring the pages")
    return {"scale": scale.as_dict(), "build": built, **trust_pages.measure(scale=scale, repeats=repeats)}
