"""Reposting on X (issue 18) against the stub X server: POST and DELETE /2/users/{id}/retweets
through tweepy, the reposted post's pictures read with it, and the account's own repost found
again for reconciliation. Every request is checked against X's API description."""

import uuid

import pytest

from networks.registry import get_network
from posts import services
from posts.models import PostStatus
from posts.services import publishing
from posts.services.publishing import Outcome
from tests.factories import make_account


@pytest.fixture
def x_user(x_stub):
    return x_stub.add_user("alpha_school", name="Alpha Primary")


@pytest.fixture
def network(school, x_stub, x_user):
    account = make_account(school, "alpha_school")
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(x_user)
    account.save()
    return get_network(account)


@pytest.fixture
def news(x_stub):
    return x_stub.add_post(x_stub.add_user("county_news"), "Roadworks on the High Street start on Monday.")


def test_x_says_it_can_repost(network):
    assert network.limits.supports_repost


def test_repost_retweets_the_post_once_even_when_asked_twice(network, x_stub, x_user, news):
    first = network.repost(news["id"])
    again = network.repost(news["id"])

    [repost] = x_stub.posts_by(x_user)
    assert repost["repost_of"] == news["id"]
    assert first.id == again.id == repost["id"]
    assert first.url.endswith(f"/status/{news['id']}")
    assert x_stub.requests_to("POST /2/users/{id}/retweets")[0].json() == {"tweet_id": news["id"]}


def test_find_repost_finds_the_accounts_repost_and_nothing_before_it(network, x_stub, news):
    assert network.find_repost(news["id"]) is None

    ref = network.repost(news["id"])

    assert network.find_repost(news["id"]) == ref


def test_undo_repost_unretweets_by_the_reposted_posts_id(network, x_stub, x_user, news):
    ref = network.repost(news["id"])

    network.undo_repost(ref.id, news["id"])

    assert x_stub.posts_by(x_user) == []
    [request] = x_stub.requests_to("DELETE /2/users/{id}/retweets/{source_tweet_id}")
    assert request.path.endswith(f"/retweets/{news['id']}")
    assert network.find_repost(news["id"]) is None


def test_fetch_post_reads_the_pictures_and_their_descriptions(network, x_stub, news):
    x_stub.media["777"] = {"id": "777", "owner_id": news["author_id"], "alt_text": "A digger on the High Street"}
    news["media_ids"] = ["777"]

    fetched = network.fetch_post(news["id"])

    [picture] = fetched.media
    assert picture.alt_text == "A digger on the High Street"
    assert picture.url == "https://pbs.twimg.com/media/777.jpg"


def test_a_repost_x_took_but_did_not_answer_is_recorded_not_sent_again(settings, school, staff, year3, x_stub, news):
    settings.X_TIMEOUT_SECONDS = 1.0
    x_class = x_stub.add_user("alpha_year3")
    account = make_account(school, "alpha_year3", class_group=year3)
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(x_class)
    account.save()
    post, _ = services.post_draft_create(
        actor=staff.teacher,
        account=account,
        client_token=uuid.uuid4(),
        repost_url=f"https://x.com/county_news/status/{news['id']}",
    )
    services.post_send_for_approval(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    x_stub.delay_next("POST /2/users/{id}/retweets", seconds=3, apply=True)

    assert publishing.publish(post.pk) == Outcome.RECONCILED

    post.refresh_from_db()
    [repost] = x_stub.posts_by(x_class)
    assert (post.status, post.external_id) == (PostStatus.PUBLISHED, repost["id"])
    assert len(x_stub.requests_to("POST /2/users/{id}/retweets")) == 1

    services.post_take_down(actor=staff.head, post=post)

    assert x_stub.posts_by(x_class) == []
