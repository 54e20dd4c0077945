"""The school's audience: who follows its accounts, whom it blocks, and whom it follows.

Writes only, each one checking the actor's permission and leaving an audit entry. Network calls
(mute, block, follow) are made outside database transactions: claim or check, then call, then
record (CONVENTIONS.md), so a slow network never holds a lock and a failure is recorded, not lost.

Blocking depends on what the network allows. Where its API can block, the portal blocks there.
Where it cannot (X outside the Enterprise tier), the portal mutes through the API, records the
block, and gives the admin a link to block by hand on the network, then a "done" confirmation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Membership, School, SocialAccount
from accounts.permissions import Perm, has_perm
from audit.services import record as audit_record
from moderation.engine import check_text
from moderation.rules import RuleType
from networks.base import Network, NetworkError, NetworkUser, PostNotFound
from networks.registry import get_network

from . import capabilities, staff_accounts
from .capabilities import Action
from .copyright import CopyrightClaim, reason_with_claim
from .models import AudienceSync, BlockedAccount, Follower, FollowerStatus, FollowRequest

logger = logging.getLogger(__name__)

# Screening: an account younger than this is "brand new".
NEW_ACCOUNT_DAYS = 30
# A handle ending in this many digits or more looks like one the network made up at sign-up.
DEFAULT_HANDLE_DIGITS = 5
_DEFAULT_HANDLE = re.compile(rf"\d{{{DEFAULT_HANDLE_DIGITS},}}$")
# Pages of followers one sync reads before it stops and resumes at the next run.
MAX_PAGES_PER_SYNC = 20
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class AudienceError(Exception):
    """A decision that cannot be carried out as asked; the message says why, for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Screening.


def screen_user(school: School, user: NetworkUser, *, now: datetime | None = None) -> list[dict[str, str]]:
    """What a reviewer should know about someone before accepting them as a follower: offensive
    words in their name, handle or bio (the school's own offensive-language rule), an empty
    profile, a brand-new account, a handle that looks made up by the network. Each finding is
    `{"code": ..., "message": ...}`; an empty list means nothing stood out."""
    now = now or timezone.now()
    findings: list[dict[str, str]] = []
    for code, label, text in (
        ("offensive_name", "name", user.display_name),
        ("offensive_handle", "handle", user.handle.replace("_", " ")),
        ("offensive_bio", "bio", user.description),
    ):
        words = _offensive_words(school, text)
        if words:
            quoted = ", ".join(f"“{word}”" for word in words)
            findings.append({"code": code, "message": f"Their {label} contains {quoted}: offensive or unsuitable."})
    if not user.description.strip() and not user.posts_count:
        findings.append({"code": "empty_profile", "message": "Their profile is empty: no bio and no posts."})
    if user.created_at is not None and now - user.created_at < timedelta(days=NEW_ACCOUNT_DAYS):
        days = max((now - user.created_at).days, 0)
        age = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
        findings.append({"code": "new_account", "message": f"Their account is brand new: it was made {age}."})
    if _DEFAULT_HANDLE.search(user.handle):
        findings.append(
            {
                "code": "default_handle",
                "message": f"Their handle @{user.handle} ends in a long run of digits, like the ones a network "
                "hands out at sign-up.",
            }
        )
    return findings


def _offensive_words(school: School, text: str) -> list[str]:
    if not text.strip():
        return []
    words = []
    for finding in check_text(text, school=school):
        if finding.rule == RuleType.OFFENSIVE_LANGUAGE:
            word = text[finding.start : finding.end]
            if word not in words:
                words.append(word)
    return words


# Reading followers.


def sync_followers(account: SocialAccount) -> AudienceSync:
    """Read the account's followers through its network and record them: new followers are
    screened and wait for review; those no longer following are marked so, never deleted.

    A long list is read a few pages per run and resumed at the next. Never raises for a network
    problem: the problem is stored on the account's AudienceSync, and when the network (or its
    API tier) cannot list followers at all, the network's own explanation is stored for the page.
    """
    sync, _ = AudienceSync.objects.get_or_create(account=account, kind=AudienceSync.Kind.FOLLOWERS)
    now = timezone.now()
    sync.last_run = now
    try:
        network = get_network(account)
    except NetworkError as error:
        sync.last_error = error.message
        sync.save(update_fields=["last_run", "last_error"])
        return sync
    if not network.limits.supports_follower_list:
        # The network (or its API tier) says no: do not spend a request to hear it. The base
        # class's answer names the network ("… is not available on this network (X).").
        try:
            Network.followers(network)
        except NetworkError as error:
            sync.unsupported, sync.last_error = error.message, ""
        sync.save(update_fields=["last_run", "unsupported", "last_error"])
        return sync

    cursor = sync.cursor or None
    pass_started = sync.pass_started_at if cursor and sync.pass_started_at else now
    try:
        for _page in range(MAX_PAGES_PER_SYNC):
            users, cursor = network.followers(cursor)
            _record_followers(account, users, seen_at=now)
            staff_accounts.check_followers(account, users, now=now)
            if cursor is None:
                break
    except NetworkError as error:
        sync.last_error = error.message
        sync.save(update_fields=["last_run", "last_error"])
        return sync

    if cursor is None:
        # A whole pass is done: whoever it did not see has stopped following.
        Follower.objects.filter(account=account, still_following=True, last_seen__lt=pass_started).update(
            still_following=False
        )
        sync.cursor, sync.pass_started_at, sync.last_success = "", None, now
    else:
        sync.cursor, sync.pass_started_at = cursor, pass_started
    sync.last_error = sync.unsupported = ""
    sync.save(update_fields=["last_run", "last_success", "last_error", "unsupported", "cursor", "pass_started_at"])
    return sync


def _profile_fields(user: NetworkUser) -> dict[str, Any]:
    values = (
        user.handle,
        user.display_name[:200],
        user.description,
        user.url[:500],
        user.created_at,
        user.followers_count,
        user.following_count,
        user.posts_count,
        user.is_private,
    )
    return dict(zip(_PROFILE_FIELDS, values, strict=True))


_PROFILE_FIELDS = (
    "handle",
    "display_name",
    "bio",
    "profile_url",
    "network_created_at",
    "followers_count",
    "following_count",
    "posts_count",
    "is_private",
)


def _record_followers(account: SocialAccount, users: list[NetworkUser], *, seen_at: datetime) -> None:
    known = {
        f.network_user_id: f
        for f in Follower.objects.filter(account=account, network_user_id__in=[u.id for u in users])
    }
    new, changed = [], []
    for user in users:
        follower = known.get(user.id)
        if follower is None:
            findings = screen_user(account.school, user, now=seen_at)
            new.append(
                Follower(
                    account=account,
                    network_user_id=user.id,
                    first_seen=seen_at,
                    last_seen=seen_at,
                    findings=findings,
                    flagged=bool(findings),
                    **_profile_fields(user),
                )
            )
            continue
        profile_changed = (follower.display_name, follower.bio, follower.handle) != (
            user.display_name[:200],
            user.description,
            user.handle,
        )
        for name, value in _profile_fields(user).items():
            setattr(follower, name, value)
        follower.last_seen, follower.still_following = seen_at, True
        if profile_changed:
            follower.findings = screen_user(account.school, user, now=seen_at)
            newly_flagged = bool(follower.findings) and not follower.flagged
            follower.flagged = bool(follower.findings)
            if newly_flagged and follower.status == FollowerStatus.ACCEPTED:
                # Someone accepted earlier has changed their profile into something to look at again.
                follower.status = FollowerStatus.NEW
        changed.append(follower)
    # ignore_conflicts: a sync started by hand can overlap the periodic one.
    Follower.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        Follower.objects.bulk_update(
            changed, [*_PROFILE_FIELDS, "last_seen", "still_following", "findings", "flagged", "status"]
        )


# Decisions about followers.


def _check_may_review(actor: Membership, account: SocialAccount) -> None:
    if not has_perm(actor, Perm.REVIEW_AUDIENCE):
        raise PermissionDenied("Only the headteacher and the office admin review followers and blocks.")
    if actor.school_id != account.school_id:
        raise PermissionDenied("That account belongs to another school.")


def _decide(
    *, actor: Membership, follower: Follower, status: str, reason: str = "", request: HttpRequest | None = None
) -> Follower:
    _check_may_review(actor, follower.account)
    with transaction.atomic():
        follower = Follower.objects.select_for_update().select_related("account__school").get(pk=follower.pk)
        if follower.status == FollowerStatus.BLOCKED:
            raise AudienceError(f"@{follower.handle} is blocked: lift the block on the blocked accounts page first.")
        before = follower.status
        follower.status, follower.reason = status, reason.strip()
        follower.decided_by, follower.decided_at = actor.user, timezone.now()
        follower.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit_record(
            action=f"follower.{status}",
            actor=actor.user,
            school=follower.account.school,
            target=follower,
            data={
                "account": follower.account.handle,
                "handle": follower.handle,
                "network_user_id": follower.network_user_id,
                "before": before,
                "reason": follower.reason,
                "findings": follower.findings,
            },
            request=request,
        )
    return follower


def follower_accept(*, actor: Membership, follower: Follower, request: HttpRequest | None = None) -> Follower:
    return _decide(actor=actor, follower=follower, status=FollowerStatus.ACCEPTED, request=request)


def follower_watch(
    *, actor: Membership, follower: Follower, reason: str = "", request: HttpRequest | None = None
) -> Follower:
    return _decide(actor=actor, follower=follower, status=FollowerStatus.WATCHED, reason=reason, request=request)


def follower_mute(
    *, actor: Membership, follower: Follower, reason: str = "", request: HttpRequest | None = None
) -> Follower:
    """Mute through the network first; only a mute the network accepted is recorded."""
    _check_may_review(actor, follower.account)
    if follower.status == FollowerStatus.BLOCKED:
        raise AudienceError(f"@{follower.handle} is blocked: lift the block on the blocked accounts page first.")
    _check_network_allows(follower.account, Action.MUTE)
    try:
        get_network(follower.account).mute(follower.network_user_id)
    except NetworkError as error:
        raise AudienceError(f"@{follower.handle} was not muted: {error.message}") from error
    return _decide(actor=actor, follower=follower, status=FollowerStatus.MUTED, reason=reason, request=request)


def follower_block(
    *,
    actor: Membership,
    follower: Follower,
    reason: str,
    copyright: CopyrightClaim | None = None,
    request: HttpRequest | None = None,
) -> BlockOutcome:
    return block_user(
        actor=actor,
        account=follower.account,
        user=follower_as_network_user(follower),
        reason=reason,
        evidence={"findings": follower.findings},
        follower=follower,
        copyright=copyright,
        request=request,
    )


def _check_network_allows(account: SocialAccount, action: Action) -> None:
    refused = capabilities.refusal(account, action)
    if refused:
        raise AudienceError(refused)


def follower_remove(
    *, actor: Membership, follower: Follower, reason: str, request: HttpRequest | None = None
) -> Follower:
    """Make someone stop following the account, with a reason, through the network first (outside
    any transaction); only a removal the network accepted is recorded. The follower's row is
    kept, no longer following; they may follow again, and are then screened again."""
    _check_may_review(actor, follower.account)
    reason = reason.strip()
    if not reason:
        raise AudienceError("Say why you are removing this follower: the reason is kept with the decision.")
    if not follower.still_following:
        raise AudienceError(f"@{follower.handle} no longer follows @{follower.account.handle}.")
    _check_network_allows(follower.account, Action.REMOVE_FOLLOWER)
    try:
        get_network(follower.account).remove_follower(follower.network_user_id)
    except NetworkError as error:
        raise AudienceError(f"@{follower.handle} still follows @{follower.account.handle}: {error.message}") from error
    with transaction.atomic():
        follower = Follower.objects.select_for_update().select_related("account__school").get(pk=follower.pk)
        follower.still_following, follower.reason = False, reason
        follower.decided_by, follower.decided_at = actor.user, timezone.now()
        if follower.status == FollowerStatus.NEW:
            # Decided on: a removed follower does not wait in the review queue if they come back.
            follower.status = FollowerStatus.WATCHED
        follower.save(update_fields=["still_following", "reason", "decided_by", "decided_at", "status"])
        audit_record(
            action="follower.removed",
            actor=actor.user,
            school=follower.account.school,
            target=follower,
            data={
                "account": follower.account.handle,
                "handle": follower.handle,
                "network_user_id": follower.network_user_id,
                "reason": reason,
                "findings": follower.findings,
            },
            request=request,
        )
    return follower


@dataclass(frozen=True)
class ReportedPost:
    """One of their posts sent with a report (as the inbox saw it)."""

    id: str
    text: str
    url: str = ""


def report_user(
    *,
    actor: Membership,
    account: SocialAccount,
    user: NetworkUser,
    reason: str,
    posts: list[ReportedPost] | None = None,
    target: models.Model | None = None,
    copyright: CopyrightClaim | None = None,
    request: HttpRequest | None = None,
) -> str:
    """Report `user` (and `posts` of theirs) to the network's moderators with a reason: for any
    part of the portal that reports someone. The network is called outside any transaction and
    only a report it accepted is recorded, against `target` (the follower, block or mention it
    came from) or else the account; returns the message to show. A `copyright` claim goes to the
    moderators with the reason, and is kept in the audit entry with a snapshot of the account."""
    _check_may_review(actor, account)
    reason = reason_with_claim(reason, copyright)
    if not reason:
        raise AudienceError("Say why you are reporting this account: the moderators read your reason.")
    _check_network_allows(account, Action.REPORT)
    posts = posts or []
    try:
        network = get_network(account)
        network.report(user.id, reason, [post.id for post in posts])
    except NetworkError as error:
        raise AudienceError(f"@{user.handle} was not reported: {error.message}") from error
    audit_record(
        action="audience.reported",
        actor=actor.user,
        school=account.school,
        target=target or account,
        data={
            "account": account.handle,
            "handle": user.handle,
            "network_user_id": user.id,
            "reason": reason,
            "posts": [{"id": post.id, "text": post.text, "url": post.url} for post in posts],
            **(
                {"copyright": copyright.as_evidence(), "snapshot": _profile_snapshot(user)}
                if copyright is not None
                else {}
            ),
        },
        request=request,
    )
    sent = f" with {len(posts)} of their posts" if len(posts) > 1 else " with their post" if posts else ""
    return f"@{user.handle} is reported to the moderators on {network.label}{sent}."


def follower_report(
    *,
    actor: Membership,
    follower: Follower,
    reason: str,
    copyright: CopyrightClaim | None = None,
    request: HttpRequest | None = None,
) -> str:
    return report_user(
        actor=actor,
        account=follower.account,
        user=follower_as_network_user(follower),
        reason=reason,
        target=follower,
        copyright=copyright,
        request=request,
    )


def _profile_snapshot(user: NetworkUser) -> dict[str, Any]:
    """The account as it was seen when acted on (the network may change or lose it)."""
    return {
        "seen_at": timezone.now().isoformat(),
        "handle": user.handle,
        "display_name": user.display_name,
        "bio": user.description,
        "profile_url": user.url,
    }


def blocked_report(
    *,
    actor: Membership,
    blocked: BlockedAccount,
    reason: str,
    copyright: CopyrightClaim | None = None,
    request: HttpRequest | None = None,
) -> str:
    """Report a blocked account, with the posts kept as the block's evidence that carry their network id."""
    posts = [
        ReportedPost(id=str(post["id"]), text=str(post.get("text", "")), url=str(post.get("url", "")))
        for post in (blocked.evidence or {}).get("posts", [])
        if isinstance(post, dict) and post.get("id")
    ]
    user = NetworkUser(id=blocked.network_user_id, handle=blocked.handle, display_name=blocked.display_name)
    return report_user(
        actor=actor,
        account=blocked.account,
        user=user,
        reason=reason,
        posts=posts,
        target=blocked,
        copyright=copyright,
        request=request,
    )


def follower_as_network_user(follower: Follower) -> NetworkUser:
    return NetworkUser(
        id=follower.network_user_id,
        handle=follower.handle,
        display_name=follower.display_name,
        description=follower.bio,
        created_at=follower.network_created_at,
        followers_count=follower.followers_count,
        following_count=follower.following_count,
        posts_count=follower.posts_count,
        url=follower.profile_url,
        is_private=follower.is_private,
    )


# Blocks.


@dataclass(frozen=True)
class BlockOutcome:
    blocked: BlockedAccount
    # What the admin should read next: done, or what is left for them to do by hand.
    message: str


def block_user(
    *,
    actor: Membership,
    account: SocialAccount,
    user: NetworkUser,
    reason: str,
    evidence: dict[str, Any] | None = None,
    follower: Follower | None = None,
    copyright: CopyrightClaim | None = None,
    request: HttpRequest | None = None,
) -> BlockOutcome:
    """Block `user` from `account` with a reason, keeping a snapshot of what they showed.

    For any part of the portal that blocks someone (the followers queue, the mentions inbox):
    `evidence` adds to the snapshot, e.g. `{"posts": [{"text": ..., "url": ..., "created_at": ...}]}`
    (plain JSON: times as ISO strings; the blocked accounts page and CSV show `posts[].text`).
    Where the network cannot block through its API (or refuses to), the account is muted there
    instead and the block waits for the admin to do it by hand at `block_url`. A `copyright` claim
    is kept in the evidence (`evidence["copyright"]`) and stands as the reason when none is typed.
    """
    _check_may_review(actor, account)
    reason = reason_with_claim(reason, copyright)
    if not reason:
        raise AudienceError("Say why you are blocking this account: the reason is kept with the block.")
    if BlockedAccount.objects.filter(account=account, network_user_id=user.id, lifted_at__isnull=True).exists():
        raise AudienceError(f"@{user.handle} is already blocked from @{account.handle}.")

    how, muted, problems, block_url = None, False, [], ""
    network: Network | None
    try:
        network = get_network(account)
    except NetworkError as error:
        network, problems = None, [error.message]
    if network is not None and network.limits.supports_block:
        try:
            network.block(user.id)
            how = BlockedAccount.How.API
        except NetworkError as error:
            problems.append(error.message)
    if how is None:
        how = BlockedAccount.How.MANUAL_PENDING
        block_url = (network.block_url(user) if network is not None else "") or user.url
        refused = capabilities.refusal(account, Action.MUTE) if network is not None else None
        if refused:
            problems.append(refused)
        elif network is not None:
            try:
                network.mute(user.id)
                muted = True
            except NetworkError as error:
                problems.append(f"Muting did not work either: {error.message}")

    now = timezone.now()
    snapshot = {
        "seen_at": now.isoformat(),
        "handle": user.handle,
        "display_name": user.display_name,
        "bio": user.description,
        "profile_url": user.url,
        **(evidence or {}),
        **({"copyright": copyright.as_evidence()} if copyright is not None else {}),
    }
    blocked = BlockedAccount(
        account=account,
        follower=follower,
        network_user_id=user.id,
        handle=user.handle,
        display_name=user.display_name[:200],
        reason=reason,
        evidence=snapshot,
        decided_by=actor.user,
        decided_at=now,
        how=how,
        muted_via_api=muted,
        network_error=" ".join(problems),
        block_url=block_url[:500],
    )
    try:
        with transaction.atomic():
            blocked.save()
            if follower is not None:
                Follower.objects.filter(pk=follower.pk).update(
                    status=FollowerStatus.BLOCKED, reason=reason, decided_by=actor.user, decided_at=now
                )
            audit_record(
                action="audience.blocked",
                actor=actor.user,
                school=account.school,
                target=blocked,
                data={
                    "account": account.handle,
                    "handle": user.handle,
                    "network_user_id": user.id,
                    "reason": reason,
                    "how": how,
                    "muted_via_api": muted,
                    "network_error": blocked.network_error,
                    "evidence": snapshot,
                },
                request=request,
            )
    except IntegrityError:
        raise AudienceError(f"@{user.handle} is already blocked from @{account.handle}.") from None
    return BlockOutcome(blocked=blocked, message=_block_message(blocked, account))


def _block_message(blocked: BlockedAccount, account: SocialAccount) -> str:
    if blocked.how == BlockedAccount.How.API:
        return f"@{blocked.handle} is blocked from @{account.handle}."
    muted = (
        f"@{blocked.handle} is muted on @{account.handle}"
        if blocked.muted_via_api
        else f"@{blocked.handle} could not be muted either ({blocked.network_error})"
    )
    return (
        f"The block is recorded, but this network does not let the portal block accounts. {muted}. "
        f"Block them by hand on the network, then press “Done, I blocked them”."
    )


def block_manual_done(*, actor: Membership, blocked: BlockedAccount, request: HttpRequest | None = None) -> None:
    """The admin confirms they have blocked the account by hand on the network."""
    _check_may_review(actor, blocked.account)
    now = timezone.now()
    with transaction.atomic():
        claimed = BlockedAccount.objects.filter(
            pk=blocked.pk, how=BlockedAccount.How.MANUAL_PENDING, lifted_at__isnull=True
        ).update(how=BlockedAccount.How.MANUAL_DONE, manual_done_by=actor.user, manual_done_at=now)
        if claimed != 1:
            raise AudienceError(f"The block of @{blocked.handle} is not waiting to be done by hand.")
        blocked.refresh_from_db()
        audit_record(
            action="audience.block_done_by_hand",
            actor=actor.user,
            school=blocked.account.school,
            target=blocked,
            data={
                "account": blocked.account.handle,
                "handle": blocked.handle,
                "network_user_id": blocked.network_user_id,
            },
            request=request,
        )


def block_lift(*, actor: Membership, blocked: BlockedAccount, reason: str, request: HttpRequest | None = None) -> str:
    """Lift a block, with a reason. Undoes what the portal did on the network (block or mute);
    a block made by hand must be undone by hand, and the message returned says so. The row is
    kept with who lifted it and why; a follower goes back to "watched"."""
    _check_may_review(actor, blocked.account)
    reason = reason.strip()
    if not reason:
        raise AudienceError("Say why you are lifting the block: the reason is kept with it.")
    if blocked.lifted_at is not None:
        raise AudienceError(f"The block of @{blocked.handle} was already lifted.")
    account = blocked.account
    notes = []
    try:
        network = get_network(account)
        if blocked.how == BlockedAccount.How.API:
            network.unblock(blocked.network_user_id)
    except NetworkError as error:
        raise AudienceError(f"@{blocked.handle} is still blocked: the network said “{error.message}”") from error
    if blocked.muted_via_api:
        try:
            network.unmute(blocked.network_user_id)
        except NetworkError as error:
            notes.append(f"The portal could not unmute them ({error.message}): unmute them by hand on the network.")
    if blocked.how != BlockedAccount.How.API:
        notes.append("The block was made by hand: unblock them by hand on the network too.")

    now = timezone.now()
    with transaction.atomic():
        lifted = BlockedAccount.objects.filter(pk=blocked.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor.user, lift_reason=reason
        )
        if lifted != 1:
            raise AudienceError(f"The block of @{blocked.handle} was already lifted.")
        if blocked.follower_id is not None:
            Follower.objects.filter(pk=blocked.follower_id, status=FollowerStatus.BLOCKED).update(
                status=FollowerStatus.WATCHED, reason=reason, decided_by=actor.user, decided_at=now
            )
        blocked.refresh_from_db()
        audit_record(
            action="audience.block_lifted",
            actor=actor.user,
            school=account.school,
            target=blocked,
            data={"account": account.handle, "handle": blocked.handle, "how": blocked.how, "reason": reason},
            request=request,
        )
    return " ".join([f"The block of @{blocked.handle} is lifted.", *notes])


# Following: proposed by any member of staff, decided by the headteacher.


def follow_request_propose(
    *, actor: Membership, account: SocialAccount, handle: str, why: str, request: HttpRequest | None = None
) -> FollowRequest:
    if actor is None or not actor.is_active or actor.school_id != account.school_id:
        raise PermissionDenied("Only the school's staff can propose accounts to follow.")
    handle = handle.strip().removeprefix("@")
    why = why.strip()
    if not _HANDLE.match(handle):
        raise AudienceError("Write the account's handle, e.g. @booktrust: letters, digits and underscores only.")
    if not why:
        raise AudienceError("Say why the school should follow this account: the headteacher decides on it.")
    if FollowRequest.objects.filter(account=account, handle__iexact=handle, status__in=_OPEN).exists():
        raise AudienceError(f"@{account.handle} already follows @{handle}, or a request for it is waiting.")
    user_id, display_name = "", ""
    try:
        found = get_network(account).user_by_handle(handle)
        user_id, display_name, handle = found.id, found.display_name, found.handle
    except PostNotFound as error:
        raise AudienceError(error.message) from error
    except NetworkError:
        pass  # looked up again when the headteacher approves; the handle is enough to decide on
    try:
        with transaction.atomic():
            follow_request = FollowRequest.objects.create(
                account=account,
                handle=handle,
                network_user_id=user_id,
                display_name=display_name[:200],
                why=why,
                proposed_by=actor.user,
            )
            audit_record(
                action="follow_request.proposed",
                actor=actor.user,
                school=account.school,
                target=follow_request,
                data={"account": account.handle, "handle": handle, "why": why},
                request=request,
            )
    except IntegrityError:
        raise AudienceError(f"A request for @{account.handle} to follow @{handle} is already waiting.") from None
    return follow_request


_OPEN = [FollowRequest.Status.PROPOSED, FollowRequest.Status.APPROVED, FollowRequest.Status.FOLLOWED]


def _check_may_decide_follow(actor: Membership, follow_request: FollowRequest) -> None:
    if not has_perm(actor, Perm.APPROVE_FOLLOWING):
        raise PermissionDenied("Only the headteacher decides which accounts the school follows.")
    if actor.school_id != follow_request.account.school_id:
        raise PermissionDenied("That request belongs to another school.")


def follow_request_approve(
    *, actor: Membership, follow_request: FollowRequest, note: str = "", request: HttpRequest | None = None
) -> FollowRequest:
    """Approve, then follow through the network (outside any transaction), then record whether
    it worked. A request whose follow failed can be approved again to retry."""
    _check_may_decide_follow(actor, follow_request)
    account = follow_request.account
    with transaction.atomic():
        claimed = FollowRequest.objects.filter(
            pk=follow_request.pk, status__in=[FollowRequest.Status.PROPOSED, FollowRequest.Status.FAILED]
        ).update(
            status=FollowRequest.Status.APPROVED,
            decided_by=actor.user,
            decided_at=timezone.now(),
            decision_note=note.strip(),
            error="",
        )
        if claimed != 1:
            raise AudienceError(f"The request to follow @{follow_request.handle} was already decided.")
        audit_record(
            action="follow_request.approved",
            actor=actor.user,
            school=account.school,
            target=follow_request,
            data={"account": account.handle, "handle": follow_request.handle, "note": note.strip()},
            request=request,
        )
    follow_request.refresh_from_db()

    user_id, error_message = follow_request.network_user_id, ""
    try:
        network = get_network(account)
        if not user_id:
            user_id = network.user_by_handle(follow_request.handle).id
        network.follow(user_id)
    except NetworkError as error:
        error_message = error.message
    with transaction.atomic():
        if error_message:
            follow_request.status, follow_request.error = FollowRequest.Status.FAILED, error_message
        else:
            follow_request.status, follow_request.followed_at = FollowRequest.Status.FOLLOWED, timezone.now()
        follow_request.network_user_id = user_id
        follow_request.save(update_fields=["status", "error", "followed_at", "network_user_id"])
        audit_record(
            action="follow_request.failed" if error_message else "follow_request.followed",
            actor=actor.user,
            school=account.school,
            target=follow_request,
            data={"account": account.handle, "handle": follow_request.handle, "error": error_message},
            request=request,
        )
    return follow_request


def follow_request_decline(
    *, actor: Membership, follow_request: FollowRequest, note: str, request: HttpRequest | None = None
) -> FollowRequest:
    _check_may_decide_follow(actor, follow_request)
    note = note.strip()
    if not note:
        raise AudienceError("Say why, so the colleague who proposed it knows.")
    with transaction.atomic():
        claimed = FollowRequest.objects.filter(
            pk=follow_request.pk, status__in=[FollowRequest.Status.PROPOSED, FollowRequest.Status.FAILED]
        ).update(
            status=FollowRequest.Status.DECLINED, decided_by=actor.user, decided_at=timezone.now(), decision_note=note
        )
        if claimed != 1:
            raise AudienceError(f"The request to follow @{follow_request.handle} was already decided.")
        audit_record(
            action="follow_request.declined",
            actor=actor.user,
            school=follow_request.account.school,
            target=follow_request,
            data={"account": follow_request.account.handle, "handle": follow_request.handle, "note": note},
            request=request,
        )
    follow_request.refresh_from_db()
    return follow_request


def follow_request_unfollow(
    *, actor: Membership, follow_request: FollowRequest, reason: str, request: HttpRequest | None = None
) -> FollowRequest:
    """The headteacher stops following an account, with a reason. The portal unfollows through
    the network first (outside any transaction); only an unfollow the network accepted is
    recorded, and the request is kept as history (`unfollowed`, with who, when and why).

    No claim before the call: unfollowing is harmless to repeat on the networks, so two presses
    at once both unfollow and the second is told it was already done."""
    _check_may_decide_follow(actor, follow_request)
    reason = reason.strip()
    if not reason:
        raise AudienceError("Say why the school should stop following this account: the reason is kept.")
    account = follow_request.account
    if follow_request.status != FollowRequest.Status.FOLLOWED:
        raise AudienceError(f"@{account.handle} does not follow @{follow_request.handle} through the portal.")
    try:
        network = get_network(account)
        user_id = follow_request.network_user_id or network.user_by_handle(follow_request.handle).id
        network.unfollow(user_id)
    except NetworkError as error:
        audit_record(
            action="follow_request.unfollow_failed",
            actor=actor.user,
            school=account.school,
            target=follow_request,
            data={"account": account.handle, "handle": follow_request.handle, "reason": reason, "error": error.message},
            request=request,
        )
        raise AudienceError(
            f"@{account.handle} still follows @{follow_request.handle}: the network said “{error.message}”"
        ) from error
    now = timezone.now()
    with transaction.atomic():
        stopped = FollowRequest.objects.filter(pk=follow_request.pk, status=FollowRequest.Status.FOLLOWED).update(
            status=FollowRequest.Status.UNFOLLOWED, unfollowed_by=actor.user, unfollowed_at=now, unfollow_reason=reason
        )
        if stopped != 1:
            raise AudienceError(f"@{account.handle} had already stopped following @{follow_request.handle}.")
        audit_record(
            action="follow_request.unfollowed",
            actor=actor.user,
            school=account.school,
            target=follow_request,
            data={"account": account.handle, "handle": follow_request.handle, "reason": reason},
            request=request,
        )
    follow_request.refresh_from_db()
    return follow_request
