"""The daily reminder to the headteacher that the policy is due for review."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from audit.models import AuditEvent
from moderation.models import PolicyVersion
from moderation.services import policy_draft_create, policy_seed_default, policy_sign_off
from moderation.tasks import remind_policy_review


def _due_in(version: PolicyVersion, days: int) -> None:
    due = timezone.localdate() + timedelta(days=days)
    PolicyVersion.objects.filter(pk=version.pk).update(review_due=due, adopted_on=due - timedelta(days=365))


@pytest.fixture
def policy(staff, school):
    return policy_seed_default(school=school, signed_off_by=staff.head)


def test_the_headteacher_is_reminded_a_month_before_the_review_and_only_once(staff, policy):
    _due_in(policy, 30)

    assert remind_policy_review() == 1
    assert remind_policy_review() == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["head@alpha.test"]
    assert "is due for review on" in mail.outbox[0].subject
    assert "/policy/" in mail.outbox[0].body
    assert PolicyVersion.objects.get(pk=policy.pk).review_reminder_sent_at is not None
    assert AuditEvent.objects.filter(action="policy.review_reminder_sent").count() == 1


def test_no_reminder_more_than_a_month_before(staff, policy):
    _due_in(policy, 31)
    assert remind_policy_review() == 0
    assert mail.outbox == []


def test_an_overdue_policy_is_reminded_as_overdue(staff, policy):
    _due_in(policy, -3)
    assert remind_policy_review() == 1
    assert "was due for review on" in mail.outbox[0].subject


def test_only_the_current_version_is_reminded(staff, policy):
    _due_in(policy, 5)
    draft = policy_draft_create(actor=staff.computing, body="Reviewed text.")
    policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    assert remind_policy_review() == 0


def test_a_new_version_gets_its_own_reminder(staff, policy):
    _due_in(policy, 10)
    remind_policy_review()
    draft = policy_draft_create(actor=staff.computing, body="Reviewed text.")
    second = policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    _due_in(second, 20)
    assert remind_policy_review() == 1
    assert len(mail.outbox) == 2


def test_a_failed_email_is_tried_again_the_next_day(staff, policy):
    _due_in(policy, 1)
    failing = mock.patch("moderation.services.send_mail", autospec=True, side_effect=ConnectionRefusedError)
    with failing, pytest.raises(ConnectionRefusedError):
        remind_policy_review()
    assert PolicyVersion.objects.get(pk=policy.pk).review_reminder_sent_at is None
    assert remind_policy_review() == 1


def test_with_no_headteacher_the_reminder_waits(staff, policy):
    _due_in(policy, 1)
    Membership.objects.filter(pk=staff.head.pk).update(is_active=False)
    assert remind_policy_review() == 0
    assert PolicyVersion.objects.get(pk=policy.pk).review_reminder_sent_at is None


def test_the_reminder_runs_daily_from_beat():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == remind_policy_review.name)
    assert entry["schedule"] == timedelta(days=1)
