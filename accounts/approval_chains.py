"""Approval in more than one step: who may decide each step of an account's chain.

An account's chain is its ordered `ApprovalStep`s; none means the single step every approver
(accounts.permissions.may_approve_for) decides, as before chains existed. A step's people are
the active memberships it names and everyone active holding one of its roles, but never the
post's author. While someone is away, an active `ApprovalCover` lets their delegate decide
what they could, "for" them. A step that waited past the school's escalation time (or that
nobody but the author could decide) may also be decided by the headteacher.

A step may name any active member of staff, or any role (a phase leader who is also a class
teacher, say): while they are on a step they may open and decide the posts waiting at it, and
sign in with a second factor (accounts.permissions.on_approval_step). Reads only; the changes
are in accounts.services_approval.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApprovalCover, ApprovalStep, Membership, Role, SocialAccount
from .permissions import may_draft_for


def chain_steps(account: SocialAccount) -> list[ApprovalStep]:
    """The account's steps in order, each with its people (and their users) prefetched."""
    return list(
        ApprovalStep.objects.filter(account=account).order_by("position").prefetch_related("people__user", "step_roles")
    )


def chain_length(account: SocialAccount) -> int:
    """How many steps the account's chain has (0: the single step every approver decides)."""
    return ApprovalStep.objects.filter(account=account).count()


def current_step(steps: list[ApprovalStep], position: int) -> ApprovalStep | None:
    """The step at `position`; past the end (the chain was shortened while a post waited), the last."""
    if not steps:
        return None
    return steps[min(position, len(steps) - 1)]


def school_staff(school_id: int) -> list[Membership]:
    """The school's active staff with their roles and users: whom steps and covers can name."""
    return list(
        Membership.objects.filter(school_id=school_id, is_active=True)
        .select_related("user")
        .prefetch_related("role_assignments")
    )


def step_members(step: ApprovalStep, staff: list[Membership]) -> list[Membership]:
    """Everyone the step names, by name or by role, among `staff` (active)."""
    named = {m.pk for m in step.people.all()}
    return [m for m in staff if m.pk in named or m.roles & set(step.roles)]


def active_covers(*, school_id: int, on: date | None = None) -> QuerySet[ApprovalCover]:
    """Covers in force on `on` (today, school time) at the school."""
    on = on or timezone.localdate()
    return ApprovalCover.objects.filter(
        school_id=school_id, revoked_at__isnull=True, starts_on__lte=on, ends_on__gte=on
    ).select_related("absent__user", "delegate__user")


@dataclass(frozen=True)
class Capacity:
    """How someone may decide a step: as themself, for an absent approver, or as headteacher."""

    counts_for: Membership  # whose decision it is
    as_headteacher: bool = False

    def covering(self, actor: Membership) -> bool:
        return self.counts_for.pk != actor.pk


def capacities(
    actor: Membership,
    step: ApprovalStep,
    *,
    staff: list[Membership],
    author_id: int,
    escalated: bool,
    covers: list[ApprovalCover],
) -> list[Capacity]:
    """Every way `actor` may decide `step` on a post by `author_id`, their own first. Empty: they may not."""
    if not actor.is_active or actor.user_id == author_id:
        return []
    members = [m for m in step_members(step, staff) if m.user_id != author_id]
    member_ids = {m.pk for m in members}
    found = [Capacity(counts_for=actor)] if actor.pk in member_ids else []
    found += [
        Capacity(counts_for=cover.absent)
        for cover in covers
        if cover.delegate_id == actor.pk and cover.absent_id in member_ids
    ]
    if not found and Role.HEADTEACHER in actor.roles and (escalated or not members):
        found.append(Capacity(counts_for=actor, as_headteacher=True))
    return found


def needed(step: ApprovalStep, *, staff: list[Membership], author_id: int) -> list[Membership]:
    """Who must approve the step for it to pass: for "all of", every member but the author;
    for "any one of", any one of them (the list is who may)."""
    return [m for m in step_members(step, staff) if m.user_id != author_id]


def step_problems(
    account: SocialAccount, *, people: list[Membership], roles: list[str], staff: list[Membership]
) -> list[str]:
    """Why a step cannot be saved as it is: nobody to decide it, or only one person who may also
    write the account's posts (their own posts would have nobody to decide this step)."""
    problems = []
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        problems.append("Choose roles from the list.")
    if not people and not roles:
        return ["Choose at least one person or role for each step."]
    inactive = [m for m in people if not m.is_active]
    if inactive:
        names = ", ".join(str(m.user) for m in inactive)
        problems.append(f"{names} no longer works here: choose someone on the staff.")
    named = {m.pk for m in people}
    members = [m for m in staff if m.pk in named or m.roles & set(roles)]
    if not members:
        problems.append("Nobody on the staff fits this step: add a person or a role someone holds.")
    elif len(members) == 1 and may_draft_for(members[0], account):
        problems.append(
            f"Only {members[0].user} could decide this step, and they also write posts for this account: "
            "nobody would be left to decide their own posts. Add someone else."
        )
    return problems
