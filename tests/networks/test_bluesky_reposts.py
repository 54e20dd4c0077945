"""Reposting on Bluesky (issue 18) against the stub server: an app.bsky.feed.repost record made,
found again in the account's own repository and deleted, every request and record checked
against the lexicons; the reposted post's pictures read with their descriptions."""

import pytest

from networks.base import PostNotFound
from networks.bluesky.adapter import REPOST_COLLECTION
from networks.registry import get_network
from tests.blueskystub import make_cid, make_tid
from tests.factories import make_account


@pytest.fixture
def bsky_user(bluesky_stub):
    return bluesky_stub.add_user("alpha.bsky.social", display_name="Alpha Primary")


@pytest.fixture
def network(school, bluesky_stub, bsky_user):
    account = make_account(school, "alpha.bsky.social")
    account.network = "bluesky"
    account.credentials = bluesky_stub.credentials(bsky_user)
    account.save()
    return get_network(account)


@pytest.fixture
def news(bluesky_stub):
    author = bluesky_stub.add_user("county.news.social")
    uri = bluesky_stub.add_post(author, "The library's summer reading challenge starts today.")
    rkey = uri.rsplit("/", 1)[1]
    return f"county.news.social/{rkey}", uri


def test_repost_makes_one_repost_record_even_when_asked_twice(network, bluesky_stub, bsky_user, news):
    post_id, uri = news

    first = network.repost(post_id)
    again = network.repost(post_id)

    [record] = bluesky_stub.records_of(bsky_user, REPOST_COLLECTION)
    assert record["subject"]["uri"] == uri
    assert first == again
    assert first.id.startswith(f"{bsky_user.did}/")
    assert (
        first.url == f"https://bsky.app/profile/{uri.removeprefix('at://').split('/')[0]}/post/{uri.rsplit('/', 1)[1]}"
    )


def test_find_repost_reads_the_accounts_repository(network, news):
    post_id, _ = news
    assert network.find_repost(post_id) is None

    ref = network.repost(post_id)

    assert network.find_repost(post_id) == ref


def test_undo_repost_deletes_the_record_and_a_second_undo_says_it_is_gone(network, bluesky_stub, bsky_user, news):
    post_id, _ = news
    ref = network.repost(post_id)

    network.undo_repost(ref.id, post_id)

    assert bluesky_stub.records_of(bsky_user, REPOST_COLLECTION) == []
    with pytest.raises(PostNotFound):
        network.undo_repost(ref.id, post_id)


def test_fetch_post_reads_the_pictures_and_their_descriptions(network, bluesky_stub):
    author = bluesky_stub.add_user("parish.news.social")
    cid = make_cid(b"picture", codec=0x55)
    record = {
        "$type": "app.bsky.feed.post",
        "text": "Fete photos",
        "createdAt": "2026-06-01T10:00:00.000Z",
        "embed": {
            "$type": "app.bsky.embed.images",
            "images": [
                {
                    "image": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 7},
                    "alt": "The tombola stall",
                }
            ],
        },
    }
    rkey = make_tid()
    bluesky_stub._write(author.did, "app.bsky.feed.post", rkey, record)

    fetched = network.fetch_post(f"{author.did}/{rkey}")

    [picture] = fetched.media
    assert picture.alt_text == "The tombola stall"
    assert picture.url == f"https://cdn.bsky.app/img/feed_fullsize/plain/{author.did}/{cid}@jpeg"
