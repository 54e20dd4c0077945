"""Trip mode: the headteacher lends the whole-school account to a named member of staff for a
few school days (a residential, a sports tournament), so posts from the trip go out the same
day instead of waiting for an approver back at school.

The delegate's posts still pass every check (content, the school's rules, consent at submit and
at approval); only the wait is skipped. Each one is approved on the delegate's authority, audited
as `post.approved_on_trip` with the delegation, and the headteachers are emailed about it.
Dates are school days in the school's time zone, both ends included.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from accounts.approval_chains import chain_length
from accounts.models import Delegation, Membership, SocialAccount
from accounts.permissions import Perm, has_perm
from accounts.selectors import staff_for_school
from accounts.trip_grants import active_delegation, active_delegations
from audit.services import record
from consent.checks import Stage

from .. import notifications
from ..models import Post, PostComment
from ..outside import outside_label, reposted_content, unread_outside
from .checks import (
    ContentProblem,
    PostBlocked,
    consent_check,
    post_content_problems,
    post_rules_findings,
)
from .destination_checks import account_label, destinations_check, post_destinations
from .destination_checks import refuse_if_blocked as refuse_if_destinations_blocked
from .review import approve_and_hand_over, authors_time
from .transitions import TransitionError

# Posts skip approval while trip mode is on, so it is kept to the length of a trip.
MAX_DAYS = 14


class DelegationRefused(Exception):
    """The delegation cannot be made or changed; the message says why, for the headteacher."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _day(value: date) -> str:
    return date_format(value, "l j F Y")


# Reads


def delegations_for_school(*, school) -> QuerySet:
    """Every delegation of the school, newest trip first, for the trip mode page."""
    return Delegation.objects.filter(account__school=school).select_related(
        "account", "delegate", "created_by", "revoked_by"
    )


def delegations_for_delegate(*, membership: Membership, on: date | None = None) -> list[Delegation]:
    """The delegations in force today for this person at their school (the compose page's banner)."""
    return list(
        active_delegations(school=membership.school_id, on=on)
        .filter(delegate_id=membership.user_id, account__kind=SocialAccount.Kind.WHOLE_SCHOOL)
        .select_related("account")
        .order_by("ends_on")
    )


def may_be_delegate(membership: Membership) -> bool:
    return membership.is_active and has_perm(membership, Perm.DRAFT_POSTS)


def possible_delegates(*, actor: Membership) -> list[Membership]:
    """Staff the headteacher may name: active, at the school, allowed to draft posts, not themself."""
    return [m for m in staff_for_school(school=actor.school).exclude(pk=actor.pk) if may_be_delegate(m)]


# Changes


def delegation_create(
    *,
    actor: Membership,
    account: SocialAccount,
    delegate_membership: Membership,
    starts_on: date,
    ends_on: date,
    note: str = "",
) -> Delegation:
    if not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS):
        raise PermissionDenied("Only the headteacher can turn on trip mode.")
    if account.school_id != actor.school_id or delegate_membership.school_id != actor.school_id:
        raise PermissionDenied("That account or person belongs to another school.")
    if account.kind != SocialAccount.Kind.WHOLE_SCHOOL:
        raise DelegationRefused("Trip mode is for the whole-school account. Class accounts keep their usual approval.")
    if delegate_membership.pk == actor.pk:
        raise DelegationRefused("Choose someone other than yourself: trip mode lets another person post without you.")
    if not may_be_delegate(delegate_membership):
        raise DelegationRefused(
            f"{delegate_membership.user} cannot draft posts, so they cannot post during a trip. "
            "Choose a teacher or senior leader who is on the staff."
        )
    today = timezone.localdate()
    if ends_on < starts_on:
        raise DelegationRefused("The last day is before the first day. Check the dates.")
    if starts_on < today:
        raise DelegationRefused(f"The first day has already passed. Start on {_day(today)} or later.")
    days = (ends_on - starts_on).days + 1
    if days > MAX_DAYS:
        raise DelegationRefused(
            f"Trip mode can last at most {MAX_DAYS} days, and these dates cover {days}. Posts skip approval "
            "while it is on, so keep it to the trip itself."
        )
    note = note.strip()
    with transaction.atomic():
        # One change at a time per account, so two overlapping trips cannot both be saved.
        SocialAccount.objects.select_for_update().filter(pk=account.pk).exists()
        clash = (
            Delegation.objects.filter(account=account, revoked_at__isnull=True)
            .filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
            .select_related("delegate")
            .first()
        )
        if clash is not None:
            raise DelegationRefused(
                f"Trip mode is already on for @{account.handle} from {_day(clash.starts_on)} to "
                f"{_day(clash.ends_on)} ({clash.delegate}). End that one first, or choose other dates."
            )
        delegation = Delegation(
            account=account,
            delegate=delegate_membership.user,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note,
            created_by=actor.user,
        )
        delegation.full_clean()
        delegation.save()
        record(
            action="delegation.created",
            actor=actor.user,
            school=account.school,
            target=delegation,
            data={
                "account_id": account.pk,
                "delegate_id": delegate_membership.user_id,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "note": note,
            },
        )
        notifications.notify_delegation_created(delegation)
    return delegation


def delegation_revoke(*, actor: Membership, delegation: Delegation) -> None:
    """End trip mode now (or cancel one that has not started). Posts already sent stay as they are."""
    if not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS):
        raise PermissionDenied("Only the headteacher can end trip mode.")
    if delegation.account.school_id != actor.school_id:
        raise PermissionDenied("That trip belongs to another school.")
    if delegation.ends_on < timezone.localdate():
        raise DelegationRefused("That trip mode has already ended.")
    now = timezone.now()
    with transaction.atomic():
        ended = Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor.user
        )
        if ended != 1:
            raise DelegationRefused("That trip mode has already been ended.")
        delegation.revoked_at, delegation.revoked_by = now, actor.user
        record(
            action="delegation.revoked",
            actor=actor.user,
            school=delegation.account.school,
            target=delegation,
            data={"account_id": delegation.account_id, "delegate_id": delegation.delegate_id},
        )


# The trip path


def post_approve_if_on_trip(*, actor: Membership, post: Post) -> bool:
    """Called by posts.services.compose.post_submit inside its transaction, once the post is submitted:
    if the author is on a trip for the post's account today, approve it now and return True."""
    delegation = active_delegation(actor, post.account)
    if delegation is None:
        return False
    # Trip mode lends one account. A post that also goes to an account the author was not lent
    # for this trip would reach it with nobody's approval: it waits for an approver instead.
    not_lent = [
        destination.account
        for destination in post_destinations(post)
        if active_delegation(actor, destination.account) is None
    ]
    if not_lent:
        names = ", ".join(account_label(account) for account in not_lent)
        PostComment.objects.create(
            post=post,
            kind=PostComment.Kind.SYSTEM,
            body=f"Trip mode did not approve this post: it also goes to {names}, which trip mode has not lent to "
            f"{actor.user}. It waits for an approver, who approves it for every account at once.",
        )
        record(
            action="post.trip_approval_withheld",
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={"delegation_id": delegation.pk, "accounts_not_lent": [account.pk for account in not_lent]},
        )
        return False
    unread = unread_outside(post)
    if unread:
        # Nobody has read these words for pupils, and on a trip nobody else looks before it goes
        # out: an approver must open them and say so (posts.services.review.post_approve), so it waits.
        what = ", ".join(outside_label(row) for row in unread)
        PostComment.objects.create(
            post=post,
            kind=PostComment.Kind.SYSTEM,
            body=f"Trip mode did not approve this post: the portal could not read {what}. It waits for an "
            "approver, who will open it and check it names or shows no pupil without consent.",
        )
        record(
            action="post.trip_approval_withheld",
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={"delegation_id": delegation.pk, "unread_outside": [row.url for row in unread]},
        )
        return False
    if _reposted_pictures(post):
        # The portal reads a reposted post's picture descriptions, not the faces in the pictures:
        # someone must look at them, and on a trip nobody else looks before it goes out.
        PostComment.objects.create(post=post, kind=PostComment.Kind.SYSTEM, body=REPOST_PICTURES_ON_TRIP)
        record(
            action="post.trip_approval_withheld",
            actor=actor.user,
            school=post.account.school,
            target=post,
            data={"delegation_id": delegation.pk, "repost_pictures": True},
        )
        return False
    post_approve_on_trip(actor=actor, post=post, delegation=delegation)
    return True


REPOST_PICTURES_ON_TRIP = (
    "Trip mode did not approve this repost: the post it shares has pictures, and an approver must look at "
    "them for pupils without consent. It waits for an approver."
)


def _reposted_pictures(post: Post) -> bool:
    row = reposted_content(post) if post.repost_url else None
    return bool(row and row.media)


def post_approve_on_trip(*, actor: Membership, post: Post, delegation: Delegation) -> None:
    """Approve a submitted post on the delegate's authority: the checks an approver's approval
    runs, then the claim, the audit entry, publishing and the headteachers' email.

    PostBlocked lists what stops it (the caller's transaction rolls the submission back, so
    the author gets their draft and the reasons, as with any refused submission).
    """
    if post.author_id != actor.user_id or delegation.delegate_id != actor.user_id:
        raise PermissionDenied("Only the person named for the trip can post this way.")
    if delegation.account_id != post.account_id:
        raise PermissionDenied("Trip mode is on for another account.")
    # There is no approver to catch what the author's checks missed, so the post's own content
    # and the school's blocking rules are checked again here, whichever way it was submitted.
    current = Post.objects.select_related("account__school").get(pk=post.pk)
    problems = post_content_problems(current)
    findings = post_rules_findings(current)
    problems += [ContentProblem(f"rule:{f.rule}", f.message) for f in findings or () if f.severity == "block"]
    if problems:
        raise PostBlocked(" ".join(p.message for p in problems), problems)
    check = consent_check(post, Stage.APPROVE)
    destinations = destinations_check(post, stage=Stage.APPROVE, author=actor, lead_check=check)
    refuse_if_destinations_blocked([p for p in check.problems if p.severity == "block"], destinations)
    unread = unread_outside(post)
    if unread:
        # Only an approver can confirm they opened what the portal could not read.
        what = ", ".join(outside_label(row) for row in unread)
        raise TransitionError(
            f"Trip mode cannot approve this post: the portal could not read {what}. An approver must open it "
            "and approve the post."
        )
    if _reposted_pictures(post):
        raise TransitionError(REPOST_PICTURES_ON_TRIP)

    moment = timezone.now()
    with transaction.atomic():
        approve_and_hand_over(
            actor=actor,
            post=post,
            check=check,
            when=authors_time(post, moment),
            moment=moment,
            action="post.approved_on_trip",
            # Trip mode stays the one exception to the account's approval steps, and says so.
            data={"delegation_id": delegation.pk, "approval_steps_skipped": chain_length(post.account)},
            destinations=destinations,
        )
        notifications.notify_trip_post(post, delegation)
