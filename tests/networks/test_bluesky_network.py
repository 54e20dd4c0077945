"""The Bluesky adapter against the stub Bluesky server: the real `atproto` SDK over real HTTP, every
request and answer checked against the AT Protocol lexicons (a mismatch fails the test at teardown)."""

import io
import json
import random

import pytest
from PIL import Image

from accounts.models import SocialAccount
from networks.base import NetworkError, PostNotFound, PostPayload, ReconnectNeeded
from networks.bluesky.adapter import MAX_IMAGE_BYTES, MIN_LONG_SIDE, fit_jpeg, post_id_from_url, post_uri
from networks.registry import get_network
from tests.factories import make_account


def jpeg_bytes(size=(64, 48), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def noisy_jpeg(width: int, height: int, quality: int = 98) -> bytes:
    """A photo-like image that compresses badly, so it comes out well over 1 MB."""
    generator = random.Random(7)
    picture = Image.frombytes("RGB", (width, height), generator.randbytes(width * height * 3))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality, exif=Image.Exif())
    return buffer.getvalue()


@pytest.fixture
def bsky_user(bluesky_stub):
    return bluesky_stub.add_user("alpha.bsky.social", display_name="Alpha Primary")


@pytest.fixture
def bsky_account(school, bluesky_stub, bsky_user):
    account = make_account(school, "alpha.bsky.social")
    account.network = "bluesky"
    account.credentials = bluesky_stub.credentials(bsky_user)
    account.save()
    return account


@pytest.fixture
def network(bsky_account):
    return get_network(bsky_account)


def stored_credentials(account) -> dict:
    return SocialAccount.objects.get(pk=account.pk).credentials


def only_post(stub, user) -> dict:
    posts = stub.posts_by(user)
    assert len(posts) == 1
    return posts[0]


# Publishing, deleting, reading back.


def test_publish_creates_the_post_with_a_link_to_it(network, bluesky_stub, bsky_user):
    ref = network.publish(PostPayload(text="Year 3 planted the school garden today."))

    post = only_post(bluesky_stub, bsky_user)
    assert post["text"] == "Year 3 planted the school garden today."
    assert ref.id == f"{bsky_user.did}/{post['uri'].rsplit('/', 1)[1]}"
    assert ref.url == f"https://bsky.app/profile/{bsky_user.did}/post/{post['uri'].rsplit('/', 1)[1]}"
    assert len(ref.id) <= 64  # what the portal keeps for a network id


def test_facets_use_utf8_byte_offsets_after_emoji_and_accents(network, bluesky_stub, bsky_user):
    friend = bluesky_stub.add_user("cafe.bsky.social")
    text = "Crème brûlée 🍮👩‍👩‍👧 with @cafe.bsky.social at https://example.org/menu #FoodWeek"
    network.publish(PostPayload(text=text))

    post = only_post(bluesky_stub, bsky_user)
    encoded = text.encode()
    spans = {
        feature["$type"].rsplit("#", 1)[1]: (encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), feature)
        for f in post["facets"]
        for feature in f["features"]
    }
    assert spans["mention"][0] == "@cafe.bsky.social" and spans["mention"][1]["did"] == friend.did
    assert spans["link"][0] == "https://example.org/menu"
    assert spans["link"][1]["uri"] == "https://example.org/menu"
    assert spans["tag"][0] == "#FoodWeek" and spans["tag"][1]["tag"] == "FoodWeek"


def test_a_handle_that_is_no_account_stays_plain_text_and_is_reported(network, bluesky_stub, bsky_user):
    text = "Thank you @nobody-here.bsky.social for the visit"
    assert network.unresolved_mentions(text) == ["nobody-here.bsky.social"]

    network.publish(PostPayload(text=text))

    post = only_post(bluesky_stub, bsky_user)
    assert post["text"] == text
    assert "facets" not in post


def test_300_graphemes_go_out_and_301_are_refused_before_sending(network, bluesky_stub, bsky_user):
    accented = "e\u0301"  # é as e + combining accent: one grapheme, two code points, three bytes
    network.publish(PostPayload(text=accented * 300))
    assert only_post(bluesky_stub, bsky_user)["text"] == accented * 300

    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text=accented * 301))
    assert caught.value.permanent
    assert "301 characters as Bluesky counts them" in caught.value.message
    assert len(bluesky_stub.requests_to("com.atproto.repo.createRecord")) == 1


def test_300_family_emoji_are_refused_for_their_3000_bytes(network, bluesky_stub):
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="👩‍👩‍👧" * 300))
    assert caught.value.permanent
    assert "5400 bytes" in caught.value.message and "Use fewer emoji" in caught.value.message
    assert not bluesky_stub.requests_to("com.atproto.repo.createRecord")


def test_photos_go_out_with_their_descriptions_and_proportions(network, bluesky_stub, bsky_user):
    media = [
        network.upload_media(jpeg_bytes((64, 48)), "Pupils planting bulbs"),
        network.upload_media(jpeg_bytes(), ""),
    ]
    network.publish(PostPayload(text="Planting day", media=media))

    images = only_post(bluesky_stub, bsky_user)["embed"]["images"]
    assert [image["alt"] for image in images] == ["Pupils planting bulbs", ""]
    assert (images[0]["aspectRatio"]["width"], images[0]["aspectRatio"]["height"]) == (64, 48)
    assert images[0]["image"]["mimeType"] == "image/jpeg"


def test_a_photo_over_1_mb_is_shrunk_under_it_keeping_its_proportions(network, bluesky_stub, bsky_user):
    big = noisy_jpeg(1600, 1200)
    assert len(big) > MAX_IMAGE_BYTES

    media = network.upload_media(big, "Sports day")
    network.publish(PostPayload(text="Sports day", media=[media]))

    uploaded = bluesky_stub.requests_to("com.atproto.repo.uploadBlob")[0].body
    assert len(uploaded) <= MAX_IMAGE_BYTES
    with Image.open(io.BytesIO(uploaded)) as picture:
        assert picture.format == "JPEG"
        assert abs(picture.width / picture.height - 4 / 3) < 0.01
        assert not picture.getexif()
    image = only_post(bluesky_stub, bsky_user)["embed"]["images"][0]
    assert image["image"]["size"] == len(uploaded)


def test_fit_jpeg_leaves_a_small_jpeg_alone():
    small = jpeg_bytes()
    assert fit_jpeg(small) == (small, 64, 48)


def test_fit_jpeg_refuses_plainly_what_cannot_fit_without_losing_detail():
    with pytest.raises(NetworkError) as caught:
        fit_jpeg(noisy_jpeg(800, 600), limit=20_000)
    assert caught.value.permanent
    assert "could not be brought under Bluesky's limit" in caught.value.message
    assert MIN_LONG_SIDE == 640


def test_a_description_over_2000_graphemes_is_refused(network, bluesky_stub):
    with pytest.raises(NetworkError) as caught:
        network.upload_media(jpeg_bytes(), "é" * 2001)
    assert "2001 characters; Bluesky allows 2000" in caught.value.message
    assert not bluesky_stub.requests_to("com.atproto.repo.uploadBlob")


def test_quote_of_a_bsky_app_link_embeds_the_post_by_uri_and_cid(network, bluesky_stub, bsky_user):
    other = bluesky_stub.add_user("museum.bsky.social")
    quoted_uri = bluesky_stub.add_post(other, "Our new dinosaur gallery is open")
    link = f"https://bsky.app/profile/museum.bsky.social/post/{quoted_uri.rsplit('/', 1)[1]}"

    network.publish(PostPayload(text="We loved it", quote_of=post_id_from_url(link)))

    embed = only_post(bluesky_stub, bsky_user)["embed"]
    assert embed["$type"] == "app.bsky.embed.record"
    assert embed["record"]["uri"] == quoted_uri
    assert embed["record"]["cid"] == bluesky_stub._record_at(quoted_uri)["cid"]


def test_post_id_from_url_reads_only_bluesky_post_links():
    assert post_id_from_url("https://bsky.app/profile/a.bsky.social/post/3kxyzabc2") == "a.bsky.social/3kxyzabc2"
    assert post_id_from_url("https://bsky.app/profile/a.bsky.social") is None
    assert post_id_from_url("https://x.com/a/status/1") is None
    assert post_uri("did:plc:abc/3k2") == "at://did:plc:abc/app.bsky.feed.post/3k2"


def test_delete_removes_the_post_and_a_second_delete_says_it_is_gone(network, bluesky_stub, bsky_user):
    ref = network.publish(PostPayload(text="Delete me"))
    network.delete(ref.id)
    assert bluesky_stub.posts_by(bsky_user) == []
    with pytest.raises(PostNotFound):
        network.delete(ref.id)


def test_recent_own_posts_reads_the_repository_newest_first(network):
    first = network.publish(PostPayload(text="First"))
    second = network.publish(PostPayload(text="Second"))
    own = network.recent_own_posts()
    assert [post.id for post in own] == [second.id, first.id]
    assert own[0].text == "Second"


def test_fetch_post_reads_someone_elses_post_with_its_full_links(network, bluesky_stub):
    other = bluesky_stub.add_user("museum.bsky.social")
    text = "Tickets at museum.org/…"
    start = text.index("museum")
    facets = [
        {
            "index": {"byteStart": len(text[:start].encode()), "byteEnd": len(text.encode())},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://museum.org/tickets/school"}],
        }
    ]
    uri = bluesky_stub.add_post(other, text, facets=facets)
    fetched = network.fetch_post(uri)
    assert fetched.author_handle == "museum.bsky.social"
    assert "https://museum.org/tickets/school" in fetched.text
    with pytest.raises(PostNotFound):
        network.fetch_post(f"{other.did}/3kaaaaaaaaaa2")


# The account and the people around it.


def test_check_connection_says_who_the_portal_is_signed_in_as(network, bsky_user):
    me = network.check_connection()
    assert (me.id, me.handle) == (bsky_user.did, "alpha.bsky.social")


def test_mentions_come_oldest_first_after_since(network, bluesky_stub, bsky_user):
    parent = bsky_user
    fan = bluesky_stub.add_user("fan.bsky.social", display_name="A Fan")
    root = network.publish(PostPayload(text="Our play is tonight"))
    first = bluesky_stub.add_post(fan, "Hello @alpha.bsky.social", mention=parent)
    reply = bluesky_stub.add_post(fan, "Break a leg!", reply_to=post_uri(root.id))

    mentions = network.mentions()
    assert [m.text for m in mentions] == ["Hello @alpha.bsky.social", "Break a leg!"]
    assert mentions[0].author.handle == "fan.bsky.social"
    assert mentions[0].conversation_id == mentions[0].id
    assert mentions[1].in_reply_to == root.id and mentions[1].conversation_id == root.id
    assert [m.text for m in network.mentions(since=mentions[0].id)] == ["Break a leg!"]
    assert first and reply


def test_followers_come_in_pages_with_a_cursor(network, bluesky_stub, bsky_user):
    for number in range(105):
        bluesky_stub.add_follower(bsky_user, bluesky_stub.add_user(f"parent{number}.bsky.social"))
    page, cursor = network.followers()
    assert len(page) == 100 and cursor
    rest, end = network.followers(cursor)
    assert [user.handle for user in rest] == [f"parent{n}.bsky.social" for n in range(100, 105)]
    assert end is None


def test_mute_and_unmute(network, bluesky_stub, bsky_user):
    troll = bluesky_stub.add_user("troll.bsky.social")
    network.mute(troll.did)
    assert troll.did in bsky_user.muted
    network.unmute(troll.did)
    assert troll.did not in bsky_user.muted


def test_block_writes_a_block_record_and_unblock_deletes_it(network, bluesky_stub, bsky_user):
    troll = bluesky_stub.add_user("troll.bsky.social")
    network.block(troll.did)
    network.block(troll.did)  # already blocked: no second record
    blocks = bluesky_stub.records_of(bsky_user, "app.bsky.graph.block")
    assert [block["subject"] for block in blocks] == [troll.did]
    network.unblock(troll.did)
    assert bluesky_stub.records_of(bsky_user, "app.bsky.graph.block") == []


def test_hide_reply_adds_it_to_the_threadgate_of_our_thread(network, bluesky_stub, bsky_user):
    root = network.publish(PostPayload(text="Our play is tonight"))
    troll = bluesky_stub.add_user("troll.bsky.social")
    reply = bluesky_stub.add_post(troll, "Rude words", reply_to=post_uri(root.id))

    network.hide_reply(reply)

    gate = bluesky_stub.record(bsky_user, "app.bsky.feed.threadgate", root.id.rsplit("/", 1)[1])
    assert gate["post"] == post_uri(root.id)
    assert gate["hiddenReplies"] == [reply]
    assert "allow" not in gate  # hiding a reply does not stop anyone replying


def test_hide_reply_in_someone_elses_thread_is_refused_plainly(network, bluesky_stub):
    other = bluesky_stub.add_user("museum.bsky.social")
    root = bluesky_stub.add_post(other, "Welcome")
    reply = bluesky_stub.add_post(bluesky_stub.add_user("troll.bsky.social"), "Rude", reply_to=root)
    with pytest.raises(NetworkError) as caught:
        network.hide_reply(reply)
    assert caught.value.permanent and "only in conversations it started" in caught.value.message


def test_reply_controls_set_and_clear_the_threadgate(network, bluesky_stub, bsky_user):
    root = network.publish(PostPayload(text="Trip photos"))
    rkey = root.id.rsplit("/", 1)[1]

    network.set_reply_controls(root.id, "nobody")
    assert bluesky_stub.record(bsky_user, "app.bsky.feed.threadgate", rkey)["allow"] == []
    network.set_reply_controls(root.id, "mentioned")
    assert bluesky_stub.record(bsky_user, "app.bsky.feed.threadgate", rkey)["allow"] == [
        {"$type": "app.bsky.feed.threadgate#mentionRule"}
    ]
    network.set_reply_controls(root.id, "everyone")
    assert bluesky_stub.record(bsky_user, "app.bsky.feed.threadgate", rkey) is None


def test_report_sends_each_post_or_the_account_to_the_moderators(network, bluesky_stub):
    troll = bluesky_stub.add_user("troll.bsky.social")
    post = bluesky_stub.add_post(troll, "Something nasty")
    network.report(troll.did, "Abuse aimed at pupils", post_ids=[post])
    network.report(troll.did, "Impersonating the school")
    subjects = [report["subject"] for report in bluesky_stub.reports]
    assert subjects[0]["uri"] == post and subjects[0]["cid"]
    assert subjects[1] == {"$type": "com.atproto.admin.defs#repoRef", "did": troll.did}
    assert bluesky_stub.reports[1]["reason"] == "Impersonating the school"


def test_user_by_handle_finds_an_account_or_says_there_is_none(network, bluesky_stub):
    bluesky_stub.add_user("museum.bsky.social", display_name="The Museum")
    assert network.user_by_handle("@museum.bsky.social").display_name == "The Museum"
    with pytest.raises(NetworkError) as caught:
        network.user_by_handle("nobody.bsky.social")
    assert caught.value.permanent and "There is no account @nobody.bsky.social on Bluesky" in caught.value.message


# Sessions and errors.


def test_an_expired_access_token_is_renewed_once_and_kept(network, bluesky_stub, bsky_account):
    old = bsky_account.credentials["access_jwt"]
    bluesky_stub.expire_token(old)

    network.publish(PostPayload(text="After the renewal"))

    stored = stored_credentials(bsky_account)
    assert stored["access_jwt"] != old
    assert stored["refresh_jwt"] != bsky_account.credentials["refresh_jwt"] or stored == bsky_account.credentials
    assert len(bluesky_stub.requests_to("com.atproto.server.refreshSession")) == 1


def test_a_revoked_app_password_needs_a_reconnect(network, bluesky_stub, bsky_user, bsky_account):
    bluesky_stub.revoke(bsky_user)
    with pytest.raises(ReconnectNeeded) as caught:
        network.publish(PostPayload(text="Hello"))
    assert "Connect it again" in caught.value.message


def test_an_expired_session_whose_renewal_is_refused_needs_a_reconnect(network, bluesky_stub, bsky_account):
    bluesky_stub.expire_token(bsky_account.credentials["access_jwt"])
    bluesky_stub.fail_next("com.atproto.server.refreshSession", status=400)
    with pytest.raises(ReconnectNeeded):
        network.publish(PostPayload(text="Hello"))


def test_a_429_waits_until_bluesky_says(network, bluesky_stub):
    bluesky_stub.rate_limit_next("com.atproto.repo.createRecord", reset_in=600)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert not caught.value.permanent
    assert 590 <= caught.value.retry_after <= 601
    assert "limiting how often" in caught.value.message


def test_a_5xx_to_a_post_leaves_the_outcome_unknown(network, bluesky_stub, bsky_user):
    bluesky_stub.fail_next("com.atproto.repo.createRecord", status=502, apply=True)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.outcome_unknown and not caught.value.permanent
    assert len(bluesky_stub.posts_by(bsky_user)) == 1  # it did get there: the publisher reconciles


def test_a_timeout_after_sending_leaves_the_outcome_unknown(network, bluesky_stub, settings):
    settings.BLUESKY_TIMEOUT_SECONDS = 0.5
    bluesky_stub.delay_next("com.atproto.repo.createRecord", 2)
    with pytest.raises(NetworkError) as caught:
        get_network(network.account).publish(PostPayload(text="Hello"))
    assert caught.value.outcome_unknown
    assert "check what Bluesky has" in caught.value.message


def test_a_server_that_is_down_is_a_transient_error_with_nothing_sent(bsky_account, bluesky_stub):
    bsky_account.credentials = {**bsky_account.credentials, "pds": "http://127.0.0.1:9"}
    with pytest.raises(NetworkError) as caught:
        get_network(bsky_account).publish(PostPayload(text="Hello"))
    assert not caught.value.permanent and not caught.value.outcome_unknown
    assert "could not reach Bluesky" in caught.value.message


def test_an_invalid_request_is_permanent_with_bluesky_s_words(network, bluesky_stub):
    bluesky_stub.fail_next("com.atproto.repo.createRecord", status=400)
    with pytest.raises(NetworkError) as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.permanent and "Bluesky said: InvalidRequest" in caught.value.message


def test_media_reference_carries_the_description(network):
    ref = json.loads(network.upload_media(jpeg_bytes(), "A description"))
    assert ref["alt"] == "A description" and ref["mime"] == "image/jpeg"
