"""Reads for the audience pages: followers to review, blocked accounts, follows. Every one is
scoped to a school, and each list is a fixed number of queries whatever its length."""

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from accounts.models import School, SocialAccount

from .models import AudienceSync, BlockedAccount, Follower, FollowerStatus, FollowRequest


def audience_accounts(*, school: School) -> list[SocialAccount]:
    """The school's accounts, each with `follower_sync` (its AudienceSync or None) and
    `api_tier` (the X API tier for X accounts, else "")."""
    accounts = list(
        SocialAccount.objects.filter(school=school)
        .exclude(status=SocialAccount.Status.DISABLED)
        .select_related("class_group")
        .prefetch_related(
            Prefetch(
                "audience_syncs",
                queryset=AudienceSync.objects.filter(kind=AudienceSync.Kind.FOLLOWERS),
                to_attr="follower_syncs",
            )
        )
    )
    for account in accounts:
        account.follower_sync = account.follower_syncs[0] if account.follower_syncs else None
        account.api_tier = settings.X_API_TIER if account.network == "x" else ""
    return accounts


def _followers(*, school: School, account: SocialAccount | None) -> QuerySet[Follower]:
    followers = Follower.objects.filter(account__school=school).select_related("account", "decided_by")
    return followers.filter(account=account) if account is not None else followers


def followers_to_review(*, school: School, account: SocialAccount | None = None) -> QuerySet[Follower]:
    """New followers still following, flagged ones first, then oldest first."""
    return (
        _followers(school=school, account=account)
        .filter(status=FollowerStatus.NEW, still_following=True)
        .order_by("-flagged", "first_seen", "pk")
    )


def followers_reviewed(*, school: School, status: str, account: SocialAccount | None = None) -> QuerySet[Follower]:
    """Followers already decided on (watched, muted, accepted), most recent decision first."""
    return _followers(school=school, account=account).filter(status=status).order_by("-decided_at", "-pk")


def blocked_accounts(*, school: School, lifted: bool = False) -> QuerySet[BlockedAccount]:
    """Blocks in force (or lifted ones), newest first, with who decided them."""
    return (
        BlockedAccount.objects.filter(account__school=school, lifted_at__isnull=not lifted)
        .select_related("account", "follower", "decided_by", "manual_done_by", "lifted_by")
        .order_by("-decided_at", "-pk")
    )


def follow_requests(*, school: School) -> QuerySet[FollowRequest]:
    return FollowRequest.objects.filter(account__school=school).select_related("account", "proposed_by", "decided_by")


def follower_for_school(*, school: School, pk: int) -> Follower:
    return Follower.objects.select_related("account__school").get(pk=pk, account__school=school)


def blocked_account_for_school(*, school: School, pk: int) -> BlockedAccount:
    return BlockedAccount.objects.select_related("account__school", "follower").get(pk=pk, account__school=school)


def follow_request_for_school(*, school: School, pk: int) -> FollowRequest:
    return FollowRequest.objects.select_related("account__school").get(pk=pk, account__school=school)
