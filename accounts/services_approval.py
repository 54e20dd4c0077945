"""Changes to approval in more than one step (accounts.approval_chains): an account's chain,
the school's waiting times, and covers for approvers who are away."""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from audit.services import record

from .approval_chains import school_staff, step_problems
from .models import ApprovalCover, ApprovalStep, ApprovalStepRole, Membership, School, SocialAccount
from .permissions import Perm, has_perm, may_review_posts

# Sent inside the transaction that changed an account's approval steps (`account`, `actor`):
# posts.receivers restarts the posts waiting for that account.
approval_chain_changed = Signal()

# A cover is for an absence, not a standing arrangement: a longer one is a change to the chain.
MAX_COVER_DAYS = 62


class ApprovalSetupRefused(Exception):
    """The chain, setting or cover cannot be saved; `problems` says why, for the person saving."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class StepSpec:
    """One step as the headteacher describes it: any one of / all of these people and roles."""

    mode: str = ApprovalStep.Mode.ANY
    people: list[Membership] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


def _require_head(actor: Membership, school_id: int) -> None:
    if not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS) or actor.school_id != school_id:
        raise PermissionDenied("Only the headteacher can change who approves posts.")


def approval_chain_save(*, actor: Membership, account: SocialAccount, steps: list[StepSpec]) -> list[ApprovalStep]:
    """Replace the account's chain with `steps` (in order). No steps: the single step as before.

    Refused, with every step's problems, when a step names nobody who could decide it, or only one
    person who also writes this account's posts."""
    _require_head(actor, account.school_id)
    staff = school_staff(account.school_id)
    problems = []
    for number, spec in enumerate(steps, start=1):
        if spec.mode not in ApprovalStep.Mode.values:
            problems.append(f"Step {number}: choose “any one of” or “all of”.")
        if any(person.school_id != account.school_id for person in spec.people):
            raise PermissionDenied("That person is on another school's staff.")
        problems += [
            f"Step {number}: {problem}"
            for problem in step_problems(account, people=spec.people, roles=spec.roles, staff=staff)
        ]
    if problems:
        raise ApprovalSetupRefused(problems)
    before = [
        _describe(step)
        for step in ApprovalStep.objects.filter(account=account).prefetch_related("people", "step_roles")
    ]
    after = [{"mode": s.mode, "people": sorted(m.pk for m in s.people), "roles": sorted(set(s.roles))} for s in steps]
    with transaction.atomic():
        SocialAccount.objects.select_for_update().filter(pk=account.pk).exists()
        ApprovalStep.objects.filter(account=account).delete()
        saved = []
        for position, spec in enumerate(steps):
            step = ApprovalStep(account=account, position=position, mode=spec.mode)
            step.full_clean()
            step.save()
            step.people.set(spec.people)
            ApprovalStepRole.objects.bulk_create([ApprovalStepRole(step=step, role=role) for role in set(spec.roles)])
            saved.append(step)
        record(
            action="approval_chain.changed",
            actor=actor.user,
            school=account.school,
            target=account,
            data={"before": before, "after": after},
        )
        # Posts waiting for this account start the new chain from its first step.
        approval_chain_changed.send(sender=SocialAccount, account=account, actor=actor)
    return saved


def _describe(step: ApprovalStep) -> dict:
    return {"mode": step.mode, "people": sorted(m.pk for m in step.people.all()), "roles": step.roles}


def approval_waits_save(*, actor: Membership, reminder_hours: int, escalation_hours: int) -> School:
    """How long a post may wait at one step before its approvers are reminded, then the headteacher asked."""
    school = actor.school
    _require_head(actor, school.pk)
    if reminder_hours < 1:
        raise ApprovalSetupRefused(["Remind after at least one hour."])
    if escalation_hours <= reminder_hours:
        raise ApprovalSetupRefused(["Ask the headteacher later than the reminder, so the approvers have time to act."])
    before = {"reminder_hours": school.approval_reminder_hours, "escalation_hours": school.approval_escalation_hours}
    with transaction.atomic():
        school.approval_reminder_hours = reminder_hours
        school.approval_escalation_hours = escalation_hours
        school.full_clean()
        school.save(update_fields=["approval_reminder_hours", "approval_escalation_hours"])
        record(
            action="approval_waits.changed",
            actor=actor.user,
            school=school,
            target=school,
            data={"before": before, "after": {"reminder_hours": reminder_hours, "escalation_hours": escalation_hours}},
        )
    return school


def _day(value: date) -> str:
    return date_format(value, "l j F Y")


def approval_cover_create(
    *, actor: Membership, absent: Membership, delegate: Membership, starts_on: date, ends_on: date
) -> ApprovalCover:
    """ "While `absent` is away, `delegate` decides for them": set by the approver themself, or by
    the headteacher for any approver. The delegate is emailed."""
    if absent.school_id != actor.school_id or delegate.school_id != actor.school_id:
        raise PermissionDenied("That person is on another school's staff.")
    if absent.pk != actor.pk and not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS):
        raise PermissionDenied("Only the headteacher can arrange cover for someone else.")
    problems = []
    if not may_review_posts(absent):
        problems.append(f"{absent.user} does not approve posts, so there is nothing to cover.")
    if delegate.pk == absent.pk:
        problems.append("Choose someone else to decide while they are away.")
    elif not delegate.is_active:
        problems.append(f"{delegate.user} no longer works here: choose someone on the staff.")
    if ends_on < starts_on:
        problems.append("The last day is before the first day. Check the dates.")
    elif starts_on < timezone.localdate():
        problems.append(f"The first day has already passed. Start on {_day(timezone.localdate())} or later.")
    elif (ends_on - starts_on).days + 1 > MAX_COVER_DAYS:
        problems.append(f"Cover can last at most {MAX_COVER_DAYS} days. For longer, change the approval steps.")
    if problems:
        raise ApprovalSetupRefused(problems)
    with transaction.atomic():
        cover = ApprovalCover(
            school_id=actor.school_id,
            absent=absent,
            delegate=delegate,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor.user,
        )
        cover.full_clean()
        cover.save()
        record(
            action="approval_cover.created",
            actor=actor.user,
            school=actor.school,
            target=cover,
            data={
                "absent": absent.pk,
                "delegate": delegate.pk,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
        )
        _tell_delegate(cover)
    return cover


def _tell_delegate(cover: ApprovalCover) -> None:
    url = settings.SITE_URL + reverse("review_queue")
    subject = f"You decide posts for {cover.absent.user} while they are away"
    body = (
        f"From {_day(cover.starts_on)} to {_day(cover.ends_on)}, you decide the approval steps "
        f"{cover.absent.user} would decide. Posts waiting for you show in your queue:\n{url}\n"
    )
    email = cover.delegate.user.email
    transaction.on_commit(lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=[email]))


def approval_cover_revoke(*, actor: Membership, cover: ApprovalCover) -> None:
    """End a cover now: the absent approver themself, or the headteacher."""
    if cover.school_id != actor.school_id:
        raise PermissionDenied("That cover belongs to another school.")
    if cover.absent_id != actor.pk and not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS):
        raise PermissionDenied("Only the headteacher or the person covered can end this cover.")
    with transaction.atomic():
        updated = ApprovalCover.objects.filter(pk=cover.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor.user
        )
        if updated:
            record(action="approval_cover.revoked", actor=actor.user, school=actor.school, target=cover)
    cover.refresh_from_db()
