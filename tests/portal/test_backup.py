"""`manage.py backup` and `restore`: a school's posts, photos, consent and audit trail, backed up
and restored into a brand-new empty database (PostgreSQL: a new database on the same server;
SQLite: a new file) and a new empty media folder, where every one of them is found again."""

import io
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from audit.models import AuditEvent
from consent.models import ConsentRecord
from networks.local.models import LocalNetworkMedia
from posts import faces, services
from posts.models import Post, PostImage, PostStatus
from tests.posts.conftest import make_post, pupils  # noqa: F401 (the post tests' fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def no_faces(monkeypatch):
    monkeypatch.setattr(faces, "_detect_raw", lambda grey: [])


def _jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def school_with_history(staff, make_post, pupils):  # noqa: F811 (the imported fixtures)
    """Posts published (with photos, so the local network keeps its own copies too), one still a
    draft with a photo, consent records, and the audit entries all of that wrote."""
    for n, colour in enumerate([(200, 40, 40), (40, 160, 60)]):
        post = make_post(f"Week {n + 1}: Year 3 painted the school garden mural.")
        services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(colour), alt_text=f"Mural, part {n + 1}")
        services.post_submit(actor=staff.teacher, post=post)
        services.post_approve(actor=staff.head, post=post)  # published at once: the tests run tasks eagerly
    draft = make_post("Draft: our next trip.")
    services.post_add_image(actor=staff.teacher, post=draft, data=_jpeg((20, 20, 200)), alt_text="The coach")
    assert Post.objects.filter(status=PostStatus.PUBLISHED).count() == 2
    assert LocalNetworkMedia.objects.count() == 2
    assert ConsentRecord.objects.exists() and AuditEvent.objects.count() > 5


@pytest.fixture
def empty_database():
    """A brand-new database of the suite's kind, and the DATABASE_URL that names it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        path = Path(settings.VAR_DIR) / f"restored-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path)
        path.unlink(missing_ok=True)
        return
    import psycopg

    name = f"{db['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"
    yield url, lambda: psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(*arguments, database_url: str, media_root: Path) -> subprocess.CompletedProcess:
    """A manage.py command in a process of its own, on the new database and media folder."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "policy_portal.settings_test",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def _rows(connect, model, *columns: str) -> set[tuple]:
    """The model's rows in the restored database, read with plain SQL (not through Django,
    whose connection is the suite's database)."""
    return _sql(connect, f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")  # noqa: S608 - our names


def _sql(connect, statement: str) -> set[tuple]:
    db = connect()
    try:
        return {tuple(row) for row in db.execute(statement).fetchall()}
    finally:
        db.close()


def test_a_restored_backup_has_every_post_photo_consent_record_and_audit_entry(
    school_with_history, empty_database, media_root, tmp_path
):
    url, connect = empty_database
    backup = tmp_path / "backup"
    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)

    media_files = sorted(p for p in media_root.rglob("*") if p.is_file())
    assert len(media_files) == 3 * 3 + 2  # three copies of each photo, and the local network's two
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["tables"]["posts_post"] == 3
    assert manifest["tables"]["audit_auditevent"] == AuditEvent.objects.count()
    assert len(manifest["media"]) == len(media_files)
    assert f"and {len(media_files)} media files" in out.getvalue()

    new_media = tmp_path / "new-media"
    restored = _manage("restore", str(backup), database_url=url, media_root=new_media)

    assert restored.returncode == 0, restored.stderr
    assert "every count and checksum matches the backup" in restored.stdout
    assert _rows(connect, Post, "id", "text", "status") == set(Post.objects.values_list("id", "text", "status"))
    audit = ("id", "action", "target_id", "school_id")
    assert _rows(connect, AuditEvent, *audit) == set(AuditEvent.objects.values_list(*audit))
    consent = ("id", "pupil_id", "decision")
    assert _rows(connect, ConsentRecord, *consent) == set(ConsentRecord.objects.values_list(*consent))
    photos = _rows(connect, PostImage, "original", "rendition", "thumbnail")
    assert photos == set(PostImage.objects.values_list("original", "rendition", "thumbnail"))
    for name in {name for row in photos for name in row}:
        assert (new_media / name).read_bytes() == (media_root / name).read_bytes()
    for original in media_files:
        assert (new_media / original.relative_to(media_root)).read_bytes() == original.read_bytes()

    # The restored database is the portal's, at its current migrations, and its audit trail is
    # still append-only.
    check = _manage("migrate", "--check", database_url=url, media_root=new_media)
    assert check.returncode == 0, check.stdout + check.stderr
    # Refused by the triggers (through another program than the portal, SQLite's triggers cannot
    # even find the portal's maintenance door, and refuse for that reason).
    refused = "audit entries are append-only|no such function: portal_audit_maintenance"
    with pytest.raises(Exception, match=refused):
        _sql(connect, f"UPDATE {AuditEvent._meta.db_table} SET action = 'changed'")  # noqa: S608 - our names
    with pytest.raises(Exception, match=refused):
        _sql(connect, f"DELETE FROM {AuditEvent._meta.db_table}")  # noqa: S608 - our names
    assert "whole" in restored.stdout


def test_a_restore_into_a_database_that_has_tables_is_refused(school_with_history, tmp_path):
    call_command("backup", str(tmp_path / "backup"))
    posts_before = Post.objects.count()

    with pytest.raises(CommandError) as refusal:
        call_command("restore", str(tmp_path / "backup"))

    tables = len(connection.introspection.table_names())
    assert f"is not empty: it has {tables} tables" in str(refusal.value)
    assert "Create a new database" in str(refusal.value)
    assert Post.objects.count() == posts_before


def test_a_damaged_backup_is_refused_before_anything_is_written(school_with_history, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    photo = next(p for p in (backup / "media").rglob("*.jpg"))
    photo.write_bytes(photo.read_bytes()[:100])
    manifest = json.loads((backup / "manifest.json").read_text())

    with pytest.raises(CommandError) as refusal:
        call_command("restore", str(backup))

    total = len(manifest["media"]) + 1
    assert f"is damaged (1 of its {total} files: " in str(refusal.value)
    assert "has changed since the backup was made" in str(refusal.value)


def test_a_backup_never_writes_over_an_earlier_one(school_with_history, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    before = (backup / "manifest.json").read_bytes()

    with pytest.raises(CommandError, match="already exists and is not an empty folder"):
        call_command("backup", str(backup))
    assert (backup / "manifest.json").read_bytes() == before
