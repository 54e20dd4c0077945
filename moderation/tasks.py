from celery import shared_task
from django.utils import timezone

from . import selectors, services


@shared_task
def remind_policy_review() -> int:
    """Daily: remind each school's headteachers a month before their policy's review date (once
    per version). Returns how many reminders were sent."""
    due = selectors.policy_versions_due_review_reminder(on=timezone.localdate())
    return sum(services.policy_review_remind(version_id=version_id) for version_id in due)
