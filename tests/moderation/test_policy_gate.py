"""Staff confirm reading the current policy before they draft: the selector and the decorator
that the compose views wear."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_htmx.middleware import HtmxDetails

from moderation.decorators import policy_acknowledged_required
from moderation.selectors import must_acknowledge_policy
from moderation.services import policy_acknowledge, policy_draft_create, policy_seed_default, policy_sign_off


@policy_acknowledged_required
def compose(request):
    return HttpResponse("the compose page")


def _request(membership, *, method="get", path="/posts/new/?account=3", htmx=False):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/posts/new/"} if htmx else {}
    request = getattr(RequestFactory(), method)(path, headers=headers)
    request.user = membership.user if membership else None
    request.membership = membership
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    return request


@pytest.fixture
def policy(staff, school):
    return policy_seed_default(school=school, signed_off_by=staff.head)


def test_nothing_to_acknowledge_before_the_school_signs_off_a_policy(staff):
    policy_draft_create(actor=staff.computing, body="A draft is not the policy yet.")
    assert must_acknowledge_policy(staff.teacher) is None
    assert compose(_request(staff.teacher)).content == b"the compose page"


def test_staff_must_acknowledge_the_current_policy_before_drafting(staff, policy):
    request = _request(staff.teacher)
    response = compose(request)

    assert must_acknowledge_policy(staff.teacher) == policy
    assert response.status_code == 302
    assert response.url == reverse("policy_current") + "?next=%2Fposts%2Fnew%2F%3Faccount%3D3"
    assert "read version 1" in [str(m) for m in get_messages(request)][0]


def test_after_acknowledging_staff_can_draft(staff, policy):
    policy_acknowledge(actor=staff.teacher, version=policy)
    assert must_acknowledge_policy(staff.teacher) is None
    assert compose(_request(staff.teacher)).content == b"the compose page"


def test_a_new_version_must_be_acknowledged_again(staff, policy):
    policy_acknowledge(actor=staff.teacher, version=policy)
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nNew wording.")
    assert must_acknowledge_policy(staff.teacher) is None, "a draft changes nothing for staff"

    second = policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())

    assert must_acknowledge_policy(staff.teacher) == second
    assert compose(_request(staff.teacher)).status_code == 302
    policy_acknowledge(actor=staff.teacher, version=second)
    assert compose(_request(staff.teacher)).status_code == 200


def test_acknowledging_at_one_school_does_not_count_at_another(staff, policy, outsider):
    policy_acknowledge(actor=staff.teacher, version=policy)
    theirs = policy_seed_default(school=outsider.school, signed_off_by=outsider.head)
    assert must_acknowledge_policy(outsider.teacher) == theirs
    assert must_acknowledge_policy(staff.teacher) is None


def test_an_htmx_request_is_sent_to_the_policy_as_a_whole_page(staff, policy):
    response = compose(_request(staff.teacher, method="post", htmx=True))
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("policy_current") + "?next=%2Fposts%2Fnew%2F"


def test_a_plain_post_is_sent_to_the_policy_without_a_way_back_to_the_post_url(staff, policy):
    response = compose(_request(staff.teacher, method="post"))
    assert response.status_code == 302 and response.url == reverse("policy_current")


def test_without_a_membership_the_decorator_leaves_the_answer_to_the_view(policy):
    assert compose(_request(None)).status_code == 200
