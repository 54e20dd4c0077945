"""Approval in more than one step (accounts.approval_chains): each step's decision, moving a post
to its next step, and reminding or escalating a post that waits too long at one step.

A post of an account with a chain waits at `approval_step` in `approval_round` (each submission
starts a round at step 0). An approval that completes a step which is not the last moves the
post on (it stays submitted); completing the last step is the ordinary approval
(review.approve_and_hand_over). Changes requested or a rejection at any step end the round.
Every move is a conditional UPDATE on the expected status, step and round, so two approvers
acting at once cannot both decide.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.approval_chains import Capacity
from accounts.models import ApprovalEmails, ApprovalStep, Membership, Role
from audit.services import record

from ..models import Post, PostStatus, StepDecision
from ..selectors_chains import ChainState, chain_state
from .transitions import TransitionError


def capacity_for(actor: Membership, state: ChainState, *, verb: str = "decide") -> Capacity:
    found = state.capacities(actor)
    if found:
        return found[0]
    if actor.user_id in state.approved_here():
        raise PermissionDenied("You have already approved this step. It waits for the others.")
    raise PermissionDenied(f"You cannot {verb} this step of the post's approval.")


def this_step(post: Post, state: ChainState) -> QuerySet[Post]:
    """The rows a decision may claim: the post still at the step and round the decider saw."""
    return Post.objects.filter(pk=post.pk, approval_step=state.position, approval_round=state.round)


def _decision(post, state, actor, capacity, outcome, comment="", moment=None) -> StepDecision:
    return StepDecision.objects.create(
        post=post,
        round=state.round,
        step=state.position,
        decided_by=actor.user,
        counts_for=capacity.counts_for.user,
        as_headteacher=capacity.as_headteacher,
        outcome=outcome,
        comment=comment,
        decided_at=moment or timezone.now(),
    )


def _decision_data(state: ChainState, actor: Membership, capacity: Capacity) -> dict:
    data = {"step": state.position + 1, "steps": len(state.steps), "round": state.round}
    if capacity.covering(actor):
        data["for"] = capacity.counts_for.user_id
    if capacity.as_headteacher:
        data["as_headteacher"] = True
    return data


def approve_step(*, actor: Membership, post: Post, state: ChainState, capacity: Capacity, moment: datetime) -> bool:
    """Record `actor`'s approval of the current step (inside the caller's transaction). True when
    it completes the last step: the caller then approves the post as a single step would."""
    # Lock the row at the step the decider saw: a second approver waits here, then finds it moved.
    if not this_step(post, state).filter(status=PostStatus.SUBMITTED).select_for_update().exists():
        raise TransitionError("Someone else has decided this step meanwhile. Reload the page to see where it is.")
    if StepDecision.objects.filter(
        post=post,
        round=state.round,
        step=state.position,
        counts_for=capacity.counts_for.user,
        outcome=StepDecision.Outcome.APPROVED,
    ).exists():
        raise TransitionError("This approval has already been given. It waits for the others.")
    decision = _decision(post, state, actor, capacity, StepDecision.Outcome.APPROVED, moment=moment)
    state.decisions.append(decision)
    complete = capacity.as_headteacher or state.step.mode == ApprovalStep.Mode.ANY or not state.waiting_for()
    data = _decision_data(state, actor, capacity)
    if complete and state.is_last:
        data["completes_chain"] = True
        record(action="post.step_approved", actor=actor.user, school=post.account.school, target=post, data=data)
        return True
    if not complete:
        data["waiting_for"] = [m.user_id for m in state.waiting_for()]
        record(action="post.step_approved", actor=actor.user, school=post.account.school, target=post, data=data)
        return False
    next_position = state.position + 1
    next_state = ChainState(
        steps=state.steps,
        position=next_position,
        round=state.round,
        staff=state.staff,
        covers=state.covers,
        decisions=state.decisions,
        author_id=state.author_id,
    )
    nobody = not next_state.deciders()
    moved = (
        this_step(post, state)
        .filter(status=PostStatus.SUBMITTED)
        .update(
            approval_step=next_position,
            step_started_at=moment,
            step_reminded_at=None,
            # A step nobody but the author could decide goes straight to the headteacher.
            step_escalated_at=moment if nobody else None,
            updated_at=moment,
        )
    )
    if moved != 1:
        raise TransitionError("Someone else has decided this step meanwhile. Reload the page to see where it is.")
    post.approval_step = next_position
    data["advanced_to"] = next_position + 1
    record(action="post.step_approved", actor=actor.user, school=post.account.school, target=post, data=data)
    notify_step_waiting(post, next_state, headteachers=nobody)
    return False


def end_round(
    *, actor: Membership, post: Post, state: ChainState, capacity: Capacity, outcome: str, comment: str
) -> dict:
    """A request for changes or a rejection at the current step: record it; the caller's transition
    (claiming `this_step`) ends the round. Returns what the audit entry adds."""
    _decision(post, state, actor, capacity, outcome, comment)
    return _decision_data(state, actor, capacity)


def submission_fields(post: Post, moment: datetime) -> dict:
    """What a submission sets: a new round, from step 1, with its wait starting now."""
    return {
        "approval_round": post.approval_round + 1,
        "approval_step": 0,
        "step_started_at": moment,
        "step_reminded_at": None,
        "step_escalated_at": None,
    }


def after_submission(post: Post) -> bool:
    """Once submitted: tell the first step's people. False when the account has no chain (the
    caller tells every approver, as before)."""
    state = chain_state(post)
    if state is None:
        return False
    if not state.deciders():
        now = timezone.now()
        this_step(post, state).update(step_escalated_at=now)
        record(
            action="post.step_escalated",
            school=post.account.school,
            target=post,
            data={"step": 1, "round": state.round, "nobody_else": True},
        )
        notify_step_waiting(post, state, headteachers=True)
    else:
        notify_step_waiting(post, state)
    return True


# Emails


def _emails(members: list[Membership]) -> list[str]:
    return sorted({m.user.email for m in members if m.approval_emails == ApprovalEmails.IMMEDIATE})


def _headteachers(state: ChainState) -> list[Membership]:
    return [m for m in state.staff if Role.HEADTEACHER in m.roles and m.user_id != state.author_id]


def _with_covers(members: list[Membership], state: ChainState) -> list[Membership]:
    ids = {m.pk for m in members}
    return members + [c.delegate for c in state.covers if c.absent_id in ids and c.delegate_id not in ids]


def _send_after_commit(subject: str, body: str, recipients: list[str]) -> None:
    if recipients:
        transaction.on_commit(
            lambda: send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
        )


def notify_step_waiting(post: Post, state: ChainState, *, headteachers: bool = False) -> None:
    """ "Waiting for you": the current step's people (and whoever covers for them), or the headteachers."""
    people = _headteachers(state) if headteachers else _with_covers(state.waiting_for(), state)
    url = settings.SITE_URL + reverse("review_post", args=[post.pk])
    _send_after_commit(
        f"A post for {post.account.display_name} is waiting for you (step {state.position + 1} of {len(state.steps)})",
        f"{post.author} sent a post for @{post.account.handle}:\n\n{post.text}\n\nReview it here:\n{url}\n",
        _emails(people),
    )


# Waiting too long (the beat task posts.tasks.remind_waiting_steps)


def remind_waiting_steps(*, now: datetime | None = None) -> tuple[int, int]:
    """Remind once the approvers of each step a post has waited at past its school's reminder
    time, and escalate to the headteachers past the escalation time. Each is claimed with a
    conditional UPDATE, so a second run (or a second worker) never repeats it. Returns
    (reminded, escalated)."""
    now = now or timezone.now()
    waiting = (
        Post.objects.filter(status=PostStatus.SUBMITTED, account__approval_steps__position=0)
        .select_related("account__school", "author")
        .filter(step_started_at__isnull=False)
    )
    reminded = escalated = 0
    for post in waiting.filter(step_reminded_at__isnull=True):
        school = post.account.school
        if post.step_started_at > now - timedelta(hours=school.approval_reminder_hours):
            continue
        with transaction.atomic():
            state = chain_state(post)
            claimed = state is not None and this_step(post, state).filter(
                status=PostStatus.SUBMITTED, step_reminded_at__isnull=True, step_started_at=post.step_started_at
            ).update(step_reminded_at=now)
            if not claimed:
                continue
            record(
                action="post.step_reminded",
                school=school,
                target=post,
                data={
                    "step": state.position + 1,
                    "round": state.round,
                    "people": [m.user_id for m in state.waiting_for()],
                },
            )
            notify_step_waiting(post, state)
            reminded += 1
    for post in waiting.filter(step_escalated_at__isnull=True):
        school = post.account.school
        if post.step_started_at > now - timedelta(hours=school.approval_escalation_hours):
            continue
        with transaction.atomic():
            state = chain_state(post)
            claimed = state is not None and this_step(post, state).filter(
                status=PostStatus.SUBMITTED, step_escalated_at__isnull=True, step_started_at=post.step_started_at
            ).update(step_escalated_at=now)
            if not claimed:
                continue
            record(
                action="post.step_escalated",
                school=school,
                target=post,
                data={"step": state.position + 1, "round": state.round},
            )
            notify_step_waiting(post, state, headteachers=True)
            escalated += 1
    return reminded, escalated


def restart_waiting_posts(*, account, actor: Membership) -> int:
    """The account's approval steps changed: each post waiting for it starts a new round at the
    new first step (earlier rounds stay in its history). Inside the change's transaction."""
    moment = timezone.now()
    restarted = 0
    for post in Post.objects.filter(account=account, status=PostStatus.SUBMITTED).select_related(
        "account__school", "author"
    ):
        moved = Post.objects.filter(pk=post.pk, status=PostStatus.SUBMITTED, approval_round=post.approval_round).update(
            **submission_fields(post, moment), updated_at=moment
        )
        if not moved:
            continue
        post.approval_round += 1
        post.approval_step = 0
        record(
            action="post.approval_restarted",
            actor=actor.user,
            school=account.school,
            target=post,
            data={"round": post.approval_round},
        )
        restarted += 1
        # With no steps left, every approver already sees it: nobody new to tell.
        after_submission(post)
    return restarted
