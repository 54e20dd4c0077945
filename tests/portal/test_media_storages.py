"""Where media lives (policy_portal/storage.py, issue 16): the settings that choose the local disk
or S3-compatible object storage, and the helper that lists and copies every stored file through
the storage API, for backups."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.urls import reverse
from PIL import Image

from policy_portal.storage import copy_stored_files, media_storages, stored_files
from posts import services

BASE_DIR = Path(django_settings.BASE_DIR)


def _storages_from(env: dict) -> dict:
    """STORAGES as a fresh process builds them from this environment."""
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({k: [v['BACKEND'], {o: str(x) for o, x in v.get('OPTIONS', {}).items()}]"
        " for k, v in settings.STORAGES.items()}))"
    )
    keep = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "MEDIA_"))}
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        env={**keep, "DJANGO_SETTINGS_MODULE": "policy_portal.settings", "DEBUG": "true", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_nothing_set_media_stays_on_the_local_disk():
    found = _storages_from({})

    assert found["default"][0] == found["private"][0] == "django.core.files.storage.FileSystemStorage"


def test_a_bucket_name_puts_media_in_object_storage_with_private_links_only():
    found = _storages_from(
        {
            "AWS_STORAGE_BUCKET_NAME": "oak-media",
            "AWS_PRIVATE_BUCKET_NAME": "oak-private",
            "AWS_S3_ENDPOINT_URL": "http://minio:9000",
            "AWS_S3_ADDRESSING_STYLE": "path",
            "MEDIA_SIGNED_LINK_SECONDS": "120",
        }
    )

    for alias, bucket, location in (("default", "oak-media", "media"), ("private", "oak-private", "private")):
        backend, options = found[alias]
        assert backend == "storages.backends.s3.S3Storage"
        assert (options["bucket_name"], options["location"]) == (bucket, location)
        assert options["endpoint_url"] == "http://minio:9000" and options["addressing_style"] == "path"
        assert options["default_acl"] == "None" and options["querystring_auth"] == "True"
        assert options["querystring_expire"] == "120"


def test_one_bucket_serves_both_storages_under_separate_prefixes():
    found = _storages_from({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "oak"})

    assert [found[alias][1]["bucket_name"] for alias in ("default", "private")] == ["oak", "oak"]
    assert [found[alias][1]["location"] for alias in ("default", "private")] == ["media", "private"]


def test_s3_without_a_bucket_stops_at_start_up_with_the_reason():
    script = "import django; django.setup()"
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "policy_portal.settings", "DEBUG": "true", "MEDIA_STORAGE": "s3"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (200, 90, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_every_stored_file_is_listed_copied_out_and_restored_through_the_storage_api(
    s3_store, tmp_path, client_for, staff, accounts
):
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Sports day")
    image = services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(), alt_text="Relay race")
    upload_key = storages["private"].save("consent-imports/1/waiting.csv", ContentFile(b"Student ID\r\nA001\r\n"))

    listed = sorted(stored_files())

    assert listed == sorted(
        [
            ("default", image.rendition.name),
            ("default", image.thumbnail.name),
            ("private", image.original.name),
            ("private", upload_key),
        ]
    )
    backup = {alias: FileSystemStorage(location=tmp_path / alias) for alias in ("default", "private")}
    assert copy_stored_files(source=media_storages(), target=backup) == 4
    assert (tmp_path / "private" / image.original.name).read_bytes() == _jpeg_from(image.original)

    for bucket in (s3_store.media_bucket, s3_store.private_bucket):  # the store is lost
        for key in s3_store.keys(bucket):
            s3_store.client.delete_object(Bucket=bucket, Key=key)
    assert client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "thumbnail"])).status_code == 404

    assert copy_stored_files(source=backup, target=media_storages()) == 4

    assert sorted(stored_files()) == listed
    assert client_for(staff.teacher).get(reverse("post_image_file", args=[image.pk, "thumbnail"])).status_code == 200


def _jpeg_from(field_file) -> bytes:
    with field_file.open("rb") as stream:
        return stream.read()


def test_on_the_local_disk_the_two_storages_are_listed_once(settings, tmp_path, staff, accounts):
    settings.MEDIA_ROOT = str(tmp_path)
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Sports day")
    image = services.post_add_image(actor=staff.teacher, post=post, data=_jpeg(), alt_text="Relay race")

    assert list(media_storages()) == ["default"]
    names = [name for _, name in stored_files()]
    assert sorted(names) == sorted([image.original.name, image.rendition.name, image.thumbnail.name])
