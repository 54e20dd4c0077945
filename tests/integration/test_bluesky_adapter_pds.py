"""The portal's own Bluesky code against Bluesky's real server (@atproto/pds from npm, see
tests/bluesky_pds): connecting with an app password through the account page, publishing an
approved post with photos and links through a real Celery worker, taking it down, reconciling
after a lost answer, and a revoked app password. What only an app view could answer (feeds,
followers, notifications, mutes) stays with the stub's tests: this server has none, and the
adapter must say so plainly or find another way."""

import base64
import io
import json
import os
import time
import uuid

import pytest
from atproto import Client, models
from django.urls import reverse
from PIL import Image

from accounts.models import SocialAccount
from networks.base import NetworkError, PostNotFound, PostPayload, ReconnectNeeded
from networks.bluesky.adapter import MAX_IMAGE_BYTES, BlueskyNetwork, post_uri
from posts import services
from posts.models import Post, PostImage, PostStatus
from posts.services import publishing

from .conftest import wait_for

POST_COLLECTION = "app.bsky.feed.post"


def _handle() -> str:
    return f"t{uuid.uuid4().hex[:12]}.test"


def _photo(side: tuple[int, int], colour=None) -> bytes:
    """Random pixels (a "photo" that hardly compresses) or one plain colour."""
    out = io.BytesIO()
    if colour is None:
        picture = Image.frombytes("RGB", side, os.urandom(side[0] * side[1] * 3))
    else:
        picture = Image.new("RGB", side, colour)
    picture.save(out, "JPEG", quality=95)
    return out.getvalue()


@pytest.fixture
def on_pds(bluesky_pds):
    """The Year 3 class's account on the real server, with an app password for the portal."""
    return bluesky_pds.create_account(_handle())


@pytest.fixture
def bluesky_account(settings, bluesky_pds, on_pds, accounts):
    """The portal's Year 3 account, on Bluesky but not yet connected; sign-ins go to the PDS."""
    settings.BLUESKY_SERVICE_URL = bluesky_pds.url
    account = accounts.year3
    account.network = "bluesky"
    account.handle = on_pds.handle
    account.credentials = {}
    account.status = SocialAccount.Status.NOT_CONNECTED
    account.save()
    return account


@pytest.fixture
def connected(client_for, staff, bluesky_account, on_pds):
    """Connected as a headteacher would, through the account page's form."""
    response = client_for(staff.head).post(
        reverse("bluesky_connect", args=[bluesky_account.pk]),
        {"handle": on_pds.handle, "app_password": on_pds.app_password},
        follow=True,
    )
    assert f"Connected to Bluesky as @{on_pds.handle}" in response.content.decode()
    bluesky_account.refresh_from_db()
    return bluesky_account


def _records(bluesky_pds, account: SocialAccount, collection=POST_COLLECTION) -> list:
    """The records of one kind in the account's repository on the server, newest first."""
    client = Client(base_url=bluesky_pds.url)
    did = account.credentials["did"]
    return client.com.atproto.repo.list_records({"repo": did, "collection": collection, "limit": 100}).records


# Connecting and checking.


def test_connecting_with_an_app_password_keeps_the_servers_session_and_the_check_passes(
    client_for, staff, bluesky_pds, on_pds, connected
):
    credentials = connected.credentials
    assert (credentials["did"], credentials["handle"], credentials["pds"]) == (
        on_pds.did,
        on_pds.handle,
        bluesky_pds.url,
    )
    assert on_pds.app_password not in json.dumps(credentials)
    assert connected.status == SocialAccount.Status.ACTIVE

    checked = client_for(staff.head).post(reverse("bluesky_check_connection", args=[connected.pk]), follow=True)

    assert f"Connected to Bluesky as @{on_pds.handle}." in checked.content.decode()


def test_a_handle_the_server_does_not_know_is_refused_with_what_to_check(client_for, staff, bluesky_account):
    bluesky_account.handle = "nobody-here.test"
    bluesky_account.save(update_fields=["handle"])

    response = client_for(staff.head).post(
        reverse("bluesky_connect", args=[bluesky_account.pk]),
        {"handle": "nobody-here.test", "app_password": "abcd-efgh-ijkl-mnop"},
    )

    assert "Bluesky has no account @nobody-here.test" in response.content.decode()
    bluesky_account.refresh_from_db()
    assert bluesky_account.credentials == {}


def test_a_wrong_app_password_is_refused_and_nothing_is_kept(client_for, staff, bluesky_account, on_pds):
    response = client_for(staff.head).post(
        reverse("bluesky_connect", args=[bluesky_account.pk]),
        {"handle": on_pds.handle, "app_password": "abcd-efgh-ijkl-mnop"},
    )

    assert f"Bluesky did not accept this app password for @{on_pds.handle}" in response.content.decode()
    bluesky_account.refresh_from_db()
    assert bluesky_account.credentials == {}


# The adapter on a server without an app view.


def test_someone_elses_post_is_read_from_their_repository_and_can_be_quoted(bluesky_pds, connected):
    museum = bluesky_pds.create_account(_handle())
    link = "https://museum.example/dinosaurs"
    theirs = bluesky_pds.client(museum).send_post(f"Our dinosaur gallery is open: {link}", profile_identify=museum.did)
    network = BlueskyNetwork(connected)

    fetched = network.fetch_post(theirs.uri)
    assert (fetched.text, fetched.author_handle) == (f"Our dinosaur gallery is open: {link}", museum.handle)

    ours = network.publish(PostPayload(text="We loved the dinosaurs", quote_of=theirs.uri))
    [record] = _records(bluesky_pds, connected)
    assert record.uri == post_uri(ours.id)
    assert (record.value.embed.record.uri, record.value.embed.record.cid) == (theirs.uri, theirs.cid)

    with pytest.raises(PostNotFound, match="may have been deleted"):
        network.fetch_post(f"{museum.did}/3kaaaaaaaaaa2")


def test_block_and_unblock_find_the_block_record_in_the_schools_repository(bluesky_pds, connected):
    troll = bluesky_pds.create_account(_handle())
    network = BlueskyNetwork(connected)

    assert network.user_by_handle(f"@{troll.handle}").id == troll.did
    network.block(troll.did)
    network.block(troll.did)  # already blocked: no second record
    assert [block.value.subject for block in _records(bluesky_pds, connected, "app.bsky.graph.block")] == [troll.did]

    BlueskyNetwork(connected).unblock(troll.did)
    assert _records(bluesky_pds, connected, "app.bsky.graph.block") == []


def test_a_reply_is_hidden_and_replies_limited_on_the_threads_threadgate(bluesky_pds, connected):
    network = BlueskyNetwork(connected)
    root = network.publish(PostPayload(text="Our play is tonight"))
    troll = bluesky_pds.create_account(_handle())
    root_record = _records(bluesky_pds, connected)[0]
    parent = models.create_strong_ref(root_record)
    rude = bluesky_pds.client(troll).send_post(
        "Rude words", profile_identify=troll.did, reply_to=models.AppBskyFeedPost.ReplyRef(parent=parent, root=parent)
    )

    network.hide_reply(rude.uri)
    network.set_reply_controls(root.id, "mentioned")

    [gate] = _records(bluesky_pds, connected, "app.bsky.feed.threadgate")
    assert gate.uri.rsplit("/", 1)[1] == root.id.rsplit("/", 1)[1]
    assert (gate.value.post, gate.value.hidden_replies) == (post_uri(root.id), [rude.uri])
    assert [rule.py_type for rule in gate.value.allow] == ["app.bsky.feed.threadgate#mentionRule"]


def test_what_needs_an_app_view_is_refused_plainly_not_as_a_fault(connected):
    network = BlueskyNetwork(connected)

    with pytest.raises(NetworkError) as refused:
        network.followers()
    assert refused.value.permanent
    assert "cannot read its followers" in refused.value.message
    assert "Bluesky's own app" in refused.value.message
    with pytest.raises(PostNotFound, match="no account @nobody-here.test"):
        network.user_by_handle("nobody-here.test")


def test_deleting_a_post_twice_says_it_is_already_gone(bluesky_pds, connected):
    network = BlueskyNetwork(connected)
    ref = network.publish(PostPayload(text="Sports day is on Friday"))

    network.delete(ref.id)

    assert _records(bluesky_pds, connected) == []
    with pytest.raises(PostNotFound, match="already have been deleted"):
        network.delete(ref.id)


# Publishing through the real worker.


@pytest.fixture
def worker_env():
    return {"PUBLISH_RETRY_BASE_SECONDS": "0.2", "PUBLISH_STUCK_AFTER_SECONDS": "2"}


def _approved_post(staff, account, text, photos=()):
    post = services.post_create(actor=staff.teacher, account=account, text=text)
    for data, alt_text in photos:
        services.post_add_image(actor=staff.teacher, post=post, data=data, alt_text=alt_text)
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)  # commits, then enqueues to the worker
    return post


def _settled(post):
    status = Post.objects.get(pk=post.pk).status
    return status if status in (PostStatus.PUBLISHED, PostStatus.FAILED) else None


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.encode().index(part.encode())
    return start, start + len(part.encode())


def test_an_approved_post_with_a_large_photo_mention_link_and_hashtag_goes_out_once_then_comes_down(
    celery_worker, bluesky_pds, connected, staff
):
    parent = bluesky_pds.create_account(_handle())
    link = "https://oakfield.example/visits/café"
    text = f"Thank you @{parent.handle} for our café visit ☕ — photos at {link} #ScienceWeek"
    big, small = _photo((1400, 1050)), _photo((640, 480), colour=(30, 120, 60))
    post = _approved_post(
        staff, connected, text, [(big, "The class around the coffee machine"), (small, "A green wall")]
    )
    renditions = [image.rendition.size for image in PostImage.objects.filter(post=post)]
    assert renditions[0] > MAX_IMAGE_BYTES  # what the publisher sends is over Bluesky's limit before the adapter

    assert wait_for(lambda: _settled(post)) == PostStatus.PUBLISHED

    post.refresh_from_db()
    [record] = _records(bluesky_pds, connected)
    assert post.external_id == record.uri.removeprefix("at://").replace(f"/{POST_COLLECTION}/", "/")
    stored = record.value
    assert stored.text == text
    spans = {
        feature.py_type: (facet.index.byte_start, facet.index.byte_end)
        for facet in stored.facets
        for feature in facet.features
    }
    assert spans == {
        "app.bsky.richtext.facet#mention": _span(text, f"@{parent.handle}"),
        "app.bsky.richtext.facet#link": _span(text, link),
        "app.bsky.richtext.facet#tag": _span(text, "#ScienceWeek"),
    }
    features = {feature.py_type: feature for facet in stored.facets for feature in facet.features}
    assert features["app.bsky.richtext.facet#mention"].did == parent.did
    assert features["app.bsky.richtext.facet#link"].uri == link
    assert features["app.bsky.richtext.facet#tag"].tag == "ScienceWeek"
    assert [image.alt for image in stored.embed.images] == ["The class around the coffee machine", "A green wall"]
    server = Client(base_url=bluesky_pds.url)
    for image in stored.embed.images:
        blob = server.com.atproto.sync.get_blob({"did": connected.credentials["did"], "cid": image.image.cid.encode()})
        assert len(blob) == image.image.size <= MAX_IMAGE_BYTES
        with Image.open(io.BytesIO(blob)) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (image.aspect_ratio.width, image.aspect_ratio.height)
    with Image.open(
        io.BytesIO(
            server.com.atproto.sync.get_blob(
                {"did": connected.credentials["did"], "cid": stored.embed.images[0].image.cid.encode()}
            )
        )
    ) as shrunk:
        assert shrunk.width / shrunk.height == pytest.approx(1400 / 1050, rel=0.01)

    services.post_take_down(actor=staff.head, post=post)

    assert Post.objects.get(pk=post.pk).status == PostStatus.TAKEN_DOWN
    assert _records(bluesky_pds, connected) == []


def test_a_post_whose_answer_was_lost_is_found_on_the_server_not_posted_again(bluesky_pds, connected, staff):
    # Without a worker: approving only schedules the post (the test's transaction never commits).
    post = _approved_post(staff, connected, "The choir sings at the town hall on Saturday")
    # An earlier attempt reached Bluesky, which made the post, but its answer never came back.
    sent = BlueskyNetwork(connected).publish(PostPayload(text=post.text))
    Post.objects.filter(pk=post.pk).update(publish_attempts=1)

    assert publishing.publish(post.pk) == publishing.Outcome.RECONCILED

    post.refresh_from_db()
    assert (post.status, post.external_id, post.external_url) == (PostStatus.PUBLISHED, sent.id, sent.url)
    [record] = _records(bluesky_pds, connected)
    assert record.uri == post_uri(sent.id)


def _expired(access_jwt: str) -> str:
    """The same token as the portal's SDK reads it, but run out: what it holds two hours on."""
    header, payload, signature = access_jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 60
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


def test_a_revoked_app_password_fails_the_next_post_and_flags_the_account(
    celery_worker, bluesky_pds, on_pds, connected, staff
):
    owner = Client(base_url=bluesky_pds.url)
    owner.login(on_pds.handle, on_pds.password, fetch_bsky_profile=False)
    owner.com.atproto.server.revoke_app_password(models.ComAtprotoServerRevokeAppPassword.Data(name="Policy Portal"))
    # The server still honours an access token it gave out until the token runs out (two hours);
    # from then on the portal must renew the session, which is what revoking stops.
    credentials = connected.credentials
    SocialAccount.objects.filter(pk=connected.pk).update(
        credentials={**credentials, "access_jwt": _expired(credentials["access_jwt"])}
    )

    post = _approved_post(staff, connected, "Parents' evening is on Thursday")

    assert wait_for(lambda: _settled(post)) == PostStatus.FAILED
    post.refresh_from_db()
    assert "app password" in post.failure_reason
    assert "Connect it again from the account's page" in post.failure_reason
    account = SocialAccount.objects.get(pk=connected.pk)
    assert account.status == SocialAccount.Status.ERROR
    assert account.last_error == post.failure_reason
    assert _records(bluesky_pds, connected) == []


def test_the_adapter_turns_a_revoked_app_password_into_reconnect_needed(bluesky_pds, on_pds, connected):
    owner = Client(base_url=bluesky_pds.url)
    owner.login(on_pds.handle, on_pds.password, fetch_bsky_profile=False)
    owner.com.atproto.server.revoke_app_password(models.ComAtprotoServerRevokeAppPassword.Data(name="Policy Portal"))
    connected.credentials = {**connected.credentials, "access_jwt": _expired(connected.credentials["access_jwt"])}

    with pytest.raises(ReconnectNeeded, match="with a new app password"):
        BlueskyNetwork(connected).recent_own_posts()
