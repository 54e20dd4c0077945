"""MIS files in other encodings: read right, asked about, or refused, and never imported garbled."""

import csv
import io
import random
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from consent import encodings, tasks
from consent.imports import (
    ImportRefused,
    apply_import,
    import_job_create,
    import_upload,
    plan_import,
    read_csv,
    suggest_mapping,
)
from consent.models import ImportJob, ImportJobStatus, Pupil
from consent.views_import import SESSION_KEY

from ..factories import enable_totp

HEADER = ["Student ID", "Legal first name", "Legal last name", "Registration form"]
# Names a UK primary school register holds, in many scripts.
MANY_SCRIPTS = [
    ("A001", "Zoë", "O’Brien"),
    ("A002", "Siân", "Llŷr-Jones"),
    ("A003", "Łukasz", "Wójcik"),
    ("A004", "Nguyễn Thị", "Ánh"),
    ("A005", "محمد", "علي"),
    ("A006", "芳", "王"),
    ("A007", "Ōta", "Kainoa ʻAkana"),
]
WESTERN = [("A001", "Zoë", "O’Brien"), ("A002", "Siân", "Jones"), ("A003", "Amy", "Smith")]
JAPANESE = [("J001", "太郎", "山田"), ("J002", "花子", "佐藤"), ("J003", "さくら", "鈴木")]
CHINESE = [("C001", "伟", "王"), ("C002", "芳", "李"), ("C003", "秀英", "张")]
TAIWANESE = [("T001", "偉", "王"), ("T002", "芳", "李"), ("T003", "秀英", "張")]
POLISH = [("P001", "Łukasz", "Wójcik"), ("P002", "Żaneta", "Kowalska")]


def text(names, header=HEADER, delimiter=",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([mis_id, first, last, "Year 3 Robins"] for mis_id, first, last in names)
    return buffer.getvalue()


def names_in(parsed) -> list[tuple[str, str]]:
    return [(row["Legal first name"], row["Legal last name"]) for _, row in parsed.rows]


def expected(names) -> list[tuple[str, str]]:
    return [(first, last) for _, first, last in names]


def xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
        workbook.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pupils.csv", text(WESTERN))
    return buffer.getvalue()


# Reading: what goes straight through.


def test_clean_utf8_from_many_scripts_goes_straight_through():
    parsed = read_csv(text(MANY_SCRIPTS).encode())

    assert (parsed.encoding, parsed.encoding_certain) == ("utf-8", True)
    assert names_in(parsed) == expected(MANY_SCRIPTS)


def test_utf8_with_a_byte_order_mark_goes_straight_through():
    parsed = read_csv(b"\xef\xbb\xbf" + text(MANY_SCRIPTS).encode())

    assert (parsed.encoding, parsed.encoding_certain, parsed.headers[0]) == ("utf-8-sig", True, "Student ID")
    assert names_in(parsed) == expected(MANY_SCRIPTS)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_excel_unicode_text_with_tabs_is_read_with_or_without_its_byte_order_mark(codec):
    parsed = read_csv(text(MANY_SCRIPTS, delimiter="\t").encode(codec))

    assert parsed.encoding_certain and parsed.delimiter == "\t"
    assert names_in(parsed) == expected(MANY_SCRIPTS)


# Reading: what the office is asked about.


@pytest.mark.parametrize(
    ("names", "codec", "key"),
    [
        (WESTERN, "cp1252", "cp1252"),
        ([("A001", "Zoë", "Müller"), ("A002", "Siân", "Ångström")], "latin-1", "cp1252"),
        (POLISH, "cp1250", "cp1250"),
        (JAPANESE, "shift_jis", "shift_jis"),
        (CHINESE, "gbk", "gbk"),
        (TAIWANESE, "big5", "big5"),
    ],
)
def test_a_file_in_a_legacy_encoding_is_offered_with_the_right_reading_among_a_few(names, codec, key):
    data = text(names).encode(codec)

    parsed = read_csv(data)

    assert not parsed.encoding_certain
    assert key in parsed.encoding_candidates
    assert len(parsed.encoding_candidates) <= encodings.MAX_CANDIDATES  # a few to choose from, not every codec
    assert "not UTF-8" in parsed.encoding_reason
    assert names_in(read_csv(data, encoding=key)) == expected(names)


def test_windows_1252_is_the_first_reading_offered_for_an_english_register():
    parsed = read_csv(text(WESTERN).encode("cp1252"))
    assert parsed.encoding_candidates[0] == "cp1252"
    assert names_in(parsed) == expected(WESTERN)


def test_a_polish_register_in_windows_1250_is_not_offered_as_pound_signs():
    parsed = read_csv(text(POLISH).encode("cp1250"))
    # Windows-1252 reads Ł as £ and Ż as ¯: a symbol inside a name, so that reading is not offered.
    assert parsed.encoding_candidates[0] == "cp1250"
    assert "cp1252" not in parsed.encoding_candidates


def test_a_file_of_utf8_lines_mixed_with_windows_1252_lines_is_read_line_by_line():
    data = text(WESTERN[:2]).encode() + "A003,Siân,Evans,Year 3 Robins\r\n".encode("cp1252")

    parsed = read_csv(data)

    assert not parsed.encoding_certain
    assert parsed.encoding_candidates[0] == encodings.MIXED_UTF8_CP1252
    assert "Some lines of the file are UTF-8 and others are not" in parsed.encoding_reason
    assert names_in(read_csv(data, encoding=encodings.MIXED_UTF8_CP1252)) == [
        ("Zoë", "O’Brien"),
        ("Siân", "Jones"),
        ("Siân", "Evans"),
    ]


def test_utf8_whose_letters_were_converted_twice_is_offered_mended_or_as_written():
    data = text(WESTERN).encode().decode("cp1252").encode()  # "Zoë" saved as "ZoÃ«" in a real UTF-8 file

    parsed = read_csv(data)

    assert not parsed.encoding_certain
    assert parsed.encoding_candidates == (encodings.MENDED_UTF8, "utf-8")
    assert parsed.encoding_reason.startswith("The file is UTF-8, but 3 words in it (such as “")
    assert "converted twice" in parsed.encoding_reason
    assert names_in(read_csv(data, encoding=encodings.MENDED_UTF8)) == expected(WESTERN)
    assert names_in(read_csv(data, encoding="utf-8"))[0] == ("ZoÃ«", "Oâ€™Brien")


def test_mending_puts_right_only_the_names_that_were_converted_twice():
    data = "Student ID,Legal first name,Legal last name\r\nA1,ZoÃ«,Smith\r\nA2,Siân,Jones\r\nA3,王,芳\r\n".encode()

    parsed = read_csv(data, encoding=encodings.MENDED_UTF8)

    assert names_in(parsed) == [("Zoë", "Smith"), ("Siân", "Jones"), ("王", "芳")]


def test_a_file_that_cannot_be_read_in_the_chosen_encoding_is_refused_with_the_encoding_named():
    with pytest.raises(ImportRefused, match="cannot be read as UTF-8"):
        read_csv(text(JAPANESE).encode("shift_jis"), encoding="utf-8")


def test_an_unknown_encoding_is_refused():
    with pytest.raises(ImportRefused, match="does not know that encoding"):
        read_csv(text(WESTERN).encode(), encoding="ebcdic")


# Reading: what is refused.


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "This looks like a PNG picture, not a CSV file"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200), "This looks like a JPEG photo, not a CSV file"),
        (b"%PDF-1.7\n" + bytes(200), "This looks like a PDF document, not a CSV file"),
        (xlsx(), "This looks like an Excel workbook (.xlsx), not a CSV file: save it as “CSV UTF-8”"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "This looks like an older Excel workbook (.xls)"),
        (plain_zip(), "This looks like a zip archive, not a CSV file"),
        (random.Random(16).randbytes(4096), "This file holds binary data, not text"),
        (random.Random(17).randbytes(60).replace(b"\x00", b"\x01"), "This file holds binary data, not text"),
    ],
    ids=["png", "jpeg", "pdf", "xlsx", "xls", "zip", "random", "short-random-without-nul"],
)
def test_a_file_that_is_not_text_is_refused_saying_what_it_looks_like(data, message):
    with pytest.raises(ImportRefused) as refused:
        read_csv(data)
    assert message in refused.value.message
    assert "header row" not in refused.value.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n \r\n"])
def test_an_empty_file_is_refused_as_empty(data):
    with pytest.raises(ImportRefused, match="The file is empty"):
        read_csv(data)


# The plan: names whose meaning changed stop the import.


@pytest.fixture
def office(cast):
    return cast.office


def mapping_for(parsed):
    return suggest_mapping(parsed.headers)


def test_names_from_many_scripts_import_exactly(office):
    parsed = read_csv(text(MANY_SCRIPTS).encode())

    result = apply_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert result.created == len(MANY_SCRIPTS)
    stored = dict(Pupil.objects.values_list("mis_id", "first_name"))
    assert stored == {mis_id: first for mis_id, first, _ in MANY_SCRIPTS}
    assert Pupil.objects.get(mis_id="A007").surname == "Kainoa ʻAkana"


@pytest.mark.parametrize(
    ("stored", "garbled"),
    [
        ("Zoë", "ZoÃ«"),  # UTF-8 read as Windows-1252
        ("Zoë", "Zo\ufffd"),  # Windows-1252 read as UTF-8, the letter replaced
        ("Łukasz", "?ukasz"),  # a letter Windows-1252 cannot hold, saved as "?"
        ("Zoë", "Zoл"),  # Windows-1252 read as Windows-1251
        ("山田", "ŽR“c"),  # Shift-JIS read as Windows-1252
    ],
)
def test_an_import_never_turns_a_pupils_name_into_a_garbled_form(office, make_pupil, stored, garbled):
    make_pupil(mis_id="A001", first_name=stored, surname="Okafor")
    make_pupil(mis_id="A002", first_name="Ben", surname="Evans")
    data = text([("A001", garbled, "Okafor"), ("A002", "Benjamin", "Evans"), ("A003", "Amy", "Smith")]).encode()
    parsed = read_csv(data, encoding="utf-8")

    plan = plan_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))
    assert [error.line for error in plan.errors] == [2]
    assert plan.garbled_lines == [2]
    with pytest.raises(ImportRefused) as refused:
        apply_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert "the names on 1 line of the file look garbled" in refused.value.message
    assert refused.value.errors[0].line == 2
    # Nothing at all was written: not the garbled row, not the good ones.
    assert sorted(Pupil.objects.values_list("first_name", flat=True)) == sorted([stored, "Ben"])
    assert not AuditEvent.objects.filter(action__in=["pupil.created", "pupil.updated", "consent.imported"]).exists()


def test_the_row_error_names_the_stored_and_the_garbled_name(office, make_pupil):
    make_pupil(mis_id="A001", first_name="Zoë", surname="Okafor")
    parsed = read_csv(text([("A001", "ZoÃ«", "Okafor")]).encode(), encoding="utf-8")

    plan = plan_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert str(plan.errors[0]) == (
        "Line 2: First name would change from “Zoë” to “ZoÃ«” (column “Legal first name”): the same name "
        "with its letters garbled, as happens when a file is read in the wrong encoding."
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ZoÃ«", "First name “ZoÃ«” reads as “Zoë” with its letters garbled"),
        ("Zo\ufffd", "First name “Zo\ufffd” has letters the file lost (shown as �)"),
        ("Zo\x07e", "First name “Zo[U+0007]e” holds control characters, which no name has"),
        ("Zo\x92e", "First name “Zo[U+0092]e” holds control characters"),
    ],
)
def test_a_new_pupil_with_a_garbled_name_stops_the_import(office, name, message):
    parsed = read_csv(text([("A001", name, "Okafor"), ("A002", "Amy", "Smith")]).encode(), encoding="utf-8")

    with pytest.raises(ImportRefused) as refused:
        apply_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert message in str(refused.value.errors[0])
    assert not Pupil.objects.exists()


def test_a_garbled_carer_name_stops_the_import(office):
    header = [*HEADER, "Consent given by", "Press"]
    data = f"{','.join(header)}\r\nA001,Amy,Smith,Year 3 Robins,SiÃ¢n Smith,Yes\r\n".encode()
    parsed = read_csv(data, encoding="utf-8")

    plan = plan_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert "Consent given by “SiÃ¢n Smith” reads as “Siân Smith”" in plan.errors[0].message


def test_adding_accents_or_mending_a_garbled_name_on_file_is_allowed(office, make_pupil):
    make_pupil(mis_id="A001", first_name="Zoe", surname="Okafor")
    make_pupil(mis_id="A002", first_name="SiÃ¢n", surname="Jones")  # garbled by an earlier import
    parsed = read_csv(text([("A001", "Zoë", "Okafor"), ("A002", "Siân", "Jones")]).encode())

    result = apply_import(actor=office, parsed=parsed, mapping=mapping_for(parsed))

    assert result.updated == 2
    assert sorted(Pupil.objects.values_list("first_name", flat=True)) == ["Siân", "Zoë"]


# The pages: upload -> choose the encoding -> match the columns -> check -> import.


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def client_of_office(client, cast):
    enable_totp(cast.office.user)
    client.force_login(cast.office.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def upload(client, data: bytes, name="pupils.csv"):
    return client.post(reverse("consent_import"), {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm_mapping(client):
    session = client.session[SESSION_KEY]
    page_headers = list(session["mapping"])
    data = {f"column_{position}": session["mapping"][header] or "" for position, header in enumerate(page_headers)}
    return client.post(reverse("consent_import_map"), data)


def test_the_office_chooses_windows_1252_and_the_names_import_right(
    client_of_office, cast, django_capture_on_commit_callbacks
):
    client = client_of_office
    assert upload(client, text(WESTERN).encode("cp1252")).url == reverse("consent_import_encoding")

    # The later steps wait for the choice.
    for name in ("consent_import_map", "consent_import_preview"):
        assert client.get(reverse(name)).url == reverse("consent_import_encoding")
    assert client.post(reverse("consent_import_apply")).url == reverse("consent_import_encoding")

    page = client.get(reverse("consent_import_encoding")).content.decode()
    assert "The file is not UTF-8, and it does not say which encoding it uses." in page
    assert "Windows-1252 (Western European; Excel&#x27;s plain CSV on Windows)" in page
    assert "Zoë O’Brien" in page and "Siân Jones" in page  # as Windows-1252 reads them
    assert "Zoė O’Brien" in page  # as Windows-1257 reads them: the office sees the difference
    assert page.count('type="radio" name="encoding"') <= encodings.MAX_CANDIDATES

    refused = client.post(reverse("consent_import_encoding"), {"encoding": "koi8_r"})
    assert refused.status_code == 400
    assert "Choose the encoding in which the names look right" in refused.content.decode()

    assert client.post(reverse("consent_import_encoding"), {"encoding": "cp1252"}).url == reverse("consent_import_map")
    assert confirm_mapping(client).url == reverse("consent_import_preview")
    preview = client.get(reverse("consent_import_preview")).content.decode()
    assert "Letters read as Windows-1252" in preview
    assert "Zoë O’Brien" in preview and "problem" not in preview

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("consent_import_apply"))

    job = ImportJob.objects.get()
    assert (job.status, job.encoding, job.created) == (ImportJobStatus.DONE, "cp1252", 3)
    assert sorted(Pupil.objects.values_list("first_name", "surname")) == sorted(expected(WESTERN))
    assert "letters read as Windows-1252" in client.get(response.url).content.decode()


def test_the_office_chooses_shift_jis_for_a_japanese_register(
    client_of_office, cast, django_capture_on_commit_callbacks
):
    client = client_of_office
    upload(client, text(JAPANESE).encode("shift_jis"))

    page = client.get(reverse("consent_import_encoding")).content.decode()
    assert "Shift-JIS (Japanese)" in page and "太郎 山田" in page

    client.post(reverse("consent_import_encoding"), {"encoding": "shift_jis"})
    confirm_mapping(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_import_apply"))

    assert ImportJob.objects.get().status == ImportJobStatus.DONE
    assert sorted(Pupil.objects.values_list("first_name", "surname")) == sorted(expected(JAPANESE))


def test_the_office_mends_a_file_converted_twice(client_of_office, cast, django_capture_on_commit_callbacks):
    client = client_of_office
    upload(client, text(WESTERN).encode().decode("cp1252").encode())

    page = client.get(reverse("consent_import_encoding")).content.decode()
    assert "UTF-8, with letters that were converted twice put right" in page
    assert "ZoÃ« Oâ€™Brien" in page and "Zoë O’Brien" in page

    client.post(reverse("consent_import_encoding"), {"encoding": encodings.MENDED_UTF8})
    confirm_mapping(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("consent_import_apply"))

    assert ImportJob.objects.get().encoding == encodings.MENDED_UTF8
    assert sorted(Pupil.objects.values_list("first_name", "surname")) == sorted(expected(WESTERN))


def test_choosing_the_garbled_reading_shows_the_rows_and_offers_no_import(client_of_office, cast):
    client = client_of_office
    upload(client, text(WESTERN).encode().decode("cp1252").encode())
    client.post(reverse("consent_import_encoding"), {"encoding": "utf-8"})
    confirm_mapping(client)

    preview = client.get(reverse("consent_import_preview")).content.decode()

    assert "3 problems to fix first" in preview
    assert "First name “ZoÃ«” reads as “Zoë” with its letters garbled" in preview
    assert "Names on 2 lines look garbled" in preview
    assert reverse("consent_import_encoding") in preview
    assert reverse("consent_import_apply") not in preview


def test_cancelling_the_choice_discards_the_upload(client_of_office, cast, media_root):
    client = client_of_office
    upload(client, text(WESTERN).encode("cp1252"))
    assert any(media_root.rglob("*.csv"))

    response = client.post(reverse("consent_import_encoding"), {"cancel": "1"}, follow=True)

    assert "“pupils.csv” was not imported. Nothing has changed." in response.content.decode()
    assert SESSION_KEY not in client.session
    assert not any(media_root.rglob("*.csv"))
    assert not ImportJob.objects.exists()


def test_clean_utf8_skips_the_choice(client_of_office, cast):
    response = upload(client_of_office, text(MANY_SCRIPTS).encode())

    assert response.url == reverse("consent_import_map")
    assert client_of_office.session[SESSION_KEY]["encoding"] == "utf-8"
    assert client_of_office.get(reverse("consent_import_encoding")).url == reverse("consent_import_map")
    assert "Choose another encoding" not in client_of_office.get(reverse("consent_import_preview")).content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "This looks like a PNG picture, not a CSV file"),
        (xlsx(), "This looks like an Excel workbook (.xlsx), not a CSV file"),
        (random.Random(4).randbytes(2048), "This file holds binary data, not text"),
    ],
    ids=["png", "xlsx", "random"],
)
def test_the_upload_page_says_what_a_binary_file_looks_like(client_of_office, media_root, data, message):
    response = upload(client_of_office, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not any(media_root.rglob("*.csv"))


def test_a_job_that_meets_garbled_names_fails_with_the_rows_and_writes_nothing(client_of_office, cast, make_pupil):
    make_pupil(mis_id="A001", first_name="Zoë", surname="O’Brien")
    client = client_of_office
    # Clean UTF-8 when uploaded; the pupil's name on file is the reason the job must stop.
    upload(client, text([("A001", "ZoÃ«", "O’Brien"), ("A002", "Amy", "Smith")]).encode())
    client.post(reverse("consent_import_encoding"), {"encoding": "utf-8"})
    confirm_mapping(client)
    client.post(reverse("consent_import_apply"))  # the on-commit enqueue is not run
    job = ImportJob.objects.get()

    tasks.run_import_job(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "the names on 1 line of the file look garbled" in job.error_message
    assert job.errors[0][0] == 2 and "would change from “Zoë” to “ZoÃ«”" in job.errors[0][1]
    assert list(Pupil.objects.values_list("mis_id", "first_name")) == [("A001", "Zoë")]
    page = client.get(f"{reverse('consent_import_job')}?job={job.pk}").content.decode()
    assert "Not imported" in page and "Imported at" not in page
    assert "would change from “Zoë” to “ZoÃ«”" in page


def test_a_job_is_not_made_without_knowing_how_to_read_the_file(office, media_root):
    key, _ = import_upload(actor=office, data=text(WESTERN).encode("cp1252"))

    with pytest.raises(ImportRefused, match="Choose how the file's letters are written"):
        import_job_create(actor=office, key=key, file_name="pupils.csv", mapping={}, encoding="")
    assert not ImportJob.objects.exists()


def test_a_job_without_a_remembered_encoding_refuses_a_file_the_portal_is_not_sure_of(office, media_root):
    key, parsed = import_upload(actor=office, data=text(WESTERN).encode("cp1252"))
    # A job queued before jobs remembered the encoding.
    job = ImportJob.objects.create(
        school=office.school, requested_by=office.user, stored_file=key, mapping=suggest_mapping(parsed.headers)
    )

    tasks.run_import_job(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJobStatus.FAILED
    assert "cannot be sure how the letters in this file are written" in job.error_message
    assert not Pupil.objects.exists()
