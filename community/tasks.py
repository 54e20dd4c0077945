"""The community's background work: reading followers and mentions of every connected account."""

import logging

from celery import shared_task
from django.utils import timezone

from accounts.models import SocialAccount

from . import audience, inbox, messages
from .models import AudienceSync

logger = logging.getLogger(__name__)


# The audience (issue 7).


@shared_task
def sync_audience() -> int:
    """Every 15 minutes (beat): read the followers of every active account, one task per account
    so one slow network does not hold up the others. Returns how many were enqueued."""
    account_ids = list(SocialAccount.objects.filter(status=SocialAccount.Status.ACTIVE).values_list("pk", flat=True))
    for account_id in account_ids:
        sync_followers_of_account.delay(account_id)
    return len(account_ids)


@shared_task
def sync_followers_of_account(account_id: int) -> str:
    """Read one account's followers. Never fails the task: a network problem is stored on the
    account's AudienceSync by the service, and anything unexpected is logged and stored too."""
    account = SocialAccount.objects.select_related("school").filter(pk=account_id).first()
    if account is None:
        return "gone"
    try:
        sync = audience.sync_followers(account)
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
    account_ids = list(SocialAccount.objects.filter(status=SocialAccount.Status.ACTIVE).values_list("pk", flat=True))
    for account_id in account_ids:
        fetch_mentions_of_account.delay(account_id)
    return len(account_ids)


@shared_task
def fetch_mentions_of_account(account_id: int) -> int:
    """New mentions of one account, screened and added to the inbox. Never fails the task: a
    network that cannot give mentions leaves its message on the inbox page (MentionSync), and
    anything unexpected is logged. Private messages sent to the account (issue 18) come in on
    the same run, screened the same way. Returns how many mentions and messages were new."""
    account = SocialAccount.objects.select_related("school").filter(pk=account_id).first()
    if account is None:
        return 0
    new = 0
    for fetch, what in ((inbox.fetch_mentions, "mentions"), (inbox.fetch_messages, "private messages")):
        try:
            new += fetch(account)
        except Exception:
            logger.exception("Fetching the %s of account %s failed", what, account_id)
    return new


# Private messages the school sends (issue 18).


@shared_task(bind=True, max_retries=5)
def send_outgoing_message(self, message_id: int) -> str:
    """Send one approved message: claimed, sent, recorded by the service, so a retried or
    redelivered task never sends it twice. A passing network problem is tried again later."""
    outcome = messages.message_send(message_id=message_id)
    if outcome.retry_after is not None:
        raise self.retry(countdown=outcome.retry_after)
    return outcome.status


@shared_task
def sweep_outgoing_messages() -> dict:
    """Every 5 minutes (beat): messages a dead worker left "sending", or whose task was lost."""
    return messages.sweep()
