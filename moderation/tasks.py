import logging

from celery import shared_task
from django.utils import timezone

from . import selectors, services

logger = logging.getLogger(__name__)


@shared_task
def remind_policy_review() -> int:
    """Daily: remind each school's headteachers a month before their policy's review date (once
    per version). Returns how many reminders were sent."""
    due = selectors.policy_versions_due_review_reminder(on=timezone.localdate())
    return sum(services.policy_review_remind(version_id=version_id) for version_id in due)


# The audience (issue 7).


@shared_task
def sync_audience() -> int:
    """Every 15 minutes (beat): read the followers of every active account, one task per account
    so one slow network does not hold up the others. Returns how many were enqueued."""
    from accounts.models import SocialAccount

    account_ids = list(SocialAccount.objects.filter(status=SocialAccount.Status.ACTIVE).values_list("pk", flat=True))
    for account_id in account_ids:
        sync_followers_of_account.delay(account_id)
    return len(account_ids)


@shared_task
def sync_followers_of_account(account_id: int) -> str:
    """Read one account's followers. Never fails the task: a network problem is stored on the
    account's AudienceSync by the service, and anything unexpected is logged and stored too."""
    from accounts.models import SocialAccount

    from .audience import sync_followers
    from .models import AudienceSync

    account = SocialAccount.objects.select_related("school").filter(pk=account_id).first()
    if account is None:
        return "gone"
    try:
        sync = sync_followers(account)
    except Exception:
        logger.exception("Reading the followers of account %s failed", account_id)
        AudienceSync.objects.update_or_create(
            account=account,
            kind=AudienceSync.Kind.FOLLOWERS,
            defaults={
                "last_run": timezone.now(),
                "last_error": "Something went wrong reading the followers; it is logged.",
            },
        )
        return "error"
    return "unsupported" if sync.unsupported else ("error" if sync.last_error else "ok")


# The mentions inbox (issue 7).


@shared_task
def fetch_all_mentions() -> int:
    """Every 5 minutes (beat): one task per connected account, so one slow network does not hold
    up the others. Returns how many were enqueued."""
    from accounts.models import SocialAccount

    account_ids = list(SocialAccount.objects.filter(status=SocialAccount.Status.ACTIVE).values_list("pk", flat=True))
    for account_id in account_ids:
        fetch_mentions_of_account.delay(account_id)
    return len(account_ids)


@shared_task
def fetch_mentions_of_account(account_id: int) -> int:
    """New mentions of one account, screened and added to the inbox. Never fails the task: a
    network that cannot give mentions leaves its message on the inbox page (MentionSync), and
    anything unexpected is logged. Returns how many mentions were new."""
    from accounts.models import SocialAccount

    from .inbox import fetch_mentions

    account = SocialAccount.objects.select_related("school").filter(pk=account_id).first()
    if account is None:
        return 0
    try:
        return fetch_mentions(account)
    except Exception:
        logger.exception("Fetching the mentions of account %s failed", account_id)
        return 0
