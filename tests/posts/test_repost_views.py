"""The repost pages (issue 18): "Repost someone's post" from the New post page, the draft showing
the post it shares, sending it for approval, "My posts", and the approver's review page with the
reposted post's author, words and pictures."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from networks.base import PostPayload
from networks.local.adapter import post_url
from networks.local.models import LocalNetworkMedia
from networks.registry import get_network
from posts import services
from posts.models import Post, PostStatus
from tests.factories import make_account


@pytest.fixture
def teacher(client_for, staff, accounts):
    return client_for(staff.teacher)


@pytest.fixture
def news(school):
    account = make_account(school, "village_news")

    def post(text="The summer fair raised enough for new library books.", *, pictures=()):
        ref = get_network(account).publish(PostPayload(text=text))
        for alt_text in pictures:
            LocalNetworkMedia.objects.create(
                account=account, post_id=int(ref.id), file="local-network/x.jpg", alt_text=alt_text, width=10, height=10
            )
        return post_url(account, int(ref.id))

    return post


def propose(client, account, url, action="save"):
    data = {"client_token": str(uuid.uuid4()), "account": account.pk, "repost_url": url, "publish_at": ""}
    return client.post(reverse("post_repost_compose"), {**data, "action": action})


def test_the_new_post_page_offers_a_repost(teacher):
    body = teacher.get(reverse("post_compose")).content.decode()

    assert reverse("post_repost_compose") in body
    assert "Repost someone's post" in body


def test_the_repost_page_says_it_goes_to_one_account(teacher):
    body = teacher.get(reverse("post_repost_compose")).content.decode()

    assert "Link of the post to repost" in body
    assert "goes to one account only" in body


def test_showing_the_post_saves_a_draft_with_what_the_portal_read(teacher, accounts, news):
    response = propose(teacher, accounts.year3, news())

    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("post_repost_edit", args=[post.pk])
    assert (post.text, post.status) == ("", PostStatus.DRAFT)
    body = teacher.get(response.url).content.decode()
    assert "Repost of @village_news" in body
    assert "The summer fair raised enough for new library books." in body


def test_a_link_that_is_not_a_post_on_the_accounts_network_is_refused(teacher, accounts):
    response = propose(teacher, accounts.year3, "https://x.com/BBCNews/status/12345")

    assert response.status_code == 400
    assert "not a post the account can repost" in response.content.decode()
    assert not Post.objects.exists()


def test_send_for_approval_then_my_posts_names_the_repost(teacher, accounts, news):
    response = propose(teacher, accounts.year3, news(), action="submit")

    assert response.status_code == 302 and response.url == reverse("post_list_mine")
    assert Post.objects.get().status == PostStatus.SUBMITTED
    assert "Repost of @village_news" in teacher.get(response.url).content.decode()


def test_editing_a_repost_opens_the_repost_page(teacher, accounts, news):
    propose(teacher, accounts.year3, news())
    post = Post.objects.get()

    response = teacher.get(reverse("post_edit", args=[post.pk]))

    assert response.status_code == 302 and response.url == reverse("post_repost_edit", args=[post.pk])


def test_a_blocked_repost_says_why_and_stays_a_draft(teacher, accounts, news, pupils):
    response = propose(teacher, accounts.year3, news("Ben Ruiz won the county chess cup"), action="submit")

    assert response.status_code == 400
    assert "cannot be sent for approval yet" in response.content.decode()
    assert Post.objects.get().status == PostStatus.DRAFT


def test_the_approver_sees_the_reposted_post_and_must_look_at_its_pictures(client_for, staff, accounts, news):
    propose(client_for(staff.teacher), accounts.year3, news("Fair photos", pictures=["Stalls on the green"]), "submit")
    post = Post.objects.get()
    head = client_for(staff.head)

    body = head.get(reverse("review_post", args=[post.pk])).content.decode()
    assert "Repost of @village_news" in body
    assert "Fair photos" in body
    assert "Stalls on the green" in body
    assert "confirm_repost_pictures" in body

    refused = head.post(reverse("review_approve", args=[post.pk]), {"when": "now"})
    assert refused.status_code == 400
    assert Post.objects.get().status == PostStatus.SUBMITTED

    approved = head.post(reverse("review_approve", args=[post.pk]), {"when": "now", "confirm_repost_pictures": "on"})
    assert approved.status_code == 302
    assert Post.objects.get().status in (PostStatus.APPROVED, PostStatus.PUBLISHED)


def test_the_dashboard_and_the_calendar_name_a_repost(client_for, staff, accounts, news):
    propose(client_for(staff.teacher), accounts.year3, news(), action="submit")
    post = Post.objects.get()
    goes_out = timezone.now() + timedelta(hours=2)
    services.post_approve(actor=staff.head, post=post, publish_at=goes_out)

    dashboard = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    calendar = (
        client_for(staff.head)
        .get(reverse("post_calendar"), {"view": "day", "date": timezone.localdate(goes_out).isoformat()})
        .content.decode()
    )

    assert "Repost of @village_news" in dashboard
    assert "Repost of @village_news" in calendar
