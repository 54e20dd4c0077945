"""Reads for approval in more than one step: where a post stands in its account's chain
(`chain_state`), and the chain as the review page and the author see it (`chain_progress`)."""

from dataclasses import dataclass, field

from accounts.approval_chains import Capacity, active_covers, capacities, chain_steps, needed, school_staff
from accounts.models import ApprovalStep, Membership
from accounts.permissions import may_approve_for

from .models import Post, PostStatus, StepDecision


@dataclass
class ChainState:
    """Where a post stands in its account's chain, with what deciding it needs (a few queries)."""

    steps: list[ApprovalStep]
    position: int
    round: int
    staff: list[Membership]
    covers: list
    decisions: list[StepDecision] = field(default_factory=list)  # this post's, every round
    escalated: bool = False
    author_id: int = 0

    @property
    def step(self) -> ApprovalStep:
        return self.steps[min(self.position, len(self.steps) - 1)]

    @property
    def is_last(self) -> bool:
        return self.position >= len(self.steps) - 1

    def approved_here(self) -> set[int]:
        """Whose approvals the current step has in this round (user ids)."""
        return {
            d.counts_for_id
            for d in self.decisions
            if d.round == self.round and d.step == self.position and d.outcome == StepDecision.Outcome.APPROVED
        }

    def deciders(self) -> list[Membership]:
        return needed(self.step, staff=self.staff, author_id=self.author_id)

    def waiting_for(self) -> list[Membership]:
        """Who the current step still waits for: for "all of", those yet to approve; else any of them."""
        approved = self.approved_here()
        return [m for m in self.deciders() if m.user_id not in approved]

    def capacities(self, actor: Membership) -> list[Capacity]:
        """How `actor` may decide the current step, leaving out approvals already given."""
        approved = self.approved_here()
        found = capacities(
            actor,
            self.step,
            staff=self.staff,
            author_id=self.author_id,
            escalated=self.escalated,
            covers=self.covers,
        )
        return [c for c in found if c.as_headteacher or c.counts_for.user_id not in approved]


def may_review_post(membership: Membership | None, post: Post) -> bool:
    """Whether `membership` may open the post's review page (and its photos): its account's
    approvers, as before; and, for an account with steps, whoever may decide the post's current
    step now (named, by role, covering for someone away, or the headteacher once it was
    escalated), or has already approved it in this round. The one gate for the review views,
    the queue (posts.selectors.decidable_by says the same in SQL) and the photos."""
    if membership is None or not membership.is_active or post.account.school_id != membership.school_id:
        return False
    if may_approve_for(membership, post.account):
        return True
    if post.status != PostStatus.SUBMITTED:
        return False
    state = chain_state(post)
    if state is None:
        return False
    return bool(state.capacities(membership)) or membership.user_id in state.approved_here()


def chain_state(post: Post) -> ChainState | None:
    """The post's place in its account's chain; None when the account has the single step."""
    steps = chain_steps(post.account)
    if not steps:
        return None
    current = Post.objects.filter(pk=post.pk).values("approval_step", "approval_round", "step_escalated_at").first()
    current = current or {"approval_step": 0, "approval_round": post.approval_round, "step_escalated_at": None}
    return ChainState(
        steps=steps,
        position=min(current["approval_step"], len(steps) - 1),
        round=current["approval_round"],
        staff=school_staff(post.account.school_id),
        covers=list(active_covers(school_id=post.account.school_id)),
        decisions=list(post.step_decisions.select_related("decided_by", "counts_for")),
        escalated=current["step_escalated_at"] is not None,
        author_id=post.author_id,
    )


@dataclass(frozen=True)
class StepProgress:
    """One step as the review page shows it."""

    number: int
    mode: str
    people: list[str]  # who the step names: people, then "every senior leader"
    decisions: list[StepDecision]  # this round's, oldest first
    is_current: bool
    is_done: bool
    waiting_for: list[str]


@dataclass(frozen=True)
class ChainProgress:
    steps: list[StepProgress]
    earlier: list[StepDecision]  # decisions of earlier rounds, oldest first
    escalated: bool
    may_decide: bool  # the viewer may decide the current step now
    already_approved: bool  # the viewer approved the current ("all of") step in this round
    covering_for: str  # whom the viewer would decide for ("" when themself)

    @property
    def current(self) -> StepProgress | None:
        return next((step for step in self.steps if step.is_current), None)

    @property
    def summary(self) -> str:
        """What the author reads: "Step 1 of 2 approved by …, waiting for …"."""
        done = [step for step in self.steps if step.is_done]
        parts = []
        for step in done:
            names = ", ".join(_decided_by(d) for d in step.decisions if d.outcome == StepDecision.Outcome.APPROVED)
            parts.append(f"Step {step.number} of {len(self.steps)} approved by {names}")
        current = self.current
        if current is not None:
            who = ", ".join(current.waiting_for) or "the headteacher"
            if self.escalated:
                who += " (or the headteacher, as it has waited a long time)"
            parts.append(f"waiting for {who} at step {current.number} of {len(self.steps)}")
        return "; ".join(parts)


def _decided_by(decision: StepDecision) -> str:
    if decision.covering:
        return f"{decision.decided_by} for {decision.counts_for}"
    return str(decision.decided_by)


def chain_progress(post: Post, *, viewer: Membership | None = None) -> ChainProgress | None:
    """The chain of the post's account with this round's decisions, or None without steps."""
    state = chain_state(post)
    if state is None:
        return None
    return _progress(post, state, viewer)


def chain_summaries(posts: list[Post]) -> dict[int, str]:
    """For an author's list: "Step 1 of 2 approved by …, waiting for …" for each waiting post of
    an account with steps. A fixed number of queries (one when none of the accounts has steps)."""
    waiting = [post for post in posts if post.status == PostStatus.SUBMITTED]
    if not waiting:
        return {}
    steps_by_account: dict[int, list[ApprovalStep]] = {}
    for step in (
        ApprovalStep.objects.filter(account_id__in={post.account_id for post in waiting})
        .order_by("position")
        .prefetch_related("people__user", "step_roles")
    ):
        steps_by_account.setdefault(step.account_id, []).append(step)
    chained = [post for post in waiting if post.account_id in steps_by_account]
    if not chained:
        return {}
    staff = school_staff(chained[0].account.school_id)
    decisions: dict[int, list[StepDecision]] = {}
    for decision in StepDecision.objects.filter(post__in=chained).select_related("decided_by", "counts_for"):
        decisions.setdefault(decision.post_id, []).append(decision)
    summaries = {}
    for post in chained:
        steps = steps_by_account[post.account_id]
        state = ChainState(
            steps=steps,
            position=min(post.approval_step, len(steps) - 1),
            round=post.approval_round,
            staff=staff,
            covers=[],
            decisions=decisions.get(post.pk, []),
            escalated=post.step_escalated_at is not None,
            author_id=post.author_id,
        )
        summaries[post.pk] = _progress(post, state, None).summary
    return summaries


def _progress(post: Post, state: ChainState, viewer: Membership | None) -> ChainProgress:
    waiting = post.status == PostStatus.SUBMITTED
    rows = []
    for position, step in enumerate(state.steps):
        decisions = [d for d in state.decisions if d.round == state.round and d.step == position]
        members = needed(step, staff=state.staff, author_id=state.author_id)
        is_current = waiting and position == state.position
        approved = {d.counts_for_id for d in decisions if d.outcome == StepDecision.Outcome.APPROVED}
        rows.append(
            StepProgress(
                number=position + 1,
                mode=step.get_mode_display(),
                people=[str(m.user) for m in step.people.all()]
                + [f"every {label.lower()}" for label in step.role_labels],
                decisions=decisions,
                is_current=is_current,
                is_done=bool(approved) and (position < state.position or post.status != PostStatus.SUBMITTED),
                waiting_for=[str(m.user) for m in members if m.user_id not in approved] if is_current else [],
            )
        )
    found = state.capacities(viewer) if viewer is not None and waiting else []
    return ChainProgress(
        steps=rows,
        earlier=[d for d in state.decisions if d.round != state.round],
        escalated=state.escalated and waiting,
        may_decide=bool(found),
        already_approved=viewer is not None and viewer.user_id in state.approved_here(),
        covering_for=str(found[0].counts_for.user) if found and found[0].covering(viewer) else "",
    )
