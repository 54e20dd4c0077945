"""Approval in more than one step: each step's decision, covers, waiting too long, and who sees what."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from accounts.models import ApprovalStep, Delegation, Role
from accounts.services_approval import (
    ApprovalSetupRefused,
    StepSpec,
    approval_chain_save,
    approval_cover_create,
    approval_cover_revoke,
)
from audit.models import AuditEvent
from posts import services
from posts.models import Post, PostStatus, StepDecision
from posts.selectors import queue_rows
from posts.selectors_dashboard import approvals_waiting
from posts.services.chains import remind_waiting_steps
from tests.factories import make_member

ANY, ALL = ApprovalStep.Mode.ANY, ApprovalStep.Mode.ALL


@pytest.fixture
def leaders(school, staff):
    """Two more senior leaders: the phase leader, and a deputy who covers."""
    return type(
        "Leaders",
        (),
        {
            "phase": make_member(school, "phase@alpha.test", [Role.SENIOR_LEADER]),
            "deputy": make_member(school, "deputy@alpha.test", [Role.SENIOR_LEADER]),
        },
    )


@pytest.fixture
def two_steps(staff, accounts, leaders):
    """Year 3: the phase leader, then the headteacher."""
    return approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(mode=ANY, people=[leaders.phase]), StepSpec(mode=ANY, people=[staff.head])],
    )


def _fresh(post) -> Post:
    return Post.objects.get(pk=post.pk)


def _submitted(make_post, staff, **kwargs) -> Post:
    post = make_post(**kwargs)
    services.post_submit(actor=kwargs.get("author") or staff.teacher, post=post)
    return _fresh(post)


def _waiting_for(member, school) -> list[int]:
    return list(approvals_waiting(school=school, approver=member.user).values_list("pk", flat=True))


def test_first_step_approval_moves_the_post_on_and_it_stays_waiting(two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.phase, post=post)
    post = _fresh(post)
    assert post.status == PostStatus.SUBMITTED
    assert post.approval_step == 1
    decision = StepDecision.objects.get(post=post)
    assert (decision.step, decision.round, decision.decided_by, decision.outcome) == (
        0,
        1,
        leaders.phase.user,
        StepDecision.Outcome.APPROVED,
    )


def test_last_step_approval_approves_the_post(two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.phase, post=post)
    services.post_approve(actor=staff.head, post=_fresh(post))
    post = _fresh(post)
    assert post.status == PostStatus.APPROVED
    assert post.decided_by == staff.head.user
    assert post.consent_snapshot  # the single step's approval path: consent stored
    assert AuditEvent.objects.filter(action="post.approved", target_id=str(post.pk)).exists()


def test_someone_not_on_the_current_step_cannot_decide_it(two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    for outsider_to_step in (staff.head, staff.slt):
        with pytest.raises(PermissionDenied):
            services.post_approve(actor=outsider_to_step, post=post)
    with pytest.raises(PermissionDenied):
        services.post_reject(actor=staff.slt, post=post, reason="No.")
    assert _fresh(post).approval_step == 0


def test_any_one_of_a_role_decides_the_step(staff, accounts, leaders, make_post):
    approval_chain_save(
        actor=staff.head, account=accounts.year3, steps=[StepSpec(mode=ANY, roles=[Role.SENIOR_LEADER])]
    )
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.deputy, post=post)
    assert _fresh(post).status == PostStatus.APPROVED


def test_all_of_a_step_needs_every_member_and_nobody_approves_twice(staff, accounts, leaders, make_post):
    approval_chain_save(
        actor=staff.head, account=accounts.year3, steps=[StepSpec(mode=ALL, people=[leaders.phase, staff.slt])]
    )
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.phase, post=post)
    assert _fresh(post).status == PostStatus.SUBMITTED
    with pytest.raises(PermissionDenied, match="already approved"):
        services.post_approve(actor=leaders.phase, post=_fresh(post))
    assert post.pk not in _waiting_for(leaders.phase, post.account.school)
    assert post.pk in _waiting_for(staff.slt, post.account.school)
    services.post_approve(actor=staff.slt, post=_fresh(post))
    assert _fresh(post).status == PostStatus.APPROVED


def test_the_author_never_counts_toward_an_all_of_step(school, staff, accounts, leaders, make_post):
    approval_chain_save(
        actor=staff.head, account=accounts.whole_school, steps=[StepSpec(mode=ALL, people=[staff.slt, leaders.phase])]
    )
    post = _submitted(make_post, staff, author=staff.slt, account=accounts.whole_school)
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=staff.slt, post=post)
    services.post_approve(actor=leaders.phase, post=post)
    assert _fresh(post).status == PostStatus.APPROVED


def test_a_step_nobody_but_a_possible_author_could_decide_is_refused(staff, accounts):
    with pytest.raises(ApprovalSetupRefused, match="nobody would be left"):
        approval_chain_save(actor=staff.head, account=accounts.whole_school, steps=[StepSpec(people=[staff.slt])])
    with pytest.raises(ApprovalSetupRefused, match="at least one person or role"):
        approval_chain_save(actor=staff.head, account=accounts.year3, steps=[StepSpec()])
    # The class's own teacher alone: a class teacher can be named, but not as the only one for their class.
    with pytest.raises(ApprovalSetupRefused, match="Only Teacher could decide"):
        approval_chain_save(actor=staff.head, account=accounts.year3, steps=[StepSpec(people=[staff.teacher])])
    assert not ApprovalStep.objects.exists()


def test_only_the_headteacher_sets_the_chain(staff, accounts):
    with pytest.raises(PermissionDenied):
        approval_chain_save(actor=staff.slt, account=accounts.year3, steps=[StepSpec(people=[staff.head])])


def test_changes_at_any_step_send_it_back_and_the_next_submission_restarts(two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.phase, post=post)
    services.post_request_changes(actor=staff.head, post=_fresh(post), comment="Say which trip it was.")
    post = _fresh(post)
    assert post.status == PostStatus.DRAFT
    services.post_submit(actor=staff.teacher, post=post)
    post = _fresh(post)
    assert (post.status, post.approval_step, post.approval_round) == (PostStatus.SUBMITTED, 0, 2)
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=staff.head, post=post)
    history = list(StepDecision.objects.filter(post=post).values_list("round", "step", "outcome", "comment"))
    assert history == [(1, 0, "approved", ""), (1, 1, "changes_requested", "Say which trip it was.")]


def test_reject_at_the_first_step_rejects(two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    services.post_reject(actor=leaders.phase, post=post, reason="Not for the class account.")
    assert _fresh(post).status == PostStatus.REJECTED


def test_cover_lets_the_delegate_decide_for_the_absent_approver(
    two_steps, staff, leaders, make_post, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        approval_cover_create(
            actor=leaders.phase, absent=leaders.phase, delegate=leaders.deputy, starts_on=today, ends_on=today
        )
    assert [m.to for m in mail.outbox if "while they are away" in m.subject] == [[leaders.deputy.user.email]]
    post = _submitted(make_post, staff)
    assert post.pk in _waiting_for(leaders.deputy, post.account.school)
    services.post_approve(actor=leaders.deputy, post=post)
    decision = StepDecision.objects.get(post=post)
    assert decision.decided_by == leaders.deputy.user
    assert decision.counts_for == leaders.phase.user
    assert decision.covering
    assert _fresh(post).approval_step == 1


def test_cover_outside_its_dates_gives_nothing(two_steps, staff, leaders, make_post):
    tomorrow = timezone.localdate() + timedelta(days=1)
    approval_cover_create(
        actor=leaders.phase, absent=leaders.phase, delegate=leaders.deputy, starts_on=tomorrow, ends_on=tomorrow
    )
    post = _submitted(make_post, staff)
    assert post.pk not in _waiting_for(leaders.deputy, post.account.school)
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=leaders.deputy, post=post)


def test_a_revoked_cover_gives_nothing(two_steps, staff, leaders, make_post):
    today = timezone.localdate()
    cover = approval_cover_create(
        actor=leaders.phase, absent=leaders.phase, delegate=leaders.deputy, starts_on=today, ends_on=today
    )
    approval_cover_revoke(actor=leaders.phase, cover=cover)
    assert cover.revoked_at is not None
    post = _submitted(make_post, staff)
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=leaders.deputy, post=post)
    assert AuditEvent.objects.filter(action="approval_cover.revoked").exists()


def test_the_headteacher_sets_cover_for_an_approver_and_others_cannot(two_steps, staff, leaders, make_post):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        approval_cover_create(actor=staff.slt, absent=leaders.phase, delegate=staff.slt, starts_on=today, ends_on=today)
    approval_cover_create(actor=staff.head, absent=leaders.phase, delegate=staff.slt, starts_on=today, ends_on=today)
    post = _submitted(make_post, staff)
    services.post_approve(actor=staff.slt, post=post)
    assert _fresh(post).approval_step == 1
    # Anyone on the staff may cover, a class teacher too.
    cover = approval_cover_create(
        actor=staff.head, absent=leaders.phase, delegate=staff.teacher, starts_on=today, ends_on=today
    )
    assert cover.delegate == staff.teacher


def test_reminded_once_then_escalated_to_the_headteacher(
    school, two_steps, staff, leaders, make_post, django_capture_on_commit_callbacks
):
    post = _submitted(make_post, staff)
    services.post_approve(actor=leaders.phase, post=post)
    approval_chain_save(
        actor=staff.head,
        account=post.account,
        steps=[StepSpec(people=[leaders.phase]), StepSpec(people=[staff.slt])],
    )
    post = _fresh(post)  # the chain changed: a new round at step 1
    assert (post.approval_step, post.approval_round) == (0, 2)
    started = post.step_started_at
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_waiting_steps(now=started + timedelta(hours=47)) == (0, 0)
        assert remind_waiting_steps(now=started + timedelta(hours=49)) == (1, 0)
    assert [m.to for m in mail.outbox] == [[leaders.phase.user.email]]
    assert remind_waiting_steps(now=started + timedelta(hours=50)) == (0, 0)
    assert post.pk not in _waiting_for(staff.head, school)
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_waiting_steps(now=started + timedelta(hours=97)) == (0, 1)
    assert remind_waiting_steps(now=started + timedelta(hours=98)) == (0, 0)
    assert mail.outbox[-1].to == [staff.head.user.email]
    assert post.pk in _waiting_for(staff.head, school)
    services.post_approve(actor=staff.head, post=_fresh(post))
    assert StepDecision.objects.filter(post=post, round=2, as_headteacher=True).exists()
    assert _fresh(post).approval_step == 1
    assert AuditEvent.objects.filter(action="post.step_reminded").count() == 1
    assert AuditEvent.objects.filter(action="post.step_escalated").count() == 1


def test_queue_and_navigation_count_show_only_the_current_steps_people(school, two_steps, staff, leaders, make_post):
    post = _submitted(make_post, staff)
    assert post.pk in _waiting_for(leaders.phase, school)
    assert post.pk not in _waiting_for(staff.head, school)
    assert not queue_rows(school=school, approver=staff.head.user).filter(pk=post.pk).exists()
    services.post_approve(actor=leaders.phase, post=post)
    assert post.pk not in _waiting_for(leaders.phase, school)
    assert post.pk in _waiting_for(staff.head, school)


def test_without_steps_every_approver_sees_every_post(school, staff, make_post):
    post = _submitted(make_post, staff)
    assert post.pk in _waiting_for(staff.head, school)
    assert post.pk in _waiting_for(staff.slt, school)


def test_waiting_for_you_emails_go_to_the_current_steps_people_who_want_them(
    staff, accounts, leaders, make_post, django_capture_on_commit_callbacks
):
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(people=[leaders.phase, leaders.deputy]), StepSpec(people=[staff.head])],
    )
    leaders.deputy.approval_emails = "off"
    leaders.deputy.save(update_fields=["approval_emails"])
    with django_capture_on_commit_callbacks(execute=True):
        post = _submitted(make_post, staff)
    assert [m.to for m in mail.outbox] == [[leaders.phase.user.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=leaders.phase, post=post)
    assert [m.to for m in mail.outbox] == [[staff.head.user.email]]


def test_trip_mode_skips_the_chain_and_says_so(school, staff, accounts, leaders, make_post):
    approval_chain_save(
        actor=staff.head, account=accounts.whole_school, steps=[StepSpec(people=[leaders.phase, leaders.deputy])]
    )
    today = timezone.localdate()
    Delegation.objects.create(
        account=accounts.whole_school,
        delegate=staff.teacher.user,
        starts_on=today,
        ends_on=today,
        created_by=staff.head.user,
    )
    post = make_post(account=accounts.whole_school)
    services.post_submit(actor=staff.teacher, post=post)
    assert _fresh(post).status == PostStatus.APPROVED
    entry = AuditEvent.objects.get(action="post.approved_on_trip")
    assert entry.data["approval_steps_skipped"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvers_of_one_step_at_the_same_moment_one_wins(staff, accounts, leaders, make_post):
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(mode=ANY, people=[leaders.phase, leaders.deputy]), StepSpec(people=[staff.head])],
    )
    post = _submitted(make_post, staff)
    outcomes: list[str] = []

    def decide(actor):
        try:
            services.post_approve(actor=actor, post=Post.objects.select_related("account__school").get(pk=post.pk))
            outcomes.append("won")
        except (services.TransitionError, PermissionDenied):
            outcomes.append("told")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(who,)) for who in (leaders.phase, leaders.deputy)]
    if connection.vendor == "sqlite":
        for thread in threads:
            thread.start()
            thread.join()
    else:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["told", "won"]
    assert StepDecision.objects.filter(post=post).count() == 1
    assert _fresh(post).approval_step == 1
