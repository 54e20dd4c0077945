"""Reposting (boosting) on Mastodon (issue 18) against the stub server: a post's address resolved
through the account's server (search with resolve=true), then reblog and unreblog; the account's
boost found again through the status's `reblogged`; the boosted post's pictures read with it.
Every request is checked against the stub's schema of Mastodon's API."""

import pytest

from networks.base import PostNotFound
from networks.registry import get_network
from tests.factories import make_account


@pytest.fixture
def school_account(mastodon_stub):
    return mastodon_stub.add_account("alpha_year3")


@pytest.fixture
def network(school, mastodon_stub, school_account):
    account = make_account(school, "alpha_year3")
    account.network = "mastodon"
    account.credentials, account.network_settings = mastodon_stub.connect(school_account)
    account.save()
    return get_network(account)


@pytest.fixture
def news(mastodon_stub):
    return mastodon_stub.add_status(mastodon_stub.add_account("town_council"), "The park reopens on Friday.")


def test_repost_boosts_the_post_once_even_when_asked_twice(network, mastodon_stub, school_account, news):
    first = network.repost(f"{mastodon_stub.base_url}/@town_council/{news['id']}")
    again = network.repost(news["id"])

    [boost] = mastodon_stub.statuses_by(school_account)
    assert boost["reblog_of"] == news["id"]
    assert first == again
    assert first.id == boost["id"]
    assert first.url == f"{mastodon_stub.base_url}/@town_council/{news['id']}"


def test_a_post_on_another_server_is_resolved_through_the_accounts_server(network, mastodon_stub, school_account):
    remote = mastodon_stub.add_status(mastodon_stub.add_account("museum"), "New dinosaur gallery")
    remote["remote_url"] = "https://museum.example/@news/1099"

    fetched = network.fetch_post("https://museum.example/@news/1099")
    network.repost("https://museum.example/@news/1099")

    assert fetched.text == "New dinosaur gallery"
    [boost] = mastodon_stub.statuses_by(school_account)
    assert boost["reblog_of"] == remote["id"]
    [search] = mastodon_stub.requests_to("GET /api/v2/search")[:1]
    assert search.params["resolve"] in (["true"], ["1"])
    with pytest.raises(PostNotFound):
        network.fetch_post("https://museum.example/@news/404")


def test_find_repost_says_whether_the_account_boosts_it(network, news):
    assert network.find_repost(news["id"]) is None

    ref = network.repost(news["id"])

    assert network.find_repost(news["id"]) == ref


def test_undo_repost_unreblogs(network, mastodon_stub, school_account, news):
    ref = network.repost(news["id"])

    network.undo_repost(ref.id, news["id"])

    assert mastodon_stub.statuses_by(school_account) == []
    assert network.find_repost(news["id"]) is None


def test_fetch_post_reads_the_pictures_and_their_descriptions(network, mastodon_stub, news):
    mastodon_stub.media["501"] = {
        "id": "501",
        "account_id": news["account_id"],
        "description": "The new swings",
        "bytes": 10,
        "polls_left": 0,
        "attached": True,
    }
    news["media_ids"] = ["501"]

    [picture] = network.fetch_post(news["id"]).media

    assert picture.alt_text == "The new swings"
    assert picture.url == f"{mastodon_stub.base_url}/media/501.jpg"
