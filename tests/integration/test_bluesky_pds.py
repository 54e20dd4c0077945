"""The real Bluesky PDS (tests/bluesky_pds) through the Python atproto SDK: what the portal's
Bluesky adapter relies on, answered by Bluesky's own server code rather than a stub, including
the lexicons' limits, which only the real server can show are enforced as documented."""

import io
import os
import uuid

import pytest
from atproto import Client, models
from atproto_client.exceptions import AtProtocolError, BadRequestError, RequestErrorBase
from PIL import Image


def _handle() -> str:
    return f"t{uuid.uuid4().hex[:12]}.test"


def _png(colour=(30, 90, 160), size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def _noisy_jpeg(side: int) -> bytes:
    """Random pixels hardly compress: a photo-sized file from a small picture."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def _post(client: Client, did: str, text: str, **kwargs):
    return client.send_post(text, profile_identify=did, **kwargs)


def _error(excinfo) -> tuple[int, str, str]:
    response = excinfo.value.response
    return response.status_code, response.content.error, response.content.message


def _images(blobs_and_alts) -> models.AppBskyEmbedImages.Main:
    return models.AppBskyEmbedImages.Main(
        images=[models.AppBskyEmbedImages.Image(alt=alt, image=blob) for blob, alt in blobs_and_alts]
    )


@pytest.fixture
def account(bluesky_pds):
    return bluesky_pds.create_account(_handle())


def test_app_password_signs_in_but_cannot_manage_the_account(bluesky_pds, bluesky_school):
    client = bluesky_pds.client(bluesky_school)

    session = client.com.atproto.server.get_session()
    assert (session.handle, session.did) == ("oakfield-primary.test", bluesky_school.did)
    # An app password is not the account's password: it cannot make more app passwords.
    with pytest.raises(RequestErrorBase) as refused:
        client.com.atproto.server.create_app_password(models.ComAtprotoServerCreateAppPassword.Data(name="Another"))
    assert _error(refused) == (400, "InvalidToken", "Bad token scope")


def test_revoked_app_password_no_longer_signs_in(bluesky_pds, account):
    owner = Client(base_url=bluesky_pds.url)
    owner.login(account.handle, account.password, fetch_bsky_profile=False)
    owner.com.atproto.server.revoke_app_password(models.ComAtprotoServerRevokeAppPassword.Data(name="Policy Portal"))

    with pytest.raises(RequestErrorBase) as refused:
        bluesky_pds.client(account)
    status, error, _ = _error(refused)
    assert (status, error) == (401, "AuthenticationRequired")


def test_handles_resolve_to_their_accounts_and_unknown_ones_do_not(bluesky_pds, bluesky_school):
    client = Client(base_url=bluesky_pds.url)

    assert client.resolve_handle("oakfield-primary.test").did == bluesky_school.did
    with pytest.raises(BadRequestError) as unknown:
        client.resolve_handle("nobody-here.test")
    # Not the lexicon's HandleNotFound: this PDS answers a handle in its own domain it does not
    # hold with a general InvalidRequest (and never asks DNS about it).
    assert _error(unknown) == (400, "InvalidRequest", "Unable to resolve handle")


def test_post_with_photos_descriptions_and_facets_is_stored_as_sent(bluesky_pds, account):
    client = bluesky_pds.client(account)
    parent = bluesky_pds.create_account(_handle())
    photo, second_photo = _png(), _png(colour=(200, 40, 40))
    blobs = [client.upload_blob(photo).blob, client.upload_blob(second_photo).blob]
    # Non-ASCII before every facet, so byte offsets and character offsets differ.
    link = "https://oakfield.example/trips/café"
    text = f"Year 3’s café trip 🚌 — photos at {link} thanks @{parent.handle} #SchoolTrip"
    raw = text.encode()

    def span(part: str) -> models.AppBskyRichtextFacet.ByteSlice:
        start = raw.index(part.encode())
        return models.AppBskyRichtextFacet.ByteSlice(byte_start=start, byte_end=start + len(part.encode()))

    facets = [
        models.AppBskyRichtextFacet.Main(index=span(link), features=[models.AppBskyRichtextFacet.Link(uri=link)]),
        models.AppBskyRichtextFacet.Main(
            index=span(f"@{parent.handle}"), features=[models.AppBskyRichtextFacet.Mention(did=parent.did)]
        ),
        models.AppBskyRichtextFacet.Main(
            index=span("#SchoolTrip"), features=[models.AppBskyRichtextFacet.Tag(tag="SchoolTrip")]
        ),
    ]
    alts = ["Pupils at the café counter", "The coach outside school"]

    sent = _post(client, account.did, text, embed=_images(zip(blobs, alts, strict=True)), facets=facets)

    stored = client.app.bsky.feed.post.get(account.did, sent.uri.rsplit("/", 1)[1]).value
    assert stored.text == text
    assert [image.alt for image in stored.embed.images] == alts
    assert [image.image.mime_type for image in stored.embed.images] == ["image/png", "image/png"]
    assert [(f.index.byte_start, f.index.byte_end) for f in stored.facets] == [
        (f.index.byte_start, f.index.byte_end) for f in facets
    ]
    assert raw[stored.facets[0].index.byte_start : stored.facets[0].index.byte_end].decode() == link
    assert stored.facets[1].features[0].did == parent.did
    # The photos themselves are kept, byte for byte, under the blob references the post names.
    for image, original in zip(stored.embed.images, [photo, second_photo], strict=True):
        fetched = client.com.atproto.sync.get_blob(
            models.ComAtprotoSyncGetBlob.Params(did=account.did, cid=image.image.cid.encode())
        )
        assert fetched == original


def test_own_recent_posts_read_back_newest_first_and_a_deleted_post_is_gone(bluesky_pds, account):
    client = bluesky_pds.client(account)
    first = _post(client, account.did, "Sports day is on Friday")
    second = _post(client, account.did, "Bring a water bottle")
    third = _post(client, account.did, "Results on Monday")

    recent = client.app.bsky.feed.post.list(account.did, limit=10)
    assert [(uri, post.text) for uri, post in recent.records.items()] == [
        (third.uri, "Results on Monday"),
        (second.uri, "Bring a water bottle"),
        (first.uri, "Sports day is on Friday"),
    ]

    assert client.delete_post(second.uri)

    assert list(client.app.bsky.feed.post.list(account.did, limit=10).records) == [third.uri, first.uri]
    with pytest.raises(BadRequestError) as gone:
        client.app.bsky.feed.post.get(account.did, second.uri.rsplit("/", 1)[1])
    assert _error(gone)[:2] == (400, "RecordNotFound")


def test_block_is_a_record_in_the_schools_repository_until_undone(bluesky_pds, account):
    client = bluesky_pds.client(account)
    troll = bluesky_pds.create_account(_handle())

    block = client.app.bsky.graph.block.create(
        account.did, models.AppBskyGraphBlock.Record(subject=troll.did, created_at=client.get_current_time_iso())
    )
    blocks = client.app.bsky.graph.block.list(account.did)
    assert [record.subject for record in blocks.records.values()] == [troll.did]

    client.app.bsky.graph.block.delete(account.did, block.uri.rsplit("/", 1)[1])
    assert client.app.bsky.graph.block.list(account.did).records == {}


def test_a_follow_is_a_record_in_the_followers_own_repository(bluesky_pds, account):
    parent = bluesky_pds.create_account(_handle())
    parents_client = bluesky_pds.client(parent)

    parents_client.app.bsky.graph.follow.create(
        parent.did,
        models.AppBskyGraphFollow.Record(subject=account.did, created_at=parents_client.get_current_time_iso()),
    )

    follows = bluesky_pds.client(account).app.bsky.graph.follow.list(parent.did)
    assert [record.subject for record in follows.records.values()] == [account.did]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, did: c.get_author_feed(did), id="author feed"),
        pytest.param(lambda c, did: c.get_followers(did), id="followers"),
        pytest.param(lambda c, did: c.app.bsky.notification.list_notifications(), id="notifications"),
        pytest.param(lambda c, did: c.mute(did), id="mute"),
    ],
)
def test_a_pds_alone_leaves_feeds_followers_notifications_and_mutes_to_an_appview(bluesky_pds, account, call):
    """What adapter tests against this server cannot cover: Bluesky's PDS hands these to an
    AppView, which this test server does not run (a stub must stand in for them)."""
    client = bluesky_pds.client(account)
    with pytest.raises(BadRequestError) as refused:
        call(client, account.did)
    status, error, message = _error(refused)
    assert (status, error) == (400, "InvalidRequest")
    assert message.startswith("No service configured for app.bsky.")


def test_post_of_300_graphemes_is_accepted_and_301_refused(bluesky_pds, account):
    client = bluesky_pds.client(account)
    # "é" written as e + a combining accent: one grapheme, two code points, three bytes. The
    # limit counts graphemes, so 300 of them (600 code points) are allowed.
    accented_e = "e\u0301"

    accepted = _post(client, account.did, accented_e * 300)
    assert client.app.bsky.feed.post.get(account.did, accepted.uri.rsplit("/", 1)[1]).value.text == accented_e * 300

    with pytest.raises(BadRequestError) as refused:
        _post(client, account.did, accented_e * 301)
    status, error, message = _error(refused)
    assert (status, error) == (400, "InvalidRequest")
    assert message == "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"


def test_photo_over_bluesky_image_limit_is_refused_when_posted(bluesky_pds, account):
    client = bluesky_pds.client(account)
    photo = _noisy_jpeg(1100)
    assert 1_000_000 < len(photo) < 5 * 1024 * 1024  # over the image limit, under the upload limit
    blob = client.upload_blob(photo).blob

    with pytest.raises(BadRequestError) as refused:
        _post(client, account.did, "Our new library", embed=_images([(blob, "Shelves of books")]))
    status, error, message = _error(refused)
    assert (status, error) == (400, "InvalidRequest")
    assert message.startswith("Invalid app.bsky.feed.post record: blob too big (maximum 1000000, got ")
    assert client.app.bsky.feed.post.list(account.did).records == {}


def test_upload_over_the_servers_blob_limit_is_refused(bluesky_pds, account):
    client = bluesky_pds.client(account)
    with pytest.raises(AtProtocolError) as refused:
        client.upload_blob(b"\xff" * (5 * 1024 * 1024 + 1))
    assert refused.value.response.status_code == 413


def test_more_than_four_photos_are_refused(bluesky_pds, account):
    client = bluesky_pds.client(account)
    blob = client.upload_blob(_png()).blob

    photo = {"$type": "blob", "ref": {"$link": blob.cid.encode()}, "mimeType": blob.mime_type, "size": blob.size}
    record = {
        "$type": "app.bsky.feed.post",
        "text": "Five photos",
        "createdAt": client.get_current_time_iso(),
        "embed": {
            "$type": "app.bsky.embed.images",
            "images": [{"alt": f"Photo {n}", "image": photo} for n in range(5)],
        },
    }

    # Sent as plain JSON: the SDK's own models would refuse five before the server could.
    with pytest.raises(BadRequestError) as refused:
        client.com.atproto.repo.create_record(
            models.ComAtprotoRepoCreateRecord.Data(repo=account.did, collection="app.bsky.feed.post", record=record)
        )
    status, error, message = _error(refused)
    assert (status, error) == (400, "InvalidRequest")
    assert message == "Invalid app.bsky.feed.post record: array too big (maximum 4, got 5) at $.record.embed.images"
