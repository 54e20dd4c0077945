"""The invariants the database itself holds, checked by writing around the services."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from consent.models import ConsentDecision, ConsentRecord, Pupil

from .conftest import TODAY


def refused_by_database(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def test_pupil_reads_as_first_name_and_surname(pupil):
    assert str(pupil) == "Amara Okafor"


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "tiktok"},
        {"decision": "maybe"},
        {"relationship": "neighbour"},
        {"method": "pigeon"},
        {"given_by_name": ""},
        {"decision": ConsentDecision.REFUSED, "expires_on": TODAY},
        {"expires_on": TODAY - dt.timedelta(days=400)},
    ],
    ids=lambda change: ",".join(change),
)
def test_database_refuses_a_record_that_breaks_the_rules(change, pupil, add_record):
    record = add_record(pupil, decided_on=TODAY - dt.timedelta(days=10))
    assert refused_by_database(lambda: ConsentRecord.objects.filter(pk=record.pk).update(**change))


def test_database_refuses_a_withdrawal_without_who(pupil, add_record):
    record = add_record(pupil)
    assert refused_by_database(lambda: ConsentRecord.objects.filter(pk=record.pk).update(withdrawn_at=timezone.now()))


def test_database_refuses_withdrawing_a_refusal(pupil, add_record, cast):
    refusal = add_record(pupil, decision=ConsentDecision.REFUSED)
    assert refused_by_database(
        lambda: ConsentRecord.objects.filter(pk=refusal.pk).update(
            withdrawn_at=timezone.now(), withdrawn_by=cast.office.user
        )
    )


def test_database_refuses_a_pupil_with_consent_history_being_deleted(pupil, add_record):
    add_record(pupil)
    with pytest.raises(ProtectedError):
        pupil.delete()


def test_database_refuses_a_second_pupil_with_the_same_mis_id_in_a_school(make_pupil, cast):
    make_pupil(mis_id="A123")
    assert refused_by_database(lambda: make_pupil(mis_id="A123"))
    assert not refused_by_database(lambda: make_pupil(mis_id="A123", school=cast.other_school))
    assert not refused_by_database(lambda: (make_pupil(mis_id=""), make_pupil(mis_id="")))


@pytest.mark.parametrize("field", ["never_publish", "never_publish_reason", "never_publish_set_at"])
def test_database_keeps_the_never_publish_fields_consistent(field, pupil):
    lone_value = {
        "never_publish": True,
        "never_publish_reason": "left after clearing",
        "never_publish_set_at": timezone.now(),
    }
    assert refused_by_database(lambda: Pupil.objects.filter(pk=pupil.pk).update(**{field: lone_value[field]}))
