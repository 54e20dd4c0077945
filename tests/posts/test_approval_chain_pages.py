"""The review page, the queue and "My posts" with approval in more than one step (issue 18)."""

import pytest
from django.urls import reverse

from accounts.models import ApprovalStep, Role
from accounts.services_approval import StepSpec, approval_chain_save
from posts import services
from posts.models import Post, PostStatus
from tests.factories import enable_totp, make_member


@pytest.fixture
def phase(school, staff):
    """The phase leader: a senior leader, with an authenticator app as every approver has."""
    member = make_member(school, "phase@alpha.test", [Role.SENIOR_LEADER])
    enable_totp(member.user)
    return member


@pytest.fixture
def waiting(staff, accounts, phase, make_post):
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(mode=ApprovalStep.Mode.ALL, people=[phase, staff.slt]), StepSpec(people=[staff.head])],
    )
    post = make_post("Our class assembly about kindness")
    services.post_submit(actor=staff.teacher, post=post)
    return Post.objects.select_related("account__school").get(pk=post.pk)


def test_the_review_page_shows_each_step_and_who_it_waits_for(client_for, staff, phase, waiting):
    page = client_for(phase).get(reverse("review_post", args=[waiting.pk])).content.decode()
    assert "Approval steps" in page
    assert "All of: Phase, Slt" in page
    assert "Any one of: Head" in page
    assert "Waiting for Phase, Slt" in page
    assert "You are deciding step 1 of 2" in page


def test_after_approving_an_all_of_step_the_page_says_it_waits_for_the_others(client_for, staff, phase, waiting):
    client = client_for(phase)
    response = client.post(reverse("review_approve", args=[waiting.pk]), {"when": "now"})
    assert response.status_code == 302
    page = client.get(reverse("review_post", args=[waiting.pk])).content.decode()
    assert "You have already approved this step" in page
    assert "Approved by Phase" in page
    assert "Waiting for Slt" in page
    assert waiting.pk not in [p.pk for p in client.get(reverse("review_queue")).context["page"].posts]


def test_the_headteacher_sees_the_post_only_when_it_reaches_their_step(client_for, staff, phase, waiting):
    head = client_for(staff.head)
    assert waiting.pk not in [p.pk for p in head.get(reverse("review_queue")).context["page"].posts]
    page = head.get(reverse("review_post", args=[waiting.pk])).content.decode()
    assert "Its current step is for other people" in page
    assert head.post(reverse("review_approve", args=[waiting.pk]), {"when": "now"}).status_code == 302
    assert Post.objects.get(pk=waiting.pk).approval_step == 0

    services.post_approve(actor=phase, post=waiting)
    services.post_approve(actor=staff.slt, post=Post.objects.get(pk=waiting.pk))
    assert waiting.pk in [p.pk for p in head.get(reverse("review_queue")).context["page"].posts]
    response = head.post(reverse("review_approve", args=[waiting.pk]), {"when": "now"}, follow=True)
    assert "Approved. It will be published" in response.content.decode()
    assert Post.objects.get(pk=waiting.pk).status in (PostStatus.APPROVED, PostStatus.PUBLISHED)


def test_changes_asked_at_step_two_show_in_the_history_after_resubmission(client_for, staff, phase, waiting):
    services.post_approve(actor=phase, post=waiting)
    services.post_approve(actor=staff.slt, post=Post.objects.get(pk=waiting.pk))
    services.post_request_changes(actor=staff.head, post=Post.objects.get(pk=waiting.pk), comment="Add the date.")
    services.post_submit(actor=staff.teacher, post=Post.objects.get(pk=waiting.pk))
    page = client_for(phase).get(reverse("review_post", args=[waiting.pk])).content.decode()
    assert "Earlier rounds" in page
    assert "Round 1, step 2: asked for changes by Head" in page
    assert "Add the date." in page


def test_the_author_sees_how_far_the_post_has_gone(client_for, staff, phase, waiting):
    services.post_approve(actor=phase, post=waiting)
    services.post_approve(actor=staff.slt, post=Post.objects.get(pk=waiting.pk))
    page = client_for(staff.teacher).get(reverse("post_list_mine")).content.decode()
    assert "Step 1 of 2 approved by Phase, Slt; waiting for Head at step 2 of 2" in page


def test_the_dashboard_lists_the_post_for_the_current_steps_people_only(client_for, staff, phase, waiting):
    assert client_for(phase).get(reverse("dashboard")).context["approvals"].count == 1
    assert client_for(staff.head).get(reverse("dashboard")).context["approvals"].count == 0
