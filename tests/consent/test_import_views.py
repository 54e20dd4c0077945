"""The MIS import pages and the register export, as the office admin and the headteacher use them."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.dispatch import receiver
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent import tasks
from consent.imports import suggest_mapping
from consent.models import ConsentDecision, ConsentPurpose, ImportJob, ImportJobStatus, Pupil
from consent.services import pupil_set_never_publish
from consent.signals import consent_narrowed
from consent.views_import import SESSION_KEY

from ..factories import enable_totp

HEADER = ["Student ID", "Legal first name", "Legal last name", "Registration form", "Leaving date", "Press"]
SECRET = "Court order: the father must not learn which school she attends"


@pytest.fixture(autouse=True)
def _approvers_have_authenticators(cast):
    for member in (cast.head, cast.office, cast.other_head):
        enable_totp(member.user)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def csv_file(*rows, header=HEADER, name="pupils.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode(), content_type="text/csv")


def pupil_row(n: int, **overrides) -> list[str]:
    row = {
        "Student ID": f"A{n:03}",
        "Legal first name": f"Child{n}",
        "Legal last name": "Okafor",
        "Registration form": "Year 3 Robins",
        "Leaving date": "",
        "Press": "Yes",
    }
    row.update(overrides)
    return [row[column] for column in HEADER]


def signed_in(client, membership):
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def upload(client, file: SimpleUploadedFile):
    return client.post(reverse("consent_import"), {"file": file})


def confirm_mapping(client, header=HEADER, **changes):
    """Post the mapping page with the portal's guess, changed where asked (column -> field key or "")."""
    guess = {**suggest_mapping(header), **changes}
    data = {f"column_{position}": guess[column] or "" for position, column in enumerate(header)}
    return client.post(reverse("consent_import_map"), data)


def stored_key(client) -> str:
    return client.session[SESSION_KEY]["key"]


def test_office_uploads_matches_checks_fixes_and_imports_a_file(
    client, cast, media_root, django_capture_on_commit_callbacks
):
    client = signed_in(client, cast.office)
    bad = csv_file(pupil_row(1), pupil_row(2, **{"Registration form": "Year 9 Owls"}), pupil_row(3, Press="Maybe"))

    assert upload(client, bad).url == reverse("consent_import_map")
    assert confirm_mapping(client).url == reverse("consent_import_preview")
    page = client.get(reverse("consent_import_preview")).content.decode()

    assert "2 problems to fix first" in page
    assert "There is no class called “Year 9 Owls”" in page and '<td data-label="Line">3</td>' in page
    assert "“Maybe” is not an answer for consent: press and media" in page and '<td data-label="Line">4</td>' in page
    assert reverse("consent_import_apply") not in page
    assert "upload it again" in page

    upload(client, csv_file(pupil_row(1), pupil_row(2), pupil_row(3, Press="No")))
    confirm_mapping(client)
    page = client.get(reverse("consent_import_preview")).content.decode()
    assert "problem" not in page
    assert '<div class="figure">3</div>new pupils' in page
    assert '<div class="figure">3</div>consent decisions recorded' in page
    assert reverse("consent_import_apply") in page
    assert not Pupil.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent_import_apply"))

    job = ImportJob.objects.get()
    assert response.url == f"{reverse('consent_import_job')}?job={job.pk}"
    assert (job.status, job.created, job.consents_recorded, job.requested_by) == ("done", 3, 3, cast.office.user)
    assert sorted(Pupil.objects.filter(school=cast.school).values_list("mis_id", flat=True)) == ["A001", "A002", "A003"]
    assert Pupil.objects.get(mis_id="A003").consent_records.get().decision == ConsentDecision.REFUSED
    page = client.get(response.url).content.decode()
    assert "Imported" in page and '<div class="figure">3</div>new pupils' in page
    assert reverse("consent_register") in page


def test_the_mapping_page_shows_the_guess_and_the_first_three_rows(client, cast):
    client = signed_in(client, cast.office)
    upload(client, csv_file(*(pupil_row(n) for n in range(1, 6))))

    page = client.get(reverse("consent_import_map")).content.decode()

    assert "A001" in page and "A003" in page and "A004" not in page
    assert '<option value="mis_id" selected>MIS id (needed)</option>' in page
    assert '<option value="consent_press" selected>Consent: press and media</option>' in page
    assert page.count('<option value="">Ignore this column</option>') == len(HEADER)


def test_a_mapping_without_a_needed_column_is_refused_on_the_page(client, cast):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))

    response = confirm_mapping(client, **{"Student ID": ""})

    assert response.status_code == 400
    assert "The import needs a column for each of: MIS id" in response.content.decode()


def test_the_upload_page_refuses_a_file_that_is_not_csv(client, cast, media_root):
    workbook = SimpleUploadedFile(
        "pupils.xlsx", b"PK\x03\x04 an Excel workbook", content_type="application/vnd.ms-excel"
    )

    response = upload(signed_in(client, cast.office), workbook)

    assert response.status_code == 400
    assert "This looks like a zip archive or an Excel workbook, not a CSV file" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not any(media_root.rglob("*.csv"))


def test_a_file_over_the_size_limit_is_refused_with_the_limit(client, cast, settings):
    big = SimpleUploadedFile("pupils.csv", b"Adno,Forename\r\n" + b"1,Amy\r\n" * 800_000, content_type="text/csv")

    response = upload(signed_in(client, cast.office), big)

    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()


def test_uploading_another_file_discards_the_first(client, cast, media_root):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    first = stored_key(client)

    upload(client, csv_file(pupil_row(2)))

    assert not (media_root / first).exists()
    assert (media_root / stored_key(client)).exists()


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "consent_import"),
        ("post", "consent_import"),
        ("get", "consent_import_encoding"),
        ("post", "consent_import_encoding"),
        ("get", "consent_import_map"),
        ("post", "consent_import_map"),
        ("get", "consent_import_preview"),
        ("post", "consent_import_apply"),
        ("get", "consent_import_job"),
        ("get", "consent_export"),
    ],
)
def test_a_class_teacher_gets_403_on_every_import_page(client, cast, method, name):
    response = getattr(signed_in(client, cast.teacher), method)(reverse(name))
    assert response.status_code == 403


def test_another_schools_import_is_not_found(client, cast):
    theirs = ImportJob.objects.create(
        school=cast.other_school,
        requested_by=cast.other_office.user,
        stored_file=f"consent-imports/{cast.other_school.pk}/theirs.csv",
        file_name="elm.csv",
        mapping={},
    )
    client = signed_in(client, cast.head)

    assert client.get(reverse("consent_import_job"), {"job": theirs.pk}).status_code == 404
    assert client.get(reverse("consent_import_job"), {"job": "x"}).status_code == 404
    # Without an id the page shows this school's latest import, and Oak has none.
    assert client.get(reverse("consent_import_job")).url == reverse("consent_import")


def test_a_double_submitted_import_creates_one_job_and_imports_once(
    client, cast, media_root, django_capture_on_commit_callbacks
):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1), pupil_row(2)))
    confirm_mapping(client)

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        first = client.post(reverse("consent_import_apply"))
        second = client.post(reverse("consent_import_apply"))

    assert len(enqueued) == 1
    assert first.url == second.url
    assert ImportJob.objects.count() == 1
    assert Pupil.objects.count() == 2
    assert AuditEvent.objects.filter(action="consent.imported").count() == 1


def test_a_task_delivered_twice_imports_once(client, cast, django_capture_on_commit_callbacks):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    confirm_mapping(client)
    client.post(reverse("consent_import_apply"))  # the on-commit enqueue is not run
    job = ImportJob.objects.get()
    assert "waiting to start" in client.get(reverse("consent_import_job")).content.decode()

    tasks.run_import_job(job.pk)
    tasks.run_import_job(job.pk)

    assert Pupil.objects.count() == 1
    assert AuditEvent.objects.filter(action="consent.imported").count() == 1


def test_a_waiting_import_refreshes_itself_without_javascript(client, cast):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    confirm_mapping(client)
    client.post(reverse("consent_import_apply"))

    page = client.get(reverse("consent_import_job")).content.decode()

    assert '<meta http-equiv="refresh" content="5">' in page
    assert f'href="{reverse("consent_import_job")}?job={ImportJob.objects.get().pk}">Refresh</a>' in page


def test_a_file_with_problems_sent_anyway_fails_with_its_lines_and_imports_nothing(
    client, cast, django_capture_on_commit_callbacks
):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1), pupil_row(2, **{"Leaving date": "31/13/2025"})))
    confirm_mapping(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent_import_apply"))

    assert ImportJob.objects.get().status == ImportJobStatus.FAILED
    page = client.get(response.url).content.decode()
    assert "Nothing was imported: 1 problem in the file need fixing first." in page
    assert "Leaving date “31/13/2025” is not a date" in page
    assert not Pupil.objects.exists()


def test_an_import_by_someone_who_has_since_lost_the_right_imports_nothing(client, cast):
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    confirm_mapping(client)
    client.post(reverse("consent_import_apply"))
    cast.office.role_assignments.all().delete()

    tasks.run_import_job(ImportJob.objects.get().pk)

    job = ImportJob.objects.get()
    assert job.status == ImportJobStatus.FAILED and "can no longer import" in job.error_message
    assert not Pupil.objects.exists()


def test_the_stored_upload_is_private_and_deleted_once_imported(
    client, cast, media_root, django_capture_on_commit_callbacks
):
    client = signed_in(client, cast.head)
    upload(client, csv_file(pupil_row(1)))
    key = stored_key(client)
    assert key.startswith(f"consent-imports/{cast.school.pk}/") and key.endswith(".csv")
    assert (media_root / key).read_bytes().startswith(b"Student ID,")

    pages = [client.get(reverse("consent_import_map")), client.get(reverse("consent_import_preview"))]
    confirm_mapping(client)
    pages.append(client.get(reverse("consent_import_preview")))
    for page in pages:
        assert Path(key).stem not in page.content.decode()
    for url in (f"/media/{key}", f"/{key}", f"/consent/{key}", f"/static/{key}"):
        assert client.get(url).status_code == 404, url

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_import_apply"))
    assert not (media_root / key).exists()
    assert ImportJob.objects.get().stored_file == key


def test_the_import_audits_each_change_with_who_made_it(client, cast, make_pupil, django_capture_on_commit_callbacks):
    existing = make_pupil(mis_id="A001", first_name="Child1", surname="Okafor", class_group=cast.year4)
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1, Press=""), pupil_row(2, Press="No")))
    confirm_mapping(client)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_import_apply"))

    new = Pupil.objects.get(mis_id="A002")
    record = new.consent_records.get()
    events = list(AuditEvent.objects.exclude(action__startswith="auth.").order_by("id"))
    assert [event.action for event in events] == [
        "pupil.created",
        "pupil.updated",
        "consent.recorded",
        "consent.imported",
    ]
    assert {event.actor for event in events} == {cast.office.user}
    assert {event.school for event in events} == {cast.school}
    created, updated, recorded, _summary = events
    assert (created.target_type, created.target_id, created.target_repr) == ("consent.pupil", str(new.pk), str(new))
    assert created.data == {"class_group": "Year 3 Robins", "year_group": 3, "mis_id": "A002"}
    assert (updated.target_id, updated.data) == (
        str(existing.pk),
        {"changed": ["class_group"], "class_group": "Year 3 Robins"},
    )
    assert (recorded.target_type, recorded.target_id) == ("consent.consentrecord", str(record.pk))
    assert recorded.data == {
        "pupil_id": new.pk,
        "purpose": ConsentPurpose.PRESS,
        "decision": ConsentDecision.REFUSED,
        "relationship": "parent",
        "method": "admission_form",
        "decided_on": timezone.localdate().isoformat(),
        "expires_on": None,
    }


def test_an_imported_refusal_tells_the_posts_app_as_the_service_would(
    client, cast, make_pupil, django_capture_on_commit_callbacks
):
    told = []

    @receiver(consent_narrowed, weak=False, dispatch_uid="test_import_views.listener")
    def listen(sender, *, school_id, pupil_ids, reason, **kwargs):
        told.append((school_id, pupil_ids))

    existing = make_pupil(mis_id="A001", first_name="Child1", surname="Okafor")
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1, Press="No"), pupil_row(2, Press="Yes")))
    confirm_mapping(client)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("consent_import_apply"))
    finally:
        consent_narrowed.disconnect(dispatch_uid="test_import_views.listener")

    assert told == [(cast.school.pk, [existing.pk])]


def test_the_check_page_does_a_fixed_number_of_queries(client, cast, make_pupil, add_record):
    add_record(make_pupil(mis_id="A001"))
    client = signed_in(client, cast.office)
    upload(client, csv_file(*(pupil_row(n) for n in range(1, 4))))
    confirm_mapping(client)
    client.get(reverse("consent_import_preview"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("consent_import_preview"))

    for n in range(2, 41):
        add_record(make_pupil(mis_id=f"A{n:03}"))
    upload(client, csv_file(*(pupil_row(n) for n in range(1, 61))))
    confirm_mapping(client)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("consent_import_preview")).status_code == 200

    assert len(many) == len(few)


def test_export_downloads_a_csv_with_bom_names_and_never_the_never_publish_reason(client, cast, make_pupil):
    make_pupil(mis_id="A001", first_name="Zoë", surname="Ní Bhriain")
    flagged = make_pupil(mis_id="A002", first_name="Hidden", surname="Child")
    pupil_set_never_publish(actor=cast.head, pupil=flagged, reason=SECRET)
    make_pupil(mis_id="A003", first_name="Wren", surname="Other", class_group=cast.year4)

    response = signed_in(client, cast.office).get(reverse("consent_export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="consent-register-oak-primary-{today}.csv"'
    assert response["Cache-Control"] == "no-store"
    data = response.content
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "Zoë,Ní Bhriain" in text and "Hidden,Child" in text and "Do not publish" in text
    assert SECRET not in text and "Court order" not in text

    one_class = client.get(reverse("consent_export"), {"class": cast.year3.pk})
    assert "Zoë" in one_class.content.decode("utf-8-sig") and "Wren" not in one_class.content.decode("utf-8-sig")
    assert "robins" in one_class["Content-Disposition"]
    assert client.get(reverse("consent_export"), {"class": cast.other_class.pk}).status_code == 404


def test_tidying_closes_interrupted_jobs_and_deletes_abandoned_uploads(client, cast, media_root):
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from consent.imports import import_tidy
    from consent.models import ImportJobStatus

    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1)))
    abandoned = stored_key(client)
    job_key = default_storage.save(f"consent-imports/{cast.school.pk}/interrupted.csv", io.BytesIO(b"x"))
    job = ImportJob.objects.create(
        school=cast.school,
        requested_by=cast.office.user,
        stored_file=job_key,
        mapping={},
        status=ImportJobStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),
    )

    assert import_tidy() == {"jobs_failed": 1, "uploads_deleted": 0}, "a fresh upload is kept for its session"
    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED and "Nothing was imported" in job.error_message
    assert not default_storage.exists(job_key)

    assert import_tidy(now=timezone.now() + timedelta(days=2)) == {"jobs_failed": 0, "uploads_deleted": 1}
    assert not default_storage.exists(abandoned)


def test_the_check_page_says_what_the_portal_holds_now_in_the_registers_words(client, cast, make_pupil, add_record):
    add_record(make_pupil(mis_id="A001", first_name="Child1", surname="Okafor"), purpose=ConsentPurpose.PRESS)
    client = signed_in(client, cast.office)
    upload(client, csv_file(pupil_row(1, Press="No"), pupil_row(2, Press="Yes")))
    confirm_mapping(client)

    page = client.get(reverse("consent_import_preview")).content.decode()

    section = page[page.index("<h2>Consent decisions to record</h2>") :]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)]
    (existing,) = [row for row in rows if "Child1 Okafor" in row]
    (new,) = [row for row in rows if "Child2 Okafor" in row]
    assert existing.startswith("2 Child1 Okafor Press and media No ") and existing.endswith(" Given")
    assert new.startswith("3 Child2 Okafor Press and media Yes ") and new.endswith(" No answer yet")
