"""The stub Bluesky server's own checks and faults: a stub that let bad requests through, or
whose faults did not happen, would make every Bluesky test worthless."""

import json

import httpx
import pytest

from tests.blueskystub import make_cid, make_tid


def xrpc(stub, method, nsid, *, token=None, params=None, body=None, content_type="application/json"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = content_type
        body = json.dumps(body).encode() if content_type == "application/json" else body
    return httpx.request(method, f"{stub.base_url}/xrpc/{nsid}", params=params, content=body, headers=headers)


@pytest.fixture
def signed_in(bluesky_stub):
    user = bluesky_stub.add_user("alpha.bsky.social")
    return user, bluesky_stub.credentials(user)["access_jwt"]


def post_body(user, record):
    return {"repo": user.did, "collection": "app.bsky.feed.post", "record": record}


def test_a_valid_post_is_accepted(bluesky_stub, signed_in):
    user, token = signed_in
    record = {"$type": "app.bsky.feed.post", "text": "Hello", "createdAt": "2026-12-01T09:00:00.000Z"}
    response = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert response.status_code == 200 and response.json()["uri"].startswith(f"at://{user.did}/")
    assert bluesky_stub.violations == []


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"$type": "app.bsky.feed.post", "text": "Hi"}, "createdAt"),
        ({"$type": "app.bsky.feed.post", "text": "é" * 301, "createdAt": "2026-12-01T09:00:00Z"}, "300 graphemes"),
        (
            {
                "$type": "app.bsky.feed.post",
                "text": "Hi #tag",
                "createdAt": "2026-12-01T09:00:00Z",
                "facets": [
                    {
                        "index": {"byteStart": 3, "byteEnd": 40},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "tag"}],
                    }
                ],
            },
            "outside the text's 7 UTF-8 bytes",
        ),
        (
            {
                "$type": "app.bsky.feed.post",
                "text": "",
                "createdAt": "2026-12-01T09:00:00Z",
                "embed": {
                    "$type": "app.bsky.embed.images",
                    "images": [
                        {
                            "alt": "",
                            "image": {
                                "$type": "blob",
                                "ref": {"$link": make_cid(b"never sent", codec=0x55)},
                                "mimeType": "image/jpeg",
                                "size": 10,
                            },
                        }
                    ],
                },
            },
            "never uploaded",
        ),
    ],
)
def test_records_that_break_the_lexicons_are_refused_and_reported(bluesky_stub, signed_in, record, problem):
    user, token = signed_in
    bluesky_stub.violations_expected = True
    response = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert response.status_code == 400
    assert any(problem in violation for violation in bluesky_stub.violations)
    assert bluesky_stub.posts_by(user) == []


def test_a_blob_over_the_lexicon_s_size_is_refused(bluesky_stub, signed_in):
    user, token = signed_in
    bluesky_stub.violations_expected = True
    blob = xrpc(
        bluesky_stub,
        "POST",
        "com.atproto.repo.uploadBlob",
        token=token,
        body=b"x" * 2_000_001,
        content_type="image/jpeg",
    ).json()["blob"]
    record = {
        "$type": "app.bsky.feed.post",
        "text": "",
        "createdAt": "2026-12-01T09:00:00Z",
        "embed": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": blob}]},
    }
    response = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert response.status_code == 400
    assert any("more than the lexicon's 2000000" in violation for violation in bluesky_stub.violations)


def test_unknown_methods_wrong_verbs_and_bad_params_are_reported(bluesky_stub, signed_in):
    _user, token = signed_in
    bluesky_stub.violations_expected = True
    assert xrpc(bluesky_stub, "GET", "app.bsky.feed.noSuchThing", token=token).status_code == 400
    assert xrpc(bluesky_stub, "POST", "app.bsky.feed.getPosts", token=token, body={}).status_code == 400
    limit = xrpc(bluesky_stub, "GET", "app.bsky.graph.getFollowers", token=token, params={"actor": "a.b", "limit": 500})
    assert limit.status_code == 400
    assert len(bluesky_stub.violations) == 3
    assert "can not be greater than 100" in bluesky_stub.violations[2]


def test_faults_happen_once_each(bluesky_stub, signed_in):
    user, token = signed_in
    record = {"$type": "app.bsky.feed.post", "text": "Hi", "createdAt": "2026-12-01T09:00:00Z"}
    reset = bluesky_stub.rate_limit_next("com.atproto.repo.createRecord", reset_in=60)
    limited = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert limited.status_code == 429 and limited.headers["ratelimit-reset"] == str(reset)

    bluesky_stub.fail_next("com.atproto.repo.createRecord", status=502, apply=True)
    failed = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert failed.status_code == 502 and len(bluesky_stub.posts_by(user)) == 1  # it took effect first

    ok = xrpc(bluesky_stub, "POST", "com.atproto.repo.createRecord", token=token, body=post_body(user, record))
    assert ok.status_code == 200 and len(bluesky_stub.posts_by(user)) == 2  # no duplicate refusal, as on Bluesky


def test_expired_and_revoked_tokens_answer_as_a_pds_does(bluesky_stub, signed_in):
    user, token = signed_in
    bluesky_stub.expire_token(token)
    expired = xrpc(bluesky_stub, "GET", "com.atproto.server.getSession", token=token)
    assert expired.status_code == 400 and expired.json()["error"] == "ExpiredToken"

    fresh = bluesky_stub.credentials(user)
    bluesky_stub.revoke(user)
    revoked = xrpc(bluesky_stub, "GET", "com.atproto.server.getSession", token=fresh["access_jwt"])
    assert revoked.status_code == 401 and revoked.json()["error"] == "InvalidToken"
    refresh = xrpc(bluesky_stub, "POST", "com.atproto.server.refreshSession", token=fresh["refresh_jwt"])
    assert refresh.status_code == 400 and refresh.json()["error"] == "InvalidToken"


def test_identifiers_look_like_the_network_s():
    tid = make_tid()
    assert len(tid) == 13 and tid[0] in "234567abcdefghij"
    assert make_cid(b"x").startswith("bafyrei") and make_cid(b"x", codec=0x55).startswith("bafkrei")
