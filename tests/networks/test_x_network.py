"""The X adapter against the stub X server: real tweepy and requests over real HTTP, every request
checked against X's API description (a mismatch fails the test at teardown)."""

import io
import socket
import time

import pytest
from django.db import connection
from PIL import Image

from accounts.models import SocialAccount
from networks.base import (
    DuplicateContent,
    NetworkError,
    PostNotFound,
    PostPayload,
    ReconnectNeeded,
)
from networks.registry import get_network
from networks.x.adapter import XNetwork, tier_capabilities
from tests.factories import make_account
from tests.xstub import CLIENT_FORBIDDEN_BODY


def jpeg_bytes(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def x_user(x_stub):
    return x_stub.add_user("alpha_school", name="Alpha Primary")


@pytest.fixture
def x_account(school, x_stub, x_user):
    account = make_account(school, "alpha_school")
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(x_user)
    account.save()
    return account


@pytest.fixture
def network(x_account):
    return get_network(x_account)


def stored_credentials(account) -> dict:
    return SocialAccount.objects.get(pk=account.pk).credentials


# Publishing, deleting, reading back.


def test_publish_text_creates_the_post_on_x(network, x_stub, x_user):
    ref = network.publish(PostPayload(text="Year 3 planted the school garden today."))

    [post] = x_stub.posts_by(x_user)
    assert post["id"] == ref.id
    assert post["text"] == "Year 3 planted the school garden today."
    assert ref.url == f"https://x.com/alpha_school/status/{ref.id}"


def test_publish_with_two_images_uploads_each_with_its_alt_text_before_posting(network, x_stub, x_user):
    first = network.upload_media(jpeg_bytes(), "Children planting bulbs in a raised bed.")
    second = network.upload_media(jpeg_bytes((20, 120, 20)), "A row of sunflowers against a fence.")
    ref = network.publish(PostPayload(text="Our garden", media=[first, second]))

    assert [r.route for r in x_stub.requests] == [
        "POST /2/media/upload",
        "POST /2/media/metadata",
        "POST /2/media/upload",
        "POST /2/media/metadata",
        "POST /2/tweets",
    ]
    assert x_stub.media[first]["alt_text"] == "Children planting bulbs in a raised bed."
    assert x_stub.media[second]["alt_text"] == "A row of sunflowers against a fence."
    assert x_stub.requests_to("POST /2/media/upload")[0].json()["media_category"] == "tweet_image"
    assert x_stub.posts[ref.id]["media_ids"] == [first, second]


def test_an_image_over_x_limit_is_refused_before_anything_is_sent(network, x_stub):
    with pytest.raises(NetworkError) as caught:
        network.upload_media(b"\xff\xd8\xff" + bytes(6 * 1024 * 1024), "A big photo")

    assert caught.value.permanent
    assert "5 MB" in caught.value.message
    assert x_stub.requests == []


def test_publish_a_quote_of_another_post(network, x_stub, x_user):
    original = x_stub.add_post(x_stub.add_user("county_sport"), "Tournament results are in!")

    ref = network.publish(PostPayload(text="So proud of our team", quote_of=original["id"]))

    assert x_stub.posts[ref.id]["quote_of"] == original["id"]
    assert x_stub.requests_to("POST /2/tweets")[0].json()["quote_tweet_id"] == original["id"]


def test_delete_removes_the_post_and_a_second_delete_says_it_is_gone(network, x_stub, x_user):
    ref = network.publish(PostPayload(text="Reminder: trip letters due Friday."))

    network.delete(ref.id)
    assert x_stub.posts_by(x_user) == []

    with pytest.raises(PostNotFound) as caught:
        network.delete(ref.id)
    assert "@alpha_school" in caught.value.message


def test_recent_own_posts_newest_first(network, x_stub, x_user):
    older = x_stub.add_post(x_user, "Harvest festival on Thursday")
    newer = x_stub.add_post(x_user, "Thank you for the donations")
    x_stub.add_post(x_stub.add_user("someone_else"), "Not ours")

    posts = network.recent_own_posts(limit=20)

    assert [(p.id, p.text) for p in posts] == [(newer["id"], newer["text"]), (older["id"], older["text"])]
    assert posts[0].url == f"https://x.com/alpha_school/status/{newer['id']}"
    assert posts[0].created_at.tzinfo is not None


def test_fetch_post_reads_someone_elses_post_with_its_author_and_real_links(network, x_stub):
    author = x_stub.add_user("county_sport")
    post = x_stub.add_post(
        author, "Results: https://t.co/abc123", links={"https://t.co/abc123": "https://county.example/results"}
    )

    fetched = network.fetch_post(post["id"])

    assert (fetched.id, fetched.text, fetched.author_handle) == (
        post["id"],
        "Results: https://county.example/results",
        "county_sport",
    )
    assert fetched.url == f"https://x.com/county_sport/status/{post['id']}"
    [request] = x_stub.requests_to("GET /2/tweets/{id}")
    # The pictures come with it (issue 18: a repost's approver looks at them).
    assert request.query["expansions"] == ["author_id,attachments.media_keys"]
    assert request.query["user.fields"] == ["username"]


def test_fetch_post_of_a_deleted_post_is_post_not_found(network, x_stub):
    post = x_stub.add_post(x_stub.add_user("county_sport"), "Soon gone")
    post["deleted"] = True

    with pytest.raises(PostNotFound) as caught:
        network.fetch_post(post["id"])

    assert caught.value.message == f"There is no post {post['id']} on X (it may have been deleted)."


def test_fetch_post_renews_an_expired_token_and_tries_again(x_account, x_stub):
    post = x_stub.add_post(x_stub.add_user("county_sport"), "Fixtures for Saturday")
    x_stub.expire_token(x_account.credentials["access_token"])
    network = get_network(x_account)
    network.credentials["expires_at"] = time.time() + 3600  # the portal does not know it has expired

    assert network.fetch_post(post["id"]).text == "Fixtures for Saturday"
    assert len(x_stub.requests_to("POST /2/oauth2/token")) == 1


def test_fetch_post_when_x_does_not_answer_is_a_temporary_error(settings, network, x_stub):
    post = x_stub.add_post(x_stub.add_user("county_sport"), "Slow")
    settings.X_TIMEOUT_SECONDS = 0.3
    x_stub.delay_next("GET /2/tweets/{id}", seconds=1)

    with pytest.raises(NetworkError) as caught:
        network.fetch_post(post["id"])

    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert "did not answer in time" in caught.value.message


def test_x_shows_link_previews(network):
    assert network.capabilities.shows_link_previews


def test_check_connection_says_who_x_thinks_we_are(network):
    me = network.check_connection()

    assert me.handle == "alpha_school"
    assert me.display_name == "Alpha Primary"
    assert me.url == "https://x.com/alpha_school"


def test_a_missing_user_id_is_fetched_once_and_kept_on_the_account(x_account, x_stub, x_user):
    x_account.credentials = {k: v for k, v in x_account.credentials.items() if k not in ("user_id", "username")}
    x_account.save()

    get_network(x_account).recent_own_posts()

    assert [r.route for r in x_stub.requests] == ["GET /2/users/me", "GET /2/users/{id}/tweets"]
    assert stored_credentials(x_account)["user_id"] == x_user.id
    assert stored_credentials(x_account)["username"] == "alpha_school"


def test_oauth1_user_tokens_publish_too(x_account, x_stub, x_user):
    x_account.credentials = x_stub.oauth1_credentials(x_user)
    x_account.save()

    ref = get_network(x_account).publish(PostPayload(text="Signed the old way"))

    assert x_stub.posts[ref.id]["author_id"] == x_user.id
    assert x_stub.requests_to("POST /2/tweets")[0].headers["authorization"].startswith("OAuth ")


# Followers, mentions and moderation.


def test_followers_with_what_screening_needs(network, x_stub, x_user):
    fan = x_stub.add_user(
        "parent_of_y3", name="A Parent", description="Proud parent", created_at="2021-05-01T10:00:00.000Z"
    )
    x_stub.add_follower(x_user, fan)

    followers, cursor = network.followers()

    assert cursor is None
    [follower] = followers
    assert (follower.id, follower.handle, follower.display_name) == (fan.id, "parent_of_y3", "A Parent")
    assert follower.description == "Proud parent"
    assert follower.created_at.year == 2021
    assert follower.followers_count == 0
    assert follower.url == "https://x.com/parent_of_y3"


def test_followers_come_in_pages_with_a_cursor(network, x_stub, x_user):
    for number in range(1001):
        x_stub.add_follower(x_user, x_stub.add_user(f"fan{number}"))

    first, cursor = network.followers()
    rest, last_cursor = network.followers(cursor)

    assert len(first) == 1000 and len(rest) == 1
    assert last_cursor is None
    assert {u.id for u in first}.isdisjoint({u.id for u in rest})


def test_mentions_after_a_given_one_oldest_first_with_authors(network, x_stub, x_user):
    author = x_stub.add_user("local_news", name="Local News")
    ours = x_stub.add_post(x_user, "Sports day is on!")
    first = x_stub.add_mention(x_user, author, "@alpha_school great news")
    second = x_stub.add_mention(x_user, author, "@alpha_school well done", reply_to=ours["id"])
    third = x_stub.add_mention(x_user, author, "@alpha_school see you there")

    mentions = network.mentions(since=first["id"])

    assert [m.id for m in mentions] == [second["id"], third["id"]]
    assert mentions[0].author.handle == "local_news"
    assert mentions[0].author.display_name == "Local News"
    assert mentions[0].conversation_id == ours["id"]
    assert mentions[0].url == f"https://x.com/local_news/status/{second['id']}"


def test_mute_unmute_follow_unfollow_and_hide_reply_change_the_account_on_x(network, x_stub, x_user):
    other = x_stub.add_user("troll_account")
    ours = x_stub.add_post(x_user, "Open evening tonight")
    reply = x_stub.add_post(other, "rude reply", reply_to=ours["id"])

    network.mute(other.id)
    assert other.id in x_user.mutes
    network.unmute(other.id)
    assert other.id not in x_user.mutes
    network.follow(other.id)
    assert other.id in x_user.following
    network.unfollow(other.id)
    assert other.id not in x_user.following
    network.hide_reply(reply["id"])
    assert reply["id"] in x_user.hidden_replies


def test_hiding_a_reply_in_someone_elses_conversation_is_refused(network, x_stub):
    someone = x_stub.add_user("someone")
    theirs = x_stub.add_post(someone, "Their post")
    reply = x_stub.add_post(x_stub.add_user("another"), "a reply", reply_to=theirs["id"])

    with pytest.raises(NetworkError) as caught:
        network.hide_reply(reply["id"])
    assert caught.value.permanent
    assert "conversations you started" in caught.value.message


def test_user_by_handle(network, x_stub):
    x_stub.add_user("county_sport", name="County Sport")

    assert network.user_by_handle("@county_sport").display_name == "County Sport"
    with pytest.raises(NetworkError) as caught:
        network.user_by_handle("nobody_here")
    assert caught.value.permanent
    assert "@nobody_here" in caught.value.message


def test_block_is_refused_below_enterprise_with_a_way_forward(network, x_stub, x_user):
    other = x_stub.add_user("troll_account")

    with pytest.raises(NetworkError) as caught:
        network.block(other.id)

    assert caught.value.permanent
    assert "Enterprise" in caught.value.message
    assert "not available on this network (X)" in caught.value.message
    assert x_stub.requests == []
    assert network.block_url(network.user_by_handle("troll_account")) == "https://x.com/troll_account"


def test_block_and_unblock_work_on_enterprise(network, x_stub, x_user):
    x_stub.use_tier("enterprise")
    other = x_stub.add_user("troll_account")

    network.block(other.id)
    assert other.id in x_user.blocks
    network.unblock(other.id)
    assert other.id not in x_user.blocks


@pytest.mark.parametrize(
    ("tier", "block", "followers"),
    [("free", False, False), ("basic", False, True), ("pro", False, True), ("enterprise", True, True)],
)
def test_capabilities_follow_the_api_tier(settings, x_account, tier, block, followers):
    settings.X_API_TIER = tier

    capabilities = get_network(x_account).capabilities

    assert (capabilities.supports_block, capabilities.supports_follower_list) == (block, followers)
    assert XNetwork.capabilities == tier_capabilities(tier)
    assert capabilities.max_length == 280 and capabilities.max_images == 4
    assert capabilities.supports_hide_reply and not capabilities.supports_idempotency_key


# Errors, as a headteacher reads them.


def test_rate_limit_waits_until_x_reset_time(network, x_stub):
    reset = x_stub.rate_limit_next("POST /2/tweets", reset_in=120)

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Lunch menu"))

    error = caught.value
    assert not error.permanent and not error.outcome_unknown
    assert reset - time.time() - 5 <= error.retry_after <= reset - time.time() + 1
    assert "@alpha_school" in error.message and "try again after" in error.message


def test_monthly_usage_cap_waits_longer_and_says_why(network, x_stub):
    x_stub.rate_limit_next("POST /2/tweets", reset_in=60, usage_cap=True)

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Lunch menu"))

    assert not caught.value.permanent
    assert caught.value.retry_after >= 24 * 3600 - 5
    assert "monthly allowance" in caught.value.message


def test_server_error_on_publish_is_retried_with_the_outcome_unknown(network, x_stub):
    x_stub.fail_next("POST /2/tweets", status=503)

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Lunch menu"))

    assert not caught.value.permanent
    assert caught.value.outcome_unknown


def test_server_error_on_a_read_is_retried_without_doubt(network, x_stub):
    x_stub.fail_next("GET /2/users/{id}/tweets", status=500)

    with pytest.raises(NetworkError) as caught:
        network.recent_own_posts()

    assert not caught.value.permanent and not caught.value.outcome_unknown


def test_timeout_after_sending_leaves_the_outcome_unknown_and_the_post_is_on_x(settings, network, x_stub, x_user):
    settings.X_TIMEOUT_SECONDS = 0.5
    x_stub.delay_next("POST /2/tweets", seconds=2, apply=True)

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Sports day photos"))

    assert not caught.value.permanent
    assert caught.value.outcome_unknown
    assert [p["text"] for p in x_stub.posts_by(x_user)] == ["Sports day photos"]
    settings.X_TIMEOUT_SECONDS = 5
    assert [p.text for p in network.recent_own_posts()] == ["Sports day photos"]


def test_connection_refused_means_nothing_was_sent(settings, network):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.X_API_BASE_URL = f"http://127.0.0.1:{closed_port}"

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Lunch menu"))

    assert not caught.value.permanent
    assert not caught.value.outcome_unknown
    assert "could not reach X" in caught.value.message


def test_duplicate_content_is_its_own_error(network, x_stub):
    x_stub.duplicate_next()

    with pytest.raises(DuplicateContent) as caught:
        network.publish(PostPayload(text="Lunch menu"))

    assert caught.value.outcome_unknown
    assert "same text" in caught.value.message


def test_posting_the_same_text_twice_is_a_duplicate(network):
    network.publish(PostPayload(text="Lunch menu"))

    with pytest.raises(DuplicateContent):
        network.publish(PostPayload(text="Lunch menu"))


def test_forbidden_by_the_api_tier_is_permanent_and_says_so(network, x_stub):
    x_stub.fail_next("GET /2/users/{id}/followers", status=403, body=CLIENT_FORBIDDEN_BODY)

    with pytest.raises(NetworkError) as caught:
        network.followers()

    assert caught.value.permanent
    assert "tier" in caught.value.message
    assert "@alpha_school" in caught.value.message
    assert "enrolled" in caught.value.message


def test_a_bad_request_is_permanent_with_x_explanation(network, x_stub):
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Look at this", quote_of="1234567890"))

    assert caught.value.permanent
    assert "The quoted post does not exist." in caught.value.message


# Tokens: refresh before expiry, after a 401 once, and across workers.


def test_an_expired_token_is_refreshed_and_the_call_retried_and_the_new_tokens_kept_encrypted(x_account, x_stub):
    old = dict(x_account.credentials)
    x_stub.expire_token(old["access_token"])

    ref = get_network(x_account).publish(PostPayload(text="After the refresh"))

    assert ref.id in x_stub.posts
    assert [r.route for r in x_stub.requests] == ["POST /2/tweets", "POST /2/oauth2/token", "POST /2/tweets"]
    new = stored_credentials(x_account)
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert new["user_id"] == old["user_id"]
    assert old["refresh_token"] not in x_stub.refresh_tokens  # X rotated it
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_socialaccount WHERE id = %s", [x_account.pk])
        [raw] = cursor.fetchone()
    assert new["access_token"] not in raw and new["refresh_token"] not in raw
    token_request = x_stub.requests_to("POST /2/oauth2/token")[0]
    assert token_request.headers["authorization"].startswith("Basic ")


def test_a_token_about_to_expire_is_refreshed_first(x_account, x_stub):
    x_account.credentials = {**x_account.credentials, "expires_at": time.time() + 60}
    x_account.save()

    get_network(x_account).publish(PostPayload(text="Fresh token"))

    assert [r.route for r in x_stub.requests] == ["POST /2/oauth2/token", "POST /2/tweets"]
    assert stored_credentials(x_account)["expires_at"] > time.time() + 3600


def test_still_unauthorised_after_a_refresh_means_reconnect(x_account, x_stub):
    x_stub.fail_next("POST /2/tweets", status=401)
    x_stub.fail_next("POST /2/tweets", status=401)

    with pytest.raises(ReconnectNeeded) as caught:
        get_network(x_account).publish(PostPayload(text="Never posted"))

    assert caught.value.message == (
        "X no longer accepts the portal's connection to @alpha_school. Reconnect it from the account's page."
    )
    assert [r.route for r in x_stub.requests] == ["POST /2/tweets", "POST /2/oauth2/token", "POST /2/tweets"]


def test_a_refused_refresh_token_means_reconnect(x_account, x_stub):
    x_stub.expire_token(x_account.credentials["access_token"])
    x_stub.refresh_tokens.clear()

    with pytest.raises(ReconnectNeeded):
        get_network(x_account).publish(PostPayload(text="Never posted"))

    assert x_stub.posts == {}


def test_oauth1_tokens_cannot_be_refreshed_so_a_401_means_reconnect(x_account, x_stub, x_user):
    x_account.credentials = {**x_stub.oauth1_credentials(x_user), "access_token_secret": "wrong"}
    x_account.save()

    with pytest.raises(ReconnectNeeded):
        get_network(x_account).publish(PostPayload(text="Never posted"))

    assert x_stub.requests_to("POST /2/oauth2/token") == []


def test_a_token_already_renewed_by_another_worker_is_used_not_refreshed_again(x_account, x_stub, x_user):
    network = get_network(x_account)  # holds the old tokens, like a worker that started earlier
    x_stub.expire_token(x_account.credentials["access_token"])
    renewed = x_stub.oauth2_credentials(x_user)
    SocialAccount.objects.filter(pk=x_account.pk).update(credentials=renewed)

    network.publish(PostPayload(text="Posted with the other worker's token"))

    assert x_stub.requests_to("POST /2/oauth2/token") == []
    assert x_stub.requests_to("POST /2/tweets")[-1].headers["authorization"] == f"Bearer {renewed['access_token']}"


def test_x_failing_during_a_refresh_is_retried_later_not_a_reconnect(x_account, x_stub):
    x_stub.expire_token(x_account.credentials["access_token"])
    x_stub.fail_next("POST /2/oauth2/token", status=503)

    with pytest.raises(NetworkError) as caught:
        get_network(x_account).publish(PostPayload(text="Not yet"))

    assert not isinstance(caught.value, ReconnectNeeded)
    assert not caught.value.permanent
    assert stored_credentials(x_account) == x_account.credentials


def test_an_account_disconnected_meanwhile_is_not_reconnected_by_a_refresh(x_account, x_stub):
    network = get_network(x_account)
    x_stub.expire_token(x_account.credentials["access_token"])
    SocialAccount.objects.filter(pk=x_account.pk).update(credentials={})

    with pytest.raises(ReconnectNeeded):
        network.publish(PostPayload(text="Not after a disconnect"))

    assert stored_credentials(x_account) == {}
    assert x_stub.requests_to("POST /2/oauth2/token") == []
