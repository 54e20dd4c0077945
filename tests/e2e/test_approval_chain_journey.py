"""Issue 18, end to end: Year 3's posts are approved in two steps, the phase leader (a class
teacher) and then the headteacher. The phase leader is away and has asked a senior leader to
decide for her; that senior leader approves step 1 at a desk, the headteacher approves step 2,
and the post is published on the local network, while the class teacher follows its progress
on the class iPad."""

import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import ApprovalCover, Role
from accounts.services_approval import StepSpec, approval_chain_save
from moderation.services import policy_acknowledge, policy_seed_default
from networks.local.adapter import LocalNetwork
from posts import services
from posts.models import Post, PostStatus, StepDecision

from ..factories import enable_totp, make_class, make_member
from .axe import wcag_violations
from .conftest import DESKTOP, IPAD
from .ipad import assert_fits_the_ipad
from .navigation import go_to
from .sessions import sign_in

POST_TEXT = "Year 3 planted bulbs in the school garden today and labelled every pot."


def _signed_in_page(open_page, live_server, member, device) -> Page:
    page = open_page(**device)
    sign_in(page.context, live_server, member.user, school=member.school)
    # The first page a fresh server renders can take a while on a busy machine.
    page.goto(live_server.url + "/", timeout=90_000)
    return page


def _approve_now(page: Page) -> None:
    decision = page.locator("section").filter(has=page.get_by_role("heading", name="Decision"))
    decision.get_by_role("button", name="Approve", exact=True).click()


def test_delegate_approves_step_one_the_headteacher_step_two_and_it_is_published(
    open_page, live_server, school, year3, staff, accounts, screenshot_path
):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    # The phase leader teaches Year 4: named on the step, she decides it (and so has an authenticator).
    phase = make_member(
        school, "phase@alpha.test", [Role.CLASS_TEACHER], [make_class(school, "Year 4", 4)], first_name="Priya"
    )
    enable_totp(phase.user)
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(people=[phase]), StepSpec(people=[staff.head])],
    )

    # The phase leader, before she goes, asks the senior leader to decide for her today.
    away = _signed_in_page(open_page, live_server, phase, DESKTOP)
    go_to(away, "Cover while away")
    expect(away.get_by_role("heading", name="Cover while away", level=1)).to_be_visible()
    today = timezone.localdate().isoformat()
    away.get_by_label("Who decides for them").select_option(label="Slt (Senior leader)")
    away.get_by_label("First day away").fill(today)
    away.get_by_label("Last day away").fill(today)
    away.get_by_role("button", name="Arrange cover").click()
    expect(away.locator(".message.success")).to_contain_text("Slt decides for Priya")
    assert wcag_violations(away) == []
    cover = ApprovalCover.objects.get()
    assert (cover.absent, cover.delegate) == (phase, staff.slt)

    # The class teacher sends a post for approval (written as on any day).
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=POST_TEXT)
    services.post_submit(actor=staff.teacher, post=post)

    # The headteacher does not see it yet: it waits at step 1.
    head = _signed_in_page(open_page, live_server, staff.head, DESKTOP)
    go_to(head, "Posts to approve")
    expect(head.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(head.get_by_role("listitem").filter(has_text=POST_TEXT)).to_have_count(0)

    # The senior leader covering for the phase leader finds it in her queue and approves step 1.
    delegate = _signed_in_page(open_page, live_server, staff.slt, DESKTOP)
    go_to(delegate, "Posts to approve")
    row = delegate.get_by_role("listitem").filter(has_text=POST_TEXT)
    expect(row).to_have_count(1)
    row.get_by_role("link").click()
    expect(delegate.get_by_role("heading", name="Post for Alpha Year3", level=1)).to_be_visible()
    steps = delegate.locator("#approval-steps")
    expect(steps).to_contain_text("Any one of: Priya")
    expect(steps).to_contain_text("Waiting for Priya")
    expect(delegate.locator("#deciding-step")).to_contain_text("You are deciding step 1 of 2 for Priya, who is away")
    assert wcag_violations(delegate) == []
    delegate.screenshot(path=screenshot_path("approval-chain-step-one.png"), full_page=True)
    _approve_now(delegate)
    expect(delegate.get_by_role("heading", name="Posts to approve", level=1)).to_be_visible()
    expect(delegate.locator(".message.success")).to_contain_text("Approved step 1. It now waits for step 2.")
    post.refresh_from_db()
    assert (post.status, post.approval_step) == (PostStatus.SUBMITTED, 1)
    decision = StepDecision.objects.get(post=post)
    assert (decision.decided_by, decision.counts_for) == (staff.slt.user, phase.user)

    # On the class iPad, the teacher sees how far it has gone.
    teacher = _signed_in_page(open_page, live_server, staff.teacher, IPAD)
    go_to(teacher, "My posts", tap=True)
    mine = teacher.get_by_role("article").filter(has_text=POST_TEXT)
    expect(mine).to_contain_text("Step 1 of 2 approved by Slt for Priya; waiting for Head at step 2 of 2")
    assert_fits_the_ipad(teacher)
    teacher.screenshot(path=screenshot_path("approval-chain-author-ipad.png"), full_page=True)

    # The headteacher now has it, with step 1's decision, and approves the last step.
    head.reload()
    row = head.get_by_role("listitem").filter(has_text=POST_TEXT)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Approval step 2")
    row.get_by_role("link").click()
    steps = head.locator("#approval-steps")
    expect(steps).to_contain_text(re.compile(r"Approved by Slt for Priya"))
    expect(head.locator("#deciding-step")).to_contain_text("You are deciding step 2 of 2.")
    _approve_now(head)
    expect(head.locator(".message.success")).to_contain_text("Approved. It will be published on @alpha_year3 now")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert post.decided_by == staff.head.user
    assert [p.text for p in LocalNetwork(accounts.year3).recent_own_posts()] == [POST_TEXT]
    assert Post.objects.filter(status=PostStatus.PUBLISHED).count() == 1

    # The teacher sees it went out.
    go_to(teacher, "My posts", tap=True)
    expect(teacher.get_by_role("article").filter(has_text=POST_TEXT)).to_contain_text("Published")

    # The headteacher's page for the steps, as she would change them.
    go_to(head, "Approval steps")
    expect(head.get_by_role("heading", name="Approval steps", level=1)).to_be_visible()
    head.get_by_role("link", name=re.compile(r"Edit steps for @alpha_year3")).click()
    expect(head.get_by_role("heading", name="Step 1", level=2)).to_be_visible()
    expect(head.get_by_role("heading", name="Add a step", level=2)).to_be_visible()
    assert wcag_violations(head) == []
