import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from consent.exports import export_register_csv
from consent.imports import plan_import, read_csv, suggest_mapping
from consent.models import CarerRelationship, ConsentDecision, ConsentPurpose
from consent.services import pupil_set_never_publish

SECRET = "Court order: the father must not learn which school she attends"
HEADER = [
    "mis_id",
    "first_name",
    "surname",
    "preferred_name",
    "other_names",
    "class_name",
    "year_group",
    "leaving_date",
    "consent_social_photo",
    "consent_social_name",
    "consent_website_photo",
    "consent_press",
    "status",
]


def today() -> dt.date:
    return timezone.localdate()


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def plan_of(actor, data: bytes):
    parsed = read_csv(data)
    return plan_import(actor=actor, parsed=parsed, mapping=suggest_mapping(parsed.headers))


def test_the_export_is_utf8_with_a_bom_so_excel_shows_accents(cast, make_pupil):
    make_pupil(mis_id="A001", first_name="Zoë", surname="Ní Bhriain")

    data = export_register_csv(actor=cast.office)

    assert data.startswith(b"\xef\xbb\xbf")
    assert "Zoë,Ní Bhriain" in data.decode("utf-8-sig")


def test_one_row_per_pupil_on_roll_in_the_import_columns(cast, make_pupil, add_record):
    amara = make_pupil(
        mis_id="A001",
        first_name="Amara",
        surname="Okafor",
        preferred_name="Mara",
        other_names="Mars",
        year_group=3,
        leaving_date=dt.date(2031, 7, 22),
    )
    add_record(amara, purpose=ConsentPurpose.SOCIAL_PHOTO)
    add_record(amara, purpose=ConsentPurpose.SOCIAL_NAME, decision=ConsentDecision.REFUSED)
    make_pupil(mis_id="A002", leaving_date=today())
    make_pupil(school=cast.other_school, class_group=cast.other_class, mis_id="E001")

    data = export_register_csv(actor=cast.office)

    assert data.decode("utf-8-sig").splitlines()[0].split(",") == HEADER
    assert rows_of(data) == [
        {
            "mis_id": "A001",
            "first_name": "Amara",
            "surname": "Okafor",
            "preferred_name": "Mara",
            "other_names": "Mars",
            "class_name": "Year 3 Robins",
            "year_group": "3",
            "leaving_date": "22/07/2031",
            "consent_social_photo": "Yes",
            "consent_social_name": "No",
            "consent_website_photo": "",
            "consent_press": "",
            "status": "Photo only",
        }
    ]


def test_each_answer_follows_the_register(cast, make_pupil, add_record):
    pupil = make_pupil(mis_id="A001")
    past = today() - dt.timedelta(days=30)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_PHOTO, withdrawn_on=past)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_NAME)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_NAME, decision="refused", carer=("Sam Okafor", "father"))
    add_record(pupil, purpose=ConsentPurpose.WEBSITE_PHOTO, decided_on=past - dt.timedelta(days=30), expires_on=past)

    [row] = rows_of(export_register_csv(actor=cast.office))

    # Withdrawn and disputed are both "No"; consent that ran out and nothing on file are both empty.
    assert [row[key] for key in HEADER[8:]] == ["No", "No", "", "", "No photo or name"]


@pytest.mark.parametrize(
    ("photo", "name", "status"),
    [
        ("given", "given", "Photo and name"),
        ("refused", "given", "Name only"),
        ("refused", "refused", "No photo or name"),
    ],
)
def test_the_status_summarises_photo_and_name(cast, make_pupil, add_record, photo, name, status):
    pupil = make_pupil(mis_id="A001")
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_PHOTO, decision=photo)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_NAME, decision=name)

    [row] = rows_of(export_register_csv(actor=cast.office))

    assert row["status"] == status


def test_a_never_publish_pupil_shows_do_not_publish_and_never_the_reason(cast, make_pupil, add_record):
    pupil = make_pupil(mis_id="A001")
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_PHOTO)
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET)

    data = export_register_csv(actor=cast.head)

    [row] = rows_of(data)
    assert row["status"] == "Do not publish"
    assert [row[key] for key in HEADER[7:11]] == ["", "", "", ""]
    assert b"Court order" not in data
    assert b"father" not in data


def test_the_export_takes_a_fixed_number_of_queries(cast, make_pupil, add_record, django_assert_num_queries):
    for n in range(30):
        add_record(make_pupil(mis_id=f"A{n:03}"))

    with django_assert_num_queries(2):  # pupils with their class, then their consent records
        data = export_register_csv(actor=cast.office)

    assert len(rows_of(data)) == 30


def test_one_class_can_be_exported(cast, make_pupil):
    make_pupil(mis_id="A001", class_group=cast.year3)
    make_pupil(mis_id="A002", class_group=cast.year4)

    rows = rows_of(export_register_csv(actor=cast.office, class_group=cast.year4))

    assert [row["mis_id"] for row in rows] == ["A002"]


def test_another_schools_class_cannot_be_exported(cast, make_pupil):
    make_pupil(school=cast.other_school, class_group=cast.other_class, mis_id="E001")
    with pytest.raises(PermissionDenied):
        export_register_csv(actor=cast.office, class_group=cast.other_class)


@pytest.mark.parametrize("who", ["teacher", "senior", "former_office"])
def test_only_consent_managers_may_export(cast, who):
    with pytest.raises(PermissionDenied):
        export_register_csv(actor=getattr(cast, who))


def test_a_value_excel_would_run_as_a_formula_is_exported_as_text(cast, make_pupil):
    make_pupil(mis_id="A001", surname="=HYPERLINK(1)")

    [row] = rows_of(export_register_csv(actor=cast.office))

    assert row["surname"] == "'=HYPERLINK(1)"


def _varied_register(cast, make_pupil, add_record):
    """Pupils in every state the register knows, with the details an export carries."""
    past = today() - dt.timedelta(days=30)
    given = make_pupil(mis_id="A001", first_name="Zoë", preferred_name="Zo", year_group=3)
    add_record(given)
    add_record(given, purpose=ConsentPurpose.SOCIAL_NAME)
    refused = make_pupil(mis_id="A002", surname="=SUM(1)", class_group=cast.year4, leaving_date=dt.date(2031, 7, 22))
    add_record(refused, decision=ConsentDecision.REFUSED)
    withdrawn = make_pupil(mis_id="A003", first_name="Siobhán")
    add_record(withdrawn, withdrawn_on=past)
    disputed = make_pupil(mis_id="A004")
    add_record(disputed, purpose=ConsentPurpose.PRESS)
    add_record(disputed, purpose=ConsentPurpose.PRESS, decision="refused", carer=("Sam", CarerRelationship.FATHER))
    expired = make_pupil(mis_id="A005")
    add_record(expired, purpose=ConsentPurpose.WEBSITE_PHOTO, decided_on=past - dt.timedelta(days=9), expires_on=past)
    make_pupil(mis_id="A006")  # nothing on file
    flagged = make_pupil(mis_id="A007")
    add_record(flagged)
    pupil_set_never_publish(actor=cast.head, pupil=flagged, reason=SECRET)


def test_importing_an_export_of_the_same_school_plans_nothing(cast, make_pupil, add_record):
    _varied_register(cast, make_pupil, add_record)

    plan = plan_of(cast.office, export_register_csv(actor=cast.office))

    assert (plan.errors, plan.warnings) == ([], [])
    assert not plan.has_changes
    assert plan.unchanged == 7


def test_an_edited_export_imports_only_the_edit(cast, make_pupil, add_record):
    _varied_register(cast, make_pupil, add_record)
    rows = rows_of(export_register_csv(actor=cast.office))
    [nothing_on_file] = [row for row in rows if row["mis_id"] == "A006"]
    nothing_on_file["consent_press"] = "No"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)

    plan = plan_of(cast.office, buffer.getvalue().encode("utf-8-sig"))

    assert [(c.mis_id, c.purpose, c.decision) for c in plan.consents] == [("A006", "press", "refused")]
    assert (plan.to_create, plan.to_update, plan.unchanged) == ([], [], 6)
