import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from consent.selectors import ConsentState, effective_consent
from consent.services import (
    ConsentError,
    consent_record,
    consent_withdraw,
    pupil_clear_never_publish,
    pupil_create,
    pupil_set_never_publish,
)

SECRET = "Adoption placement: the birth family must not find the child"


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def record_consent(actor, pupil, **overrides):
    fields = {
        "purpose": ConsentPurpose.SOCIAL_PHOTO,
        "decision": ConsentDecision.GIVEN,
        "given_by_name": "Grace Okafor",
        "relationship": CarerRelationship.MOTHER,
        "method": ConsentMethod.LETTER,
        "decided_on": yesterday(),
    }
    fields.update(overrides)
    return consent_record(actor=actor, pupil=pupil, **fields)


def audit_actions(school) -> list[str]:
    return list(AuditEvent.objects.filter(school=school).order_by("id").values_list("action", flat=True))


# Recording consent.


def test_office_admin_may_record_consent(cast, pupil):
    record = record_consent(cast.office, pupil, given_by_name="  Grace   Okafor ")

    record.refresh_from_db()
    assert record.recorded_by == cast.office.user
    assert record.given_by_name == "Grace Okafor"
    assert effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO).allowed


def test_recording_consent_is_audited_without_the_carers_name(cast, pupil):
    record = record_consent(cast.office, pupil, expires_on=yesterday() + dt.timedelta(days=365))

    event = AuditEvent.objects.get(action="consent.recorded")
    assert (event.actor, event.school, event.target_id) == (cast.office.user, cast.school, str(record.pk))
    assert event.data["purpose"] == "social_photo"
    assert event.data["decision"] == "given"
    assert event.data["expires_on"] == (yesterday() + dt.timedelta(days=365)).isoformat()
    assert "Grace" not in str(event.data)


def test_headteacher_may_record_consent(cast, pupil):
    record_consent(cast.head, pupil)
    assert ConsentRecord.objects.filter(pupil=pupil).count() == 1


@pytest.mark.parametrize("who", ["teacher", "senior", "former_office", "other_office", "other_head"])
def test_only_consent_managers_of_the_pupils_school_may_record_consent(who, cast, pupil):
    with pytest.raises(PermissionDenied):
        record_consent(getattr(cast, who), pupil)
    assert not ConsentRecord.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.recorded").exists()


def test_class_teacher_may_not_record_consent(cast, pupil):
    with pytest.raises(PermissionDenied, match="cannot change pupils or consent"):
        record_consent(cast.teacher, pupil)


def test_a_user_of_another_school_may_not_record_consent(cast, pupil):
    with pytest.raises(PermissionDenied, match="another school"):
        record_consent(cast.other_office, pupil)


def test_a_decision_dated_in_the_future_is_refused(cast, pupil):
    with pytest.raises(ConsentError, match="cannot be in the future"):
        record_consent(cast.office, pupil, decided_on=timezone.localdate() + dt.timedelta(days=1))


def test_a_refusal_cannot_have_an_end_date(cast, pupil):
    with pytest.raises(ConsentError, match="Only consent can have an end date"):
        record_consent(cast.office, pupil, decision=ConsentDecision.REFUSED, expires_on=timezone.localdate())


def test_consent_cannot_end_before_it_was_given(cast, pupil):
    with pytest.raises(ConsentError, match="cannot end before"):
        record_consent(cast.office, pupil, expires_on=yesterday() - dt.timedelta(days=1))


def test_consent_cannot_be_recorded_for_a_pupil_who_has_left(cast, make_pupil):
    leaver = make_pupil(leaving_date=timezone.localdate())
    with pytest.raises(ConsentError, match="has left"):
        record_consent(cast.office, leaver)


def test_unknown_choices_fail_validation(cast, pupil):
    with pytest.raises(ValidationError) as caught:
        record_consent(cast.office, pupil, purpose="tiktok", relationship="neighbour", method="pigeon")
    assert {"purpose", "relationship", "method"} <= set(caught.value.message_dict)
    assert not AuditEvent.objects.filter(action="consent.recorded").exists()


def test_a_new_decision_keeps_the_earlier_one_as_history(cast, pupil):
    first = record_consent(cast.office, pupil, decided_on=yesterday() - dt.timedelta(days=30))
    record_consent(cast.office, pupil, decision=ConsentDecision.REFUSED)

    assert ConsentRecord.objects.filter(pupil=pupil).count() == 2
    first.refresh_from_db()
    assert first.withdrawn_at is None
    assert effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO).state == ConsentState.REFUSED


# Withdrawing consent.


def test_withdrawing_consent_stamps_the_record_and_audits_it(cast, pupil):
    record = record_consent(cast.office, pupil)

    returned = consent_withdraw(actor=cast.head, record=record)

    record.refresh_from_db()
    assert record.withdrawn_at is not None
    assert record.withdrawn_by == cast.head.user
    assert returned.withdrawn_at == record.withdrawn_at
    assert effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO).state == ConsentState.WITHDRAWN
    event = AuditEvent.objects.get(action="consent.withdrawn")
    assert (event.actor, event.school, event.target_id) == (cast.head.user, cast.school, str(record.pk))


def test_withdrawing_twice_is_refused_with_a_clear_error(cast, pupil):
    record = record_consent(cast.office, pupil)
    consent_withdraw(actor=cast.office, record=record)
    stale_copy = ConsentRecord.objects.get(pk=record.pk)
    stale_copy.withdrawn_at = None  # as a second browser tab would still see it

    today = timezone.localdate()
    with pytest.raises(ConsentError, match=f"already withdrawn on {today.day} {today:%B %Y}"):
        consent_withdraw(actor=cast.office, record=stale_copy)
    assert audit_actions(cast.school).count("consent.withdrawn") == 1


def test_a_refusal_cannot_be_withdrawn(cast, pupil):
    refusal = record_consent(cast.office, pupil, decision=ConsentDecision.REFUSED)
    with pytest.raises(ConsentError, match="new decision"):
        consent_withdraw(actor=cast.office, record=refusal)


@pytest.mark.parametrize("who", ["teacher", "other_office"])
def test_only_consent_managers_of_the_pupils_school_may_withdraw(who, cast, pupil):
    record = record_consent(cast.office, pupil)
    with pytest.raises(PermissionDenied):
        consent_withdraw(actor=getattr(cast, who), record=record)
    record.refresh_from_db()
    assert record.withdrawn_at is None


# The never-publish flag.


def test_headteacher_sets_never_publish(cast, pupil):
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET)

    assert pupil.never_publish
    stored = Pupil.objects.get(pk=pupil.pk)
    assert (stored.never_publish, stored.never_publish_reason) == (True, SECRET)
    assert stored.never_publish_set_by == cast.head.user
    assert stored.never_publish_set_at is not None
    assert effective_consent(stored, ConsentPurpose.SOCIAL_PHOTO).state == ConsentState.NEVER_PUBLISH


@pytest.mark.parametrize("who", ["office", "senior", "teacher", "other_head"])
def test_only_the_headteacher_sets_never_publish(who, cast, pupil):
    with pytest.raises(PermissionDenied):
        pupil_set_never_publish(actor=getattr(cast, who), pupil=pupil, reason=SECRET)
    assert not Pupil.objects.get(pk=pupil.pk).never_publish


@pytest.mark.parametrize("who", ["office", "other_head"])
def test_only_the_headteacher_clears_never_publish(who, cast, pupil):
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET)
    with pytest.raises(PermissionDenied):
        pupil_clear_never_publish(actor=getattr(cast, who), pupil=pupil)
    assert Pupil.objects.get(pk=pupil.pk).never_publish


def test_never_publish_needs_a_reason(cast, pupil):
    with pytest.raises(ConsentError, match="Write down why"):
        pupil_set_never_publish(actor=cast.head, pupil=pupil, reason="   ")


def test_the_never_publish_reason_stays_out_of_the_audit_trail(cast, pupil):
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET)
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET + " (updated)")
    pupil_clear_never_publish(actor=cast.head, pupil=pupil)

    events = list(AuditEvent.objects.filter(school=cast.school).order_by("id"))
    assert [e.action for e in events] == [
        "pupil.never_publish_set",
        "pupil.never_publish_set",
        "pupil.never_publish_cleared",
    ]
    assert [e.data.get("was_already_set") for e in events[:2]] == [False, True]
    for event in events:
        assert event.actor == cast.head.user
        assert "Adoption" not in f"{event.data} {event.target_repr}"


def test_clearing_never_publish_erases_the_reason(cast, pupil):
    pupil_set_never_publish(actor=cast.head, pupil=pupil, reason=SECRET)
    pupil_clear_never_publish(actor=cast.head, pupil=pupil)

    stored = Pupil.objects.get(pk=pupil.pk)
    assert (stored.never_publish, stored.never_publish_reason, stored.never_publish_set_by) == (False, "", None)
    assert not pupil.never_publish


def test_clearing_a_flag_that_is_not_set_is_refused(cast, pupil):
    with pytest.raises(ConsentError, match="is not marked"):
        pupil_clear_never_publish(actor=cast.head, pupil=pupil)
    assert not AuditEvent.objects.exists()


# Adding pupils.


def test_office_admin_adds_a_pupil_and_it_is_audited(cast):
    pupil = pupil_create(
        actor=cast.office, first_name=" Amara ", surname="Okafor", class_group=cast.year3, year_group=3, mis_id="A123"
    )

    assert (pupil.school, pupil.first_name, pupil.class_group) == (cast.school, "Amara", cast.year3)
    event = AuditEvent.objects.get(action="pupil.created")
    assert (event.actor, event.school, event.target_id) == (cast.office.user, cast.school, str(pupil.pk))
    assert event.data == {"class_group": "Year 3 Robins", "year_group": 3, "mis_id": "A123"}


def test_class_teacher_may_not_add_a_pupil(cast):
    with pytest.raises(PermissionDenied):
        pupil_create(actor=cast.teacher, first_name="Amara", surname="Okafor")
    assert not Pupil.objects.exists()


def test_a_pupil_cannot_join_another_schools_class(cast):
    with pytest.raises(PermissionDenied, match="another school"):
        pupil_create(actor=cast.office, first_name="Amara", surname="Okafor", class_group=cast.other_class)


def test_mis_id_is_unique_within_a_school_only(cast):
    pupil_create(actor=cast.office, first_name="Amara", surname="Okafor", mis_id="A123")
    with pytest.raises(ConsentError, match="already has the MIS id A123"):
        pupil_create(actor=cast.office, first_name="Ben", surname="Ward", mis_id="A123")
    pupil_create(actor=cast.other_office, first_name="Cara", surname="Lee", mis_id="A123")
    pupil_create(actor=cast.office, first_name="Dev", surname="Shah")
    pupil_create(actor=cast.office, first_name="Eve", surname="Hart")
    assert Pupil.objects.filter(mis_id="").count() == 2
