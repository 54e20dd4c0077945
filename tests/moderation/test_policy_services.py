"""Drafting, signing off and acknowledging the school's policy (moderation.services)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from audit.models import AuditEvent
from moderation.models import PolicyAcknowledgement, PolicyVersion
from moderation.selectors import current_policy, must_acknowledge_policy
from moderation.services import (
    PolicyError,
    one_year_after,
    policy_acknowledge,
    policy_draft_create,
    policy_draft_update,
    policy_seed_default,
    policy_sign_off,
)

TODAY = timezone.localdate


@pytest.mark.parametrize("who", ["head", "computing"])
def test_the_headteacher_and_computing_lead_draft_the_policy(staff, who):
    draft = policy_draft_create(actor=getattr(staff, who), body="## Tone\n\nBe kind.")
    assert draft.number == 1 and not draft.is_signed_off
    assert AuditEvent.objects.filter(action="policy.draft_created", target_id=str(draft.pk)).exists()


@pytest.mark.parametrize("who", ["teacher", "ta", "slt", "office"])
def test_other_staff_cannot_draft_the_policy(staff, who):
    with pytest.raises(PermissionDenied):
        policy_draft_create(actor=getattr(staff, who), body="## Tone\n\nBe kind.")
    assert not PolicyVersion.objects.exists()


def test_an_empty_draft_is_refused(staff):
    with pytest.raises(ValidationError) as caught:
        policy_draft_create(actor=staff.computing, body="  \n ")
    assert "Write the policy" in str(caught.value)


def test_a_school_has_one_draft_at_a_time(staff):
    policy_draft_create(actor=staff.computing, body="First.")
    with pytest.raises(PolicyError, match="already waiting"):
        policy_draft_create(actor=staff.head, body="Second.")


def test_the_database_refuses_a_second_draft(staff, school):
    PolicyVersion.objects.create(school=school, number=1, body="A")
    with pytest.raises(IntegrityError):
        PolicyVersion.objects.create(school=school, number=2, body="B")


def test_only_the_headteacher_signs_off(staff):
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nBe kind.")
    for who in ("computing", "slt", "teacher", "office"):
        with pytest.raises(PermissionDenied, match="Only the headteacher"):
            policy_sign_off(actor=getattr(staff, who), version=draft, adopted_on=TODAY())
    assert not PolicyVersion.objects.get(pk=draft.pk).is_signed_off


def test_signing_off_adopts_the_draft_with_a_review_a_year_on(staff):
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nBe kind.")
    version = policy_sign_off(actor=staff.head, version=draft, adopted_on=date(2026, 9, 1))
    assert version.review_due == date(2027, 9, 1)
    assert version.signed_off_by == staff.head.user and version.signed_off_at is not None
    assert current_policy(school=staff.head.school) == version
    event = AuditEvent.objects.get(action="policy.signed_off")
    assert event.actor == staff.head.user and event.data["review_due"] == "2027-09-01"
    assert must_acknowledge_policy(staff.head) is None, "signing it off is reading it"


def test_sign_off_refuses_a_review_date_before_adoption_and_a_future_adoption(staff):
    draft = policy_draft_create(actor=staff.computing, body="Text.")
    with pytest.raises(ValidationError, match="review date must be after"):
        policy_sign_off(actor=staff.head, version=draft, adopted_on=TODAY(), review_due=TODAY())
    with pytest.raises(ValidationError, match="on or after the day"):
        policy_sign_off(actor=staff.head, version=draft, adopted_on=TODAY() + timedelta(days=1))
    assert not PolicyVersion.objects.get(pk=draft.pk).is_signed_off


def test_sign_off_refuses_text_changed_since_it_was_read(staff):
    read = policy_draft_create(actor=staff.computing, body="Version the head read.")
    policy_draft_update(actor=staff.computing, version=PolicyVersion.objects.get(pk=read.pk), body="Changed later.")
    with pytest.raises(PolicyError, match="changed or signed off while you were reading"):
        policy_sign_off(actor=staff.head, version=read, adopted_on=TODAY())
    assert not PolicyVersion.objects.get(pk=read.pk).is_signed_off


def test_signed_off_text_never_changes(staff):
    draft = policy_draft_create(actor=staff.computing, body="Adopted text.")
    policy_sign_off(actor=staff.head, version=draft, adopted_on=TODAY())
    with pytest.raises(PolicyError, match="can no longer change"):
        policy_draft_update(actor=staff.computing, version=draft, body="Sneaky edit.")
    assert PolicyVersion.objects.get(pk=draft.pk).body == "Adopted text.\n"


def test_the_next_draft_gets_the_next_number(staff):
    policy_seed_default(school=staff.head.school, signed_off_by=staff.head)
    assert policy_draft_create(actor=staff.computing, body="Two.").number == 2


def test_acknowledging_twice_records_once(staff):
    version = policy_seed_default(school=staff.head.school, signed_off_by=staff.head)
    first = policy_acknowledge(actor=staff.teacher, version=version)
    again = policy_acknowledge(actor=staff.teacher, version=version)
    assert first.pk == again.pk
    assert PolicyAcknowledgement.objects.filter(user=staff.teacher.user).count() == 1
    assert AuditEvent.objects.filter(action="policy.acknowledged").count() == 1


def test_a_draft_or_a_superseded_version_cannot_be_acknowledged(staff):
    first = policy_seed_default(school=staff.head.school, signed_off_by=staff.head)
    draft = policy_draft_create(actor=staff.computing, body="Two.")
    with pytest.raises(PolicyError, match="still a draft"):
        policy_acknowledge(actor=staff.teacher, version=draft)
    policy_sign_off(actor=staff.head, version=draft, adopted_on=TODAY())
    with pytest.raises(PolicyError, match="newer version"):
        policy_acknowledge(actor=staff.teacher, version=first)


def test_another_schools_staff_cannot_acknowledge(staff, outsider):
    version = policy_seed_default(school=staff.head.school, signed_off_by=staff.head)
    with pytest.raises(PermissionDenied):
        policy_acknowledge(actor=outsider.teacher, version=version)


def test_seeding_the_default_policy_is_signed_off_by_the_head_and_safe_to_repeat(staff, school):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    assert version.number == 1 and version.is_signed_off
    assert "Alpha Primary" in version.body
    assert version.review_due == one_year_after(TODAY())
    assert policy_seed_default(school=school, signed_off_by=staff.head) == version
    assert PolicyVersion.objects.filter(school=school).count() == 1


def test_only_the_schools_headteacher_signs_off_the_default_policy(staff, school, outsider):
    for who in (staff.computing, outsider.head):
        with pytest.raises(ValueError, match="own headteacher"):
            policy_seed_default(school=school, signed_off_by=who)


def test_one_year_after_a_leap_day():
    assert one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
