"""The stub X server itself: it refuses what X's API description does not allow (so a clean run of
the adapter tests means something), speaks OAuth 2.0 with PKCE like X, and injects faults."""

import base64
import hashlib
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from accounts.models import SocialAccount
from networks.base import PostPayload
from networks.x.adapter import XNetwork


class _Http(requests.Session):
    """requests with a timeout, so a stub that misbehaves fails the test instead of hanging it."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(*args, **kwargs)


http = _Http()


@pytest.fixture
def user(x_stub):
    return x_stub.add_user("alpha_school")


@pytest.fixture
def bearer(x_stub, user):
    return {"Authorization": "Bearer " + x_stub.oauth2_credentials(user)["access_token"]}


def test_a_post_with_an_unknown_field_is_refused_and_recorded(x_stub, bearer):
    x_stub.violations_expected = True

    response = http.post(f"{x_stub.base_url}/2/tweets", json={"text": "hi", "status": "hi"}, headers=bearer)

    assert response.status_code == 400
    assert x_stub.posts == {}
    assert x_stub.violations == [
        "POST /2/tweets: body: Additional properties are not allowed ('status' was unexpected)"
    ]


def test_a_wrongly_typed_field_is_refused(x_stub, bearer):
    x_stub.violations_expected = True

    response = http.post(f"{x_stub.base_url}/2/tweets", json={"text": "hi", "quote_tweet_id": 12}, headers=bearer)

    assert response.status_code == 400
    assert "quote_tweet_id: 12 is not of type 'string'" in x_stub.violations[0]


def test_media_ids_must_be_numeric_strings(x_stub, bearer):
    x_stub.violations_expected = True

    http.post(f"{x_stub.base_url}/2/tweets", json={"text": "hi", "media": {"media_ids": ["abc"]}}, headers=bearer)

    assert "does not match" in x_stub.violations[0]


def test_an_unknown_path_and_a_wrong_method_are_refused(x_stub, bearer):
    x_stub.violations_expected = True

    assert http.post(f"{x_stub.base_url}/1.1/statuses/update.json", headers=bearer).status_code == 400
    assert http.put(f"{x_stub.base_url}/2/tweets", json={}, headers=bearer).status_code == 400

    assert x_stub.violations == [
        "POST /1.1/statuses/update.json: unknown path",
        "PUT /2/tweets: method not allowed on this path",
    ]


def test_query_parameters_are_checked(x_stub, bearer, user):
    x_stub.violations_expected = True
    url = f"{x_stub.base_url}/2/users/{user.id}/tweets"

    assert http.get(url, params={"max_results": 500}, headers=bearer).status_code == 400
    assert http.get(url, params={"tweet.fields": "created_at,colour"}, headers=bearer).status_code == 400
    assert http.get(url, params={"since": "yesterday"}, headers=bearer).status_code == 400
    assert http.get(url, params={"tweet.fields": "created_at"}, headers=bearer).status_code == 200

    assert len(x_stub.violations) == 3
    assert "500 is greater than the maximum of 100" in x_stub.violations[0]
    assert "'colour' is not one of" in x_stub.violations[1]
    assert "query parameter since is not in the description" in x_stub.violations[2]


def test_a_path_parameter_must_match_its_schema(x_stub, bearer):
    x_stub.violations_expected = True

    assert http.delete(f"{x_stub.base_url}/2/tweets/not-a-number", headers=bearer).status_code == 400
    assert "path id" in x_stub.violations[0]


def test_media_upload_is_checked_against_the_description(x_stub, bearer):
    x_stub.violations_expected = True
    url = f"{x_stub.base_url}/2/media/upload"

    # v1.1's form field name and a media_type the v2 description does not have are both refused.
    http.post(url, json={"media_data": "AAAA", "media_category": "tweet_image"}, headers=bearer)
    http.post(url, json={"media": "AAAA", "media_category": "tweet_image", "media_type": "image/jpeg"}, headers=bearer)

    assert x_stub.violations == [
        "POST /2/media/upload: body: 'media' is a required property",
        "POST /2/media/upload: body: Additional properties are not allowed ('media_data' was unexpected)",
        "POST /2/media/upload: body: Additional properties are not allowed ('media_type' was unexpected)",
    ]


def test_media_that_is_not_an_image_is_refused_like_x_does(x_stub, bearer):
    url = f"{x_stub.base_url}/2/media/upload"

    not_base64 = http.post(url, json={"media": "not base64!", "media_category": "tweet_image"}, headers=bearer)
    a_pdf = http.post(
        url, json={"media": base64.b64encode(b"%PDF-1.4").decode(), "media_category": "tweet_image"}, headers=bearer
    )

    assert (not_base64.status_code, a_pdf.status_code) == (400, 400)
    assert x_stub.media == {}


def test_the_adapter_makes_no_violations(x_stub, user, school):
    account = SocialAccount(network="x", handle="alpha_school", credentials=x_stub.oauth2_credentials(user))
    network = XNetwork(account)

    network.publish(PostPayload(text="All above board"))
    network.recent_own_posts()
    network.mentions()
    network.followers()

    assert len(x_stub.requests) == 4
    assert x_stub.violations == []


def test_requests_without_a_valid_token_get_x_unauthorised_problem(x_stub, user):
    response = http.get(f"{x_stub.base_url}/2/users/me", headers={"Authorization": "Bearer made-up"})

    assert response.status_code == 401
    assert response.json() == {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank", "status": 401}


def test_a_token_without_the_needed_scope_is_forbidden(x_stub, user):
    token = x_stub.issue_token(user, scope="users.read tweet.read")["access_token"]

    response = http.post(
        f"{x_stub.base_url}/2/tweets", json={"text": "hi"}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 403
    assert "tweet.write" in response.json()["detail"]


# OAuth 2.0 with PKCE, as X does it.


def authorize(x_stub, settings, verifier: str, state: str = "state-123", redirect_uri="https://portal.test/cb"):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    response = http.get(
        settings.X_AUTHORIZE_URL,
        params={
            "response_type": "code",
            "client_id": settings.X_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": "tweet.read tweet.write users.read offline.access",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
    )
    assert response.status_code == 302
    return response.headers["Location"]


def exchange(x_stub, settings, code: str, verifier: str, redirect_uri="https://portal.test/cb"):
    return http.post(
        f"{settings.X_API_BASE_URL}/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": settings.X_CLIENT_ID,
        },
        auth=(settings.X_CLIENT_ID, settings.X_CLIENT_SECRET),
    )


def test_authorization_code_with_pkce_gives_tokens_for_the_user(x_stub, settings, user):
    verifier = secrets.token_urlsafe(48)

    location = authorize(x_stub, settings, verifier)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith("https://portal.test/cb?")
    assert query["state"] == ["state-123"]

    response = exchange(x_stub, settings, query["code"][0], verifier)
    assert response.status_code == 200
    issued = response.json()
    assert issued["token_type"] == "bearer" and issued["expires_in"] == 7200 and issued["refresh_token"]

    me = http.get(f"{x_stub.base_url}/2/users/me", headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert me.json()["data"]["username"] == "alpha_school"
    # A code works once.
    assert exchange(x_stub, settings, query["code"][0], verifier).status_code == 400


def test_a_wrong_code_verifier_is_refused(x_stub, settings, user):
    location = authorize(x_stub, settings, secrets.token_urlsafe(48))
    code = parse_qs(urlsplit(location).query)["code"][0]

    response = exchange(x_stub, settings, code, secrets.token_urlsafe(48))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_refresh_token_works_once(x_stub, settings, user):
    first = x_stub.issue_token(user)
    url = f"{settings.X_API_BASE_URL}/2/oauth2/token"
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": settings.X_CLIENT_ID}
    auth = (settings.X_CLIENT_ID, settings.X_CLIENT_SECRET)

    renewed = http.post(url, data=form, auth=auth)
    again = http.post(url, data=form, auth=auth)

    assert renewed.status_code == 200 and renewed.json()["refresh_token"] != first["refresh_token"]
    assert again.status_code == 400


def test_revoking_a_token_stops_it_working(x_stub, settings, user):
    token = x_stub.issue_token(user)["access_token"]

    revoked = http.post(
        f"{settings.X_API_BASE_URL}/2/oauth2/revoke",
        data={"token": token, "client_id": settings.X_CLIENT_ID},
        auth=(settings.X_CLIENT_ID, settings.X_CLIENT_SECRET),
    )

    assert revoked.status_code == 200
    assert http.get(f"{x_stub.base_url}/2/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_wrong_client_secret_is_refused(x_stub, settings, user):
    first = x_stub.issue_token(user)

    response = http.post(
        f"{settings.X_API_BASE_URL}/2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": settings.X_CLIENT_ID,
        },
        auth=(settings.X_CLIENT_ID, "wrong"),
    )

    assert response.status_code == 401


# Faults.


def test_a_held_publish_is_on_x_before_its_answer_is_released(x_stub, user):
    hold = x_stub.hold_next("POST /2/tweets")
    network = XNetwork(SocialAccount(network="x", handle="alpha_school", credentials=x_stub.oauth2_credentials(user)))
    results = []
    worker = threading.Thread(target=lambda: results.append(network.publish(PostPayload(text="Held back"))))
    worker.start()

    assert hold.reached.wait(10)
    assert [p["text"] for p in x_stub.posts_by(user)] == ["Held back"]
    assert results == []

    hold.release()
    worker.join(10)
    assert results[0].id == x_stub.posts_by(user)[0]["id"]


def test_fail_next_applies_once(x_stub, bearer):
    x_stub.fail_next("POST /2/tweets", status=503)

    first = http.post(f"{x_stub.base_url}/2/tweets", json={"text": "one"}, headers=bearer)
    second = http.post(f"{x_stub.base_url}/2/tweets", json={"text": "one"}, headers=bearer)

    assert (first.status_code, second.status_code) == (503, 201)
    assert len(x_stub.posts) == 1


def test_env_points_another_process_at_the_stub(x_stub, settings):
    env = x_stub.env()

    assert env["X_API_BASE_URL"] == settings.X_API_BASE_URL == x_stub.base_url
    assert env["X_AUTHORIZE_URL"] == f"{x_stub.base_url}/i/oauth2/authorize"


def test_reading_a_post_checks_its_fields_against_the_description(x_stub, bearer, user):
    post = x_stub.add_post(user, "Harvest festival")
    x_stub.violations_expected = True

    good = http.get(
        f"{x_stub.base_url}/2/tweets/{post['id']}",
        params={"expansions": "author_id", "user.fields": "username", "tweet.fields": "created_at"},
        headers=bearer,
    )
    bad = http.get(f"{x_stub.base_url}/2/tweets/{post['id']}", params={"tweet.fields": "colour"}, headers=bearer)

    assert good.status_code == 200
    assert good.json()["data"]["author_id"] == user.id
    assert good.json()["includes"]["users"][0]["username"] == "alpha_school"
    assert bad.status_code == 400
    assert len(x_stub.violations) == 1 and x_stub.violations[0].startswith("GET /2/tweets/{id}: query post.fields")


def test_reading_a_missing_post_is_an_error_list_as_on_x(x_stub, bearer):
    response = http.get(f"{x_stub.base_url}/2/tweets/1860000000000000999", headers=bearer)

    assert response.status_code == 200
    assert "data" not in response.json()
    assert response.json()["errors"][0]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
