"""MIS import files in S3-compatible object storage (issue 16): the upload waits in the private
bucket between the pages, is read back for the mapping and the check, and goes once imported or
abandoned. The store is moto's S3 server on 127.0.0.1 (the `s3_store` fixture)."""

from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from consent.imports import import_tidy
from consent.models import ImportJob, Pupil
from consent.views_import import SESSION_KEY

from .test_import_views import (  # noqa: F401 - the autouse fixture applies here too
    _approvers_have_authenticators,
    confirm_mapping,
    csv_file,
    pupil_row,
    signed_in,
    stored_key,
    upload,
)

STORE_DOWN = "The file store is not answering; your file was not saved. Try again in a minute."


def local_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_an_import_file_goes_to_the_private_bucket_is_read_back_and_goes_once_imported(
    s3_store, settings, client, cast, django_capture_on_commit_callbacks
):
    client = signed_in(client, cast.office)
    sent = csv_file(pupil_row(1), pupil_row(2))

    assert upload(client, sent).url == reverse("consent_import_map")

    key = stored_key(client)
    assert s3_store.keys(s3_store.private_bucket) == [f"private/{key}"]
    sent.seek(0)
    assert s3_store.read(s3_store.private_bucket, f"private/{key}") == sent.read()
    assert s3_store.keys(s3_store.media_bucket) == [] and local_files(settings) == []
    assert "Child1" in client.get(reverse("consent_import_map")).content.decode()
    confirm_mapping(client)
    assert '<div class="figure">2</div>new pupils' in client.get(reverse("consent_import_preview")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_import_apply"))

    assert ImportJob.objects.get().status == "done"
    assert Pupil.objects.filter(school=cast.school).count() == 2
    assert s3_store.keys(s3_store.private_bucket) == []


def test_a_store_that_is_down_refuses_the_upload_and_keeps_nothing(s3_store, client, cast):
    client = signed_in(client, cast.office)
    s3_store.stop()

    response = upload(client, csv_file(pupil_row(1)))

    assert response.status_code == 400
    assert STORE_DOWN in response.content.decode()
    assert SESSION_KEY not in client.session
    s3_store.start()
    assert s3_store.keys(s3_store.private_bucket) == []
    # Back again: the same file goes through.
    assert upload(client, csv_file(pupil_row(1))).url == reverse("consent_import_map")


def test_tidying_finds_and_deletes_abandoned_uploads_in_the_bucket(s3_store, client, cast):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    signed_in(client, cast.other_head)
    upload(client, csv_file(pupil_row(2)))
    assert len(s3_store.keys(s3_store.private_bucket)) == 2

    assert import_tidy() == {"jobs_failed": 0, "uploads_deleted": 0}, "fresh uploads stay for their sessions"
    assert import_tidy(now=timezone.now() + timedelta(days=2)) == {"jobs_failed": 0, "uploads_deleted": 2}

    assert s3_store.keys(s3_store.private_bucket) == []
