"""Anyone on the staff named on an approval step decides it (issue 18): a phase leader who is a
class teacher, say, or every class teacher as a role. They see and decide only the posts at
their step, and sign in with an authenticator while they are on one."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import ApprovalStep, Role
from accounts.permissions import requires_second_factor
from accounts.selectors import memberships_with_roles
from accounts.services_approval import StepSpec, approval_chain_save
from posts import services
from posts.models import Post, PostStatus
from tests.factories import enable_totp, make_class, make_member


@pytest.fixture
def phase(school, staff):
    """The phase leader: Year 4's class teacher, with an authenticator app set up."""
    member = make_member(school, "phase@alpha.test", [Role.CLASS_TEACHER], [make_class(school, "Year 4", 4)])
    enable_totp(member.user)
    return member


@pytest.fixture
def two_steps(staff, accounts, phase):
    """Year 3's posts: the phase leader, then the headteacher."""
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(people=[phase]), StepSpec(people=[staff.head])],
    )


def _fresh(post):
    return Post.objects.select_related("account__school").get(pk=post.pk)


def _submitted(make_post, staff, **kwargs):
    post = make_post("Our class trip to the farm", **kwargs)
    services.post_submit(actor=kwargs.get("author") or staff.teacher, post=post)
    return _fresh(post)


def _queue(client) -> list[int]:
    return [p.pk for p in client.get(reverse("review_queue")).context["page"].posts]


def test_a_class_teacher_named_on_step_one_approves_it_then_the_headteacher_step_two(
    client_for, staff, phase, two_steps, make_post
):
    post = _submitted(make_post, staff)
    client = client_for(phase)
    assert post.pk in _queue(client)
    page = client.get(reverse("review_post", args=[post.pk])).content.decode()
    assert "You are deciding step 1 of 2" in page

    response = client.post(reverse("review_approve", args=[post.pk]), {"when": "now"}, follow=True)
    assert "Approved step 1. It now waits for step 2." in response.content.decode()
    assert _fresh(post).approval_step == 1

    # At step 2 the post is the headteacher's: the phase leader no longer sees or decides it.
    assert post.pk not in _queue(client)
    assert client.get(reverse("review_post", args=[post.pk])).status_code == 403
    assert client.post(reverse("review_approve", args=[post.pk]), {"when": "now"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=phase, post=_fresh(post))

    services.post_approve(actor=staff.head, post=_fresh(post))
    assert _fresh(post).status in (PostStatus.APPROVED, PostStatus.PUBLISHED)
    assert client.get(reverse("review_post", args=[post.pk])).status_code == 403


def test_a_step_person_cannot_approve_an_account_without_steps(
    client_for, staff, accounts, phase, two_steps, make_post
):
    post = _submitted(make_post, staff, author=staff.slt, account=accounts.whole_school)
    client = client_for(phase)
    assert post.pk not in _queue(client)
    assert client.get(reverse("review_post", args=[post.pk])).status_code == 403
    assert client.post(reverse("review_approve", args=[post.pk]), {"when": "now"}).status_code == 403
    assert client.post(reverse("review_reject", args=[post.pk]), {"reason": "No."}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=phase, post=post)
    assert _fresh(post).status == PostStatus.SUBMITTED
    # The approvers' other lists stay theirs.
    assert client.get(reverse("review_queue") + "?status=published").context["status"] == "submitted"
    assert client.get(reverse("post_calendar")).status_code == 403


def test_the_menu_entry_shows_only_while_they_are_on_a_step(client_for, staff, accounts, phase, make_post):
    client = client_for(phase)
    queue = f'href="{reverse("review_queue")}"'
    assert queue not in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("review_queue")).status_code == 403

    approval_chain_save(actor=staff.head, account=accounts.year3, steps=[StepSpec(people=[phase])])
    post = _submitted(make_post, staff)
    page = client.get(reverse("dashboard")).content.decode()
    assert queue in page
    assert "Our class trip to the farm" in page  # on their dashboard, waiting for them

    approval_chain_save(actor=staff.head, account=accounts.year3, steps=[])
    assert queue not in client.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("review_post", args=[post.pk])).status_code == 403


def test_someone_on_a_step_is_asked_to_set_up_the_authenticator(client_for, school, staff, accounts):
    leader = make_member(school, "leader@alpha.test", [Role.COMPUTING_LEAD])
    assert not requires_second_factor(memberships_with_roles().get(pk=leader.pk))
    assert client_for(leader).get(reverse("dashboard")).status_code == 200

    approval_chain_save(actor=staff.head, account=accounts.year3, steps=[StepSpec(people=[leader])])
    assert requires_second_factor(memberships_with_roles().get(pk=leader.pk))
    response = client_for(leader).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("second_factor_required")


def test_everyone_holding_a_role_on_a_step_must_set_up_the_authenticator(staff, accounts):
    approval_chain_save(
        actor=staff.head, account=accounts.year3, steps=[StepSpec(roles=[Role.TEACHING_ASSISTANT, Role.SENIOR_LEADER])]
    )
    assert requires_second_factor(memberships_with_roles().get(pk=staff.ta.pk))
    assert not requires_second_factor(memberships_with_roles().get(pk=staff.computing.pk))


def test_a_role_named_step_is_for_any_class_teacher_but_the_author(
    client_for, staff, accounts, phase, make_post, mailoutbox, django_capture_on_commit_callbacks
):
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(mode=ApprovalStep.Mode.ALL, roles=[Role.CLASS_TEACHER]), StepSpec(people=[staff.head])],
    )
    with django_capture_on_commit_callbacks(execute=True):
        post = _submitted(make_post, staff)
    assert [m.to for m in mailoutbox] == [["phase@alpha.test"]]

    # "All of" the class teachers, but the author never counts: the phase leader alone completes it.
    enable_totp(staff.teacher.user)  # on the step too (for others' posts), so asked for it
    author = client_for(staff.teacher)
    assert author.get(reverse("review_post", args=[post.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.post_approve(actor=staff.teacher, post=post)

    services.post_approve(actor=phase, post=post)
    assert _fresh(post).approval_step == 1


def test_the_step_editor_offers_everyone_on_the_staff_and_every_role(client_for, staff, accounts, phase):
    client = client_for(staff.head)
    page = client.get(reverse("approval_chain_edit", args=[accounts.year3.pk])).content.decode()
    assert "Phase (Class teacher)" in page
    assert "Office (Office admin)" in page
    assert 'value="class_teacher"' in page

    data = {
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "steps-0-mode": "any",
        "steps-0-people": [str(phase.pk)],
        "steps-0-ORDER": "1",
    }
    assert client.post(reverse("approval_chain_edit", args=[accounts.year3.pk]), data).status_code == 302
    assert [list(step.people.all()) for step in ApprovalStep.objects.filter(account=accounts.year3)] == [[phase]]

    # Still refused: a step only the class's own teacher, who writes its posts, could decide.
    data["steps-0-people"] = [str(staff.teacher.pk)]
    response = client.post(reverse("approval_chain_edit", args=[accounts.year3.pk]), data)
    assert response.status_code == 400
    assert "nobody would be left" in response.content.decode()


def test_a_class_teacher_can_cover_for_someone_on_a_step(client_for, staff, phase, two_steps, make_post):
    page = client_for(staff.head).get(reverse("approval_covers")).content.decode()
    assert "Teacher (Class teacher)" in page  # offered as the one who decides while someone is away
