from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from consent.models import ConsentRecord, Pupil

from . import consent_changes, notifications, retention
from .services import chains, publishing, stored_files

# Consent that ran out while the workers were down is still caught, for this many days.
EXPIRY_LOOKBACK = timedelta(days=7)


@shared_task
def publish_post(post_id: int) -> str:
    """Publish one post if it is due and unclaimed (posts.services.publishing explains the steps).
    Safe to deliver twice: the claim lets one delivery through."""
    return publishing.publish(post_id)


@shared_task
def sweep_publishing() -> dict[str, int]:
    """Every minute (beat): reconcile posts stuck in publishing, enqueue every due post."""
    return publishing.sweep()


@shared_task
def delete_expired_originals() -> int:
    """Once a day: photos' private originals go once their post is settled and the retention time has passed."""
    return retention.delete_expired_originals()


@shared_task
def delete_orphan_files() -> dict[str, int]:
    """Every 10 minutes: files that failed uploads left in a store that had stopped answering."""
    return stored_files.orphan_files_delete()


@shared_task
def sweep_expired_consent() -> dict[str, int]:
    """Time narrows consent too: a form's end date passes, a pupil leaves. Once a day, treat
    those like a withdrawal. Repeats are harmless: stopped posts stay stopped and a post has
    at most one open take-down request."""
    today = timezone.localdate()
    since = today - EXPIRY_LOOKBACK
    expired = ConsentRecord.objects.filter(expires_on__gte=since, expires_on__lt=today, withdrawn_at__isnull=True)
    left = Pupil.objects.filter(leaving_date__gt=since, leaving_date__lte=today)
    by_school: dict[int, set[int]] = {}
    for rows in (expired.values_list("pupil__school_id", "pupil_id"), left.order_by().values_list("school_id", "pk")):
        for school_id, pupil_id in rows:
            by_school.setdefault(school_id, set()).add(pupil_id)
    totals = {"stopped": 0, "take_down_requested": 0}
    for school_id, pupil_ids in by_school.items():
        outcome = consent_changes.react_to_narrowed_consent(
            school_id=school_id, pupil_ids=sorted(pupil_ids), reason="Consent has run out (end date or leaving date)."
        )
        for key, value in outcome.items():
            totals[key] += value
    return totals


@shared_task
def send_approval_digests() -> int:
    """Each morning (beat, 07:30 school time): one email per approver who chose the digest,
    listing the posts waiting for them."""
    return notifications.send_approval_digests()


@shared_task
def remind_waiting_steps() -> tuple[int, int]:
    """Every quarter of an hour (beat): approval in more than one step. A post that has waited
    at one step past its school's reminder time: its approvers are reminded, once; past the
    escalation time, the headteachers are asked, once."""
    return chains.remind_waiting_steps()
