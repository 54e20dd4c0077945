"""The Mastodon adapter against the stub server, over real HTTP through Mastodon.py."""

import io
import time

import pytest
from PIL import Image

from accounts.models import Network as NetworkChoice
from networks.base import NetworkError, PostNotFound, PostPayload, ReconnectNeeded
from networks.mastodon.adapter import MastodonNetwork
from networks.registry import get_network
from networks.text import length_of
from tests.factories import make_account


@pytest.fixture
def school_account(mastodon_stub):
    return mastodon_stub.add_account("alpha_school")


@pytest.fixture
def account(school, mastodon_stub, school_account):
    account = make_account(school, "alpha_school")
    account.network = NetworkChoice.MASTODON
    account.credentials, account.network_settings = mastodon_stub.connect(school_account)
    account.save()
    return account


@pytest.fixture
def network(account) -> MastodonNetwork:
    return get_network(account)


def _jpeg(colour=(30, 120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


# Limits come from the account's server.


def test_limits_are_the_servers_own_and_default_to_mastodons(account):
    account.network_settings = {**account.network_settings, "max_characters": 1000, "max_images": 6}
    limits = MastodonNetwork.capabilities_for(account)
    assert (limits.max_length, limits.max_images, limits.url_length) == (1000, 6, 23)

    unknown = MastodonNetwork.capabilities_for(None)
    assert (unknown.max_length, unknown.max_images, unknown.alt_text_limit) == (500, 4, 1500)
    assert unknown.max_image_bytes == 16 * 1024 * 1024


def test_a_link_counts_as_the_servers_reserved_length(account):
    account.network_settings = {**account.network_settings, "url_length": 30}
    limits = MastodonNetwork.capabilities_for(account)
    assert length_of("See https://example.org/a/very/long/path/indeed", limits) == 4 + 30


def test_a_post_over_the_servers_limit_is_refused_before_sending(network, mastodon_stub):
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="a" * 501))
    assert caught.value.permanent
    assert "501" in caught.value.message and "500" in caught.value.message
    assert mastodon_stub.requests_to("POST /api/v1/statuses") == []


def test_a_server_with_a_higher_limit_takes_a_longer_post(account, mastodon_stub, school_account):
    mastodon_stub.max_characters = 1000
    get_network(account).check_connection()  # reads the server's limits again
    account.refresh_from_db()
    assert account.network_settings["max_characters"] == 1000
    ref = get_network(account).publish(PostPayload(text="a" * 800))
    assert mastodon_stub.statuses[ref.id]["text"] == "a" * 800


def test_the_servers_refusal_of_a_long_post_is_permanent_and_plain(network, mastodon_stub):
    mastodon_stub.max_characters = 100  # the server lowered its limit since the last check
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="b" * 200))
    assert caught.value.permanent
    assert "character limit of 100" in caught.value.message


# Publishing.


def test_publish_with_photos_waits_for_processing_and_sends_descriptions(network, mastodon_stub, school_account):
    mastodon_stub.media_processing_polls = 2
    media = [network.upload_media(_jpeg(), "A frog made of paper"), network.upload_media(_jpeg(), "Two toucans")]
    ref = network.publish(PostPayload(text="Our rainforest display", media=media), idempotency_key="k-1")

    [status] = mastodon_stub.statuses_by(school_account)
    assert ref.id == status["id"]
    assert ref.url == f"{mastodon_stub.base_url}/@alpha_school/{status['id']}"
    assert [mastodon_stub.media[m]["description"] for m in status["media_ids"]] == [
        "A frog made of paper",
        "Two toucans",
    ]
    assert len(mastodon_stub.requests_to("GET /api/v1/media/{id}")) == 4
    [request] = mastodon_stub.requests_to("POST /api/v1/statuses")
    assert request.headers["idempotency-key"] == "k-1"
    assert request.params["visibility"] == ["public"]


def test_a_photo_the_server_is_still_processing_is_a_transient_error(network, mastodon_stub, settings):
    settings.MASTODON_MEDIA_WAIT_SECONDS = 0.3
    mastodon_stub.media_processing_polls = 1000
    with pytest.raises(NetworkError) as caught:
        network.upload_media(_jpeg(), "A frog")
    assert not caught.value.permanent
    assert "still preparing a photo" in caught.value.message


def test_the_same_idempotency_key_returns_the_first_status(network, mastodon_stub, school_account):
    first = network.publish(PostPayload(text="Sports day!"), idempotency_key="post-7")
    again = network.publish(PostPayload(text="Sports day!"), idempotency_key="post-7")
    assert first == again
    assert len(mastodon_stub.statuses_by(school_account)) == 1


def test_a_quote_is_refused_plainly(network, mastodon_stub):
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Look", quote_of="123"))
    assert caught.value.permanent and "link to the other post" in caught.value.message
    assert mastodon_stub.requests_to("POST /api/v1/statuses") == []


def test_delete_removes_the_status_and_a_second_delete_is_post_not_found(network, mastodon_stub, school_account):
    ref = network.publish(PostPayload(text="Taken down soon"))
    network.delete(ref.id)
    assert mastodon_stub.statuses_by(school_account) == []
    with pytest.raises(PostNotFound):
        network.delete(ref.id)


def test_recent_own_posts_are_plain_text_newest_first(network, mastodon_stub, school_account):
    mastodon_stub.add_status(school_account, "First & <best>")
    mastodon_stub.add_status(school_account, "Second\n\nparagraph")
    posts = network.recent_own_posts()
    assert [p.text for p in posts] == ["Second\n\nparagraph", "First & <best>"]
    assert posts[0].created_at.tzinfo is not None


def test_fetch_post_by_id_or_by_its_address_on_the_same_server(network, mastodon_stub):
    author = mastodon_stub.add_account("parent1")
    status = mastodon_stub.add_status(author, "Well done Year 3")
    by_id = network.fetch_post(status["id"])
    by_url = network.fetch_post(f"{mastodon_stub.base_url}/@parent1/{status['id']}")
    assert by_id == by_url
    assert (by_id.text, by_id.author_handle) == ("Well done Year 3", "parent1")
    # An address on another server is looked up through this server's search (issue 18): unknown here.
    with pytest.raises(PostNotFound, match="could not find the post"):
        network.fetch_post(f"https://elsewhere.example/@someone/{status['id']}")
    with pytest.raises(PostNotFound):
        network.fetch_post("999")


# Error mapping.


def test_a_rate_limit_gives_the_servers_reset_time(network, mastodon_stub):
    reset = mastodon_stub.rate_limit_next("POST /api/v1/statuses", reset_in=600)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert not caught.value.permanent
    assert caught.value.retry_after == pytest.approx(reset - time.time(), abs=5)
    assert "limiting how often" in caught.value.message


def test_a_rate_limit_whose_reset_has_passed_is_tried_again_soon(network, mastodon_stub):
    mastodon_stub.rate_limit_next("POST /api/v1/statuses", reset_in=-5)  # a slow worker got there late
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.retry_after == 1.0


def test_a_rate_limit_without_a_reset_waits_mastodons_five_minute_window(network, mastodon_stub):
    mastodon_stub.fail_next("POST /api/v1/statuses", status=429)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.retry_after == 300


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_on_publishing_is_an_unknown_outcome(network, mastodon_stub, status):
    mastodon_stub.fail_next("POST /api/v1/statuses", status=status)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert not caught.value.permanent and caught.value.outcome_unknown


def test_a_timeout_after_sending_is_an_unknown_outcome(network, mastodon_stub, settings):
    settings.MASTODON_TIMEOUT_SECONDS = 0.5
    mastodon_stub.delay_next("POST /api/v1/statuses", seconds=1.5)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.outcome_unknown and not caught.value.permanent
    assert "did not answer in time" in caught.value.message


def test_a_server_that_is_down_is_transient_and_nothing_was_sent(network, mastodon_stub):
    mastodon_stub.go_down()
    try:
        with pytest.raises(NetworkError) as caught:
            network.publish(PostPayload(text="Hello"))
    finally:
        mastodon_stub.come_back()
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert "could not reach" in caught.value.message


def test_a_revoked_token_needs_reconnecting(network, mastodon_stub, account):
    mastodon_stub.revoke_token(account.credentials["access_token"])
    with pytest.raises(ReconnectNeeded) as caught:
        network.publish(PostPayload(text="Hello"))
    assert "Connect it again" in caught.value.message


def test_a_validation_error_is_permanent_with_the_servers_words(network, mastodon_stub):
    mastodon_stub.fail_next("POST /api/v1/statuses", status=422, body={"error": "Validation failed: Language is odd"})
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.permanent and "Validation failed: Language is odd" in caught.value.message


def test_a_missing_scope_is_permanent_and_says_to_reconnect(account, mastodon_stub, school_account):
    account.credentials, _ = mastodon_stub.connect(school_account, scope="read:accounts write:statuses")
    with pytest.raises(NetworkError) as caught:
        get_network(account).mute("1")
    assert caught.value.permanent and "Connecting the account again" in caught.value.message


# The people around the account.


def test_check_connection_names_the_account_and_keeps_the_servers_limits(account, mastodon_stub):
    mastodon_stub.url_length = 25
    user = get_network(account).check_connection()
    account.refresh_from_db()
    assert user.handle == "alpha_school"
    assert account.network_settings["url_length"] == 25
    assert account.network_settings["version"] == mastodon_stub.version


def test_a_server_older_than_4_0_describes_its_limits_in_the_v1_instance(account, mastodon_stub):
    mastodon_stub.fail_next("GET /api/v2/instance", status=404)
    mastodon_stub.version, mastodon_stub.max_characters = "3.5.3", 640
    get_network(account).check_connection()
    account.refresh_from_db()
    assert account.network_settings["version"] == "3.5.3"
    assert account.network_settings["max_characters"] == 640


def test_followers_page_through_the_link_header(network, mastodon_stub, school_account):
    for n in range(100):
        mastodon_stub.add_follower(school_account, mastodon_stub.add_account(f"parent{n}"))
    first, cursor = network.followers()
    second, last = network.followers(cursor)
    assert (len(first), len(second), last) == (80, 20, None)
    assert {u.handle for u in first + second} == {f"parent{n}" for n in range(100)}


def test_mentions_come_oldest_first_and_only_after_since(network, mastodon_stub, school_account):
    author = mastodon_stub.add_account("grandparent")
    old = mastodon_stub.add_mention(school_account, author, "@alpha_school hello")
    newer = [mastodon_stub.add_mention(school_account, author, f"@alpha_school news {n}") for n in range(3)]
    everything = network.mentions()
    assert [m.id for m in everything] == [old["id"], *(n["id"] for n in newer)]
    assert everything[0].author.handle == "grandparent"
    assert [m.id for m in network.mentions(since=old["id"])] == [n["id"] for n in newer]


def test_mute_block_report_and_remove_follower_reach_the_server(network, mastodon_stub, school_account):
    troll = mastodon_stub.add_account("troll")
    mastodon_stub.add_follower(school_account, troll)
    rude = mastodon_stub.add_status(troll, "rude words")

    network.mute(troll.id)
    assert troll.id in school_account.mutes
    network.unmute(troll.id)
    assert troll.id not in school_account.mutes
    network.remove_follower(troll.id)
    assert troll.id not in school_account.followers
    network.report(troll.id, "Unkind replies to a class account", [rude["id"]])
    [report] = mastodon_stub.reports
    assert (report["target_id"], report["status_ids"], report["forward"]) == (troll.id, [rude["id"]], True)
    network.block(troll.id)
    assert troll.id in school_account.blocks
    network.unblock(troll.id)
    assert troll.id not in school_account.blocks


def test_user_by_handle_and_an_unknown_handle(network, mastodon_stub):
    parent = mastodon_stub.add_account("parent_a")
    assert network.user_by_handle("@parent_a").id == parent.id
    with pytest.raises(NetworkError, match="knows of no account @nobody"):
        network.user_by_handle("nobody")


def test_hiding_a_reply_says_what_to_do_instead(network):
    with pytest.raises(NetworkError, match="no hidden replies"):
        network.hide_reply("1")
