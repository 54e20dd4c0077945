"""Connecting a school's account to X from its page: OAuth 2.0 with PKCE through the stub X
server over real HTTP, the OAuth 1.0a alternative, disconnecting, checking, and the health panel.
Tokens must never reach a page, the audit trail, or the database in clear."""

import base64
import hashlib
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import SocialAccount
from audit.models import AuditEvent
from networks.x import connect as x_connect
from posts.models import Post, PostStatus

from ..factories import make_account

HANDLE = "alpha_school_x"


@pytest.fixture
def x_account(school):
    account = make_account(school, HANDLE)
    account.network = "x"
    account.status = SocialAccount.Status.NOT_CONNECTED
    account.save(update_fields=["network", "status"])
    return account


@pytest.fixture
def portal_app(settings):
    """The portal's X app as an operator would configure it (no stub needed to start a connection)."""
    settings.X_CLIENT_ID = "portal-client-id"
    settings.X_CLIENT_SECRET = ""
    settings.X_AUTHORIZE_URL = "https://x.example.test/i/oauth2/authorize"
    settings.SITE_URL = "https://portal.example.test"
    return settings


def _page(client, account) -> str:
    """The account page and its connection panel as the headteacher sees them."""
    edit = client.get(reverse("social_account_edit", args=[account.pk])).content.decode()
    panel = client.get(reverse("x_connection", args=[account.pk])).content.decode()
    return edit + panel


def _start(client, account) -> dict:
    response = client.post(reverse("x_connect_start", args=[account.pk]))
    assert response.status_code == 302
    return {key: values[0] for key, values in parse_qs(urlsplit(response.url).query).items()} | {"_url": response.url}


def _raw_credentials(account) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_socialaccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- Starting a connection (no network call yet) -------------------------------------------


def test_connect_to_x_sends_the_headteacher_to_x_with_pkce_and_every_scope(client_for, staff, x_account, portal_app):
    client = client_for(staff.head)

    query = _start(client, x_account)

    assert query["_url"].startswith("https://x.example.test/i/oauth2/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == "portal-client-id"
    assert query["redirect_uri"] == "https://portal.example.test" + reverse("x_connect_callback")
    assert query["code_challenge_method"] == "S256"
    verifier = client.session["x_connect_pending"]["code_verifier"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == expected
    assert query["state"] == client.session["x_connect_pending"]["state"]
    assert set(query["scope"].split()) == set(x_connect.REQUIRED_SCOPES)
    for scope in ("tweet.write", "media.write", "tweet.moderate.write", "mute.write", "follows.read", "offline.access"):
        assert scope in query["scope"].split()


def test_each_start_has_its_own_state_and_verifier(client_for, staff, x_account, portal_app):
    client = client_for(staff.head)
    first = _start(client, x_account)
    first_verifier = client.session["x_connect_pending"]["code_verifier"]
    second = _start(client, x_account)
    assert first["state"] != second["state"]
    assert client.session["x_connect_pending"]["code_verifier"] != first_verifier


def test_without_an_x_app_the_page_explains_what_the_operator_must_set(client_for, staff, x_account, settings):
    settings.X_CLIENT_ID = ""
    client = client_for(staff.head)

    response = client.post(reverse("x_connect_start", args=[x_account.pk]), follow=True)

    assert "X_CLIENT_ID" in _messages(response)
    assert "X_CLIENT_ID" in client.get(reverse("x_connection", args=[x_account.pk])).content.decode()
    assert "x_connect_pending" not in client.session


def test_a_senior_leader_cannot_connect_and_another_schools_account_is_refused(staff, x_account, outsider, portal_app):
    with pytest.raises(PermissionDenied):
        x_connect.start_connection(actor=staff.slt, account=x_account, redirect_uri="https://p.test/cb")
    outsider.account.network = "x"
    with pytest.raises(PermissionDenied):
        x_connect.start_connection(actor=staff.head, account=outsider.account, redirect_uri="https://p.test/cb")


def test_a_local_account_needs_no_connection(client_for, staff, accounts, portal_app):
    client = client_for(staff.head)
    local = accounts.whole_school

    response = client.post(reverse("x_connect_start", args=[local.pk]), follow=True)

    assert "needs no connection" in _messages(response)
    assert "needs no connection" in client.get(reverse("social_account_edit", args=[local.pk])).content.decode()
    assert "x_connect_pending" not in client.session


# --- Coming back from X ------------------------------------------------------------------------


def test_a_callback_whose_state_does_not_match_is_refused_and_spends_the_attempt(
    client_for, staff, x_account, portal_app
):
    client = client_for(staff.head)
    query = _start(client, x_account)

    forged = client.get(reverse("x_connect_callback"), {"state": "not-the-state", "code": "attacker-code"})

    assert forged.status_code == 400
    assert "could not be finished" in forged.content.decode()
    # The real state no longer works either: a connection attempt is used once.
    again = client.get(reverse("x_connect_callback"), {"state": query["state"], "code": "some-code"})
    assert again.status_code == 400
    x_account.refresh_from_db()
    assert x_account.credentials == {} and not AuditEvent.objects.filter(action="social_account.connected").exists()


def test_a_callback_nobody_started_is_refused(client_for, staff, x_account):
    response = client_for(staff.head).get(reverse("x_connect_callback"), {"state": "abc", "code": "def"})
    assert response.status_code == 400


def test_declining_on_x_says_so_and_changes_nothing(client_for, staff, x_account, portal_app):
    client = client_for(staff.head)
    query = _start(client, x_account)

    response = client.get(
        reverse("x_connect_callback"), {"state": query["state"], "error": "access_denied"}, follow=True
    )

    assert response.status_code == 200
    assert f"You did not allow the portal on X, so @{HANDLE} is not connected" in _messages(response)
    x_account.refresh_from_db()
    assert x_account.credentials == {} and x_account.status == SocialAccount.Status.NOT_CONNECTED
    assert AuditEvent.objects.filter(action="social_account.connect_declined", target_id=str(x_account.pk)).exists()


# --- Health on the account page ------------------------------------------------------------------


def test_the_account_page_shows_who_how_and_until_when_but_never_a_token(client_for, staff, x_account, portal_app):
    x_account.credentials = {
        "auth": "oauth2",
        "access_token": "AT-secret-visible-nowhere",
        "refresh_token": "RT-secret-visible-nowhere",
        "expires_at": time.time() + 3600,
        "scope": " ".join(s for s in x_connect.REQUIRED_SCOPES if s != "tweet.moderate.write"),
        "user_id": "42",
        "username": HANDLE,
    }
    x_account.status = SocialAccount.Status.ACTIVE
    x_account.save(update_fields=["credentials", "status"])

    page = _page(client_for(staff.head), x_account)

    assert f"Connected as <strong>@{HANDLE}</strong>" in page
    assert "OAuth 2.0 (Connect to X)" in page and "Renews automatically" in page
    assert "tweet.moderate.write (hide replies)" in page
    assert "AT-secret-visible-nowhere" not in page and "RT-secret-visible-nowhere" not in page


def test_an_expired_token_that_cannot_renew_asks_to_connect_again(client_for, staff, x_account, portal_app):
    x_account.credentials = {
        "auth": "oauth2",
        "access_token": "AT-old",
        "expires_at": time.time() - 60,
        "scope": " ".join(x_connect.REQUIRED_SCOPES),
        "user_id": "42",
        "username": HANDLE,
    }
    x_account.save(update_fields=["credentials"])

    health = x_connect.connection_health(x_account)

    assert health.token_expired and not health.renews_automatically and health.needs_reconnect
    assert "connect again" in _page(client_for(staff.head), x_account)


def test_the_panel_shows_the_last_publish_and_the_last_failure(client_for, staff, x_account):
    published_at = timezone.now() - timedelta(days=2)
    Post.objects.create(
        account=x_account,
        author=staff.head.user,
        text="Sports day",
        status=PostStatus.PUBLISHED,
        published_at=published_at,
        external_id="1790000000000000001",
    )
    Post.objects.create(
        account=x_account,
        author=staff.head.user,
        text="Trip",
        status=PostStatus.FAILED,
        failure_reason="X says this account may not post on its current API access.",
    )

    health = x_connect.connection_health(x_account)
    page = _page(client_for(staff.head), x_account)

    assert health.last_published_at == published_at
    assert "X says this account may not post on its current API access." in page


@pytest.mark.parametrize(
    ("tier", "followers", "blocking"), [("free", False, False), ("basic", True, False), ("enterprise", True, True)]
)
def test_the_panel_says_what_the_api_tier_allows(client_for, staff, x_account, settings, tier, followers, blocking):
    settings.X_API_TIER = tier
    abilities = {a.what: a.allowed for a in x_connect.connection_health(x_account).tier_abilities}
    assert abilities["Reading followers and mentions"] is followers
    assert abilities["Blocking accounts"] is blocking
    page = _page(client_for(staff.head), x_account)
    assert ("X allows it only on its Enterprise tier" in page) is not blocking


def test_the_token_form_explains_it_needs_the_consumer_keys(client_for, staff, x_account, settings):
    settings.X_CONSUMER_KEY = settings.X_CONSUMER_SECRET = ""
    page = client_for(staff.head).get(reverse("x_connect_oauth1", args=[x_account.pk])).content.decode()
    assert "X_CONSUMER_KEY" in page and 'name="access_token"' not in page


# --- Against the stub X server (real HTTP) ---------------------------------------------------------


@pytest.fixture
def on_x(x_stub):
    """The school's account as X knows it; X's approval page signs in as this account."""
    return x_stub.add_user(HANDLE)


def _connect_through_x(client, account):
    """Press Connect to X, let X approve (the test client cannot follow another host, so the
    approval page is fetched with requests), and come back to the portal's callback."""
    query = _start(client, account)
    approval = requests.get(query["_url"], allow_redirects=False, timeout=5)
    assert approval.status_code == 302
    back = urlsplit(approval.headers["Location"])
    assert back.path == reverse("x_connect_callback")
    return client.get(back.path, dict(parse_qsl(back.query)), follow=True)


def _connected(account, stub, user, **token_options) -> dict:
    account.credentials = stub.oauth2_credentials(user, **token_options)
    account.status = SocialAccount.Status.ACTIVE
    account.save(update_fields=["credentials", "status"])
    return account.credentials


def test_connect_to_x_stores_the_tokens_encrypted_and_shows_only_the_username(
    client_for, staff, x_account, x_stub, on_x
):
    client = client_for(staff.head)

    response = _connect_through_x(client, x_account)

    assert f"Connected to X as @{HANDLE}" in _messages(response)
    x_account.refresh_from_db()
    credentials = x_account.credentials
    assert credentials["auth"] == "oauth2" and credentials["user_id"] == on_x.id and credentials["username"] == HANDLE
    assert credentials["access_token"] in x_stub.tokens and credentials["refresh_token"] in x_stub.refresh_tokens
    assert time.time() + 7000 < credentials["expires_at"] <= time.time() + 7200
    assert set(credentials["scope"].split()) == set(x_connect.REQUIRED_SCOPES)
    assert x_account.status == SocialAccount.Status.ACTIVE and x_account.last_error == ""
    # PKCE: the verifier went to X's token endpoint with the portal's client credentials.
    (exchange,) = x_stub.requests_to("POST /2/oauth2/token")
    assert "code_verifier=" in exchange.body.decode() and exchange.headers["authorization"].startswith("Basic ")
    # Encrypted at rest.
    raw = _raw_credentials(x_account)
    assert credentials["access_token"] not in raw and credentials["refresh_token"] not in raw
    # Audited by who and what, never by token.
    event = AuditEvent.objects.get(action="social_account.connected", target_id=str(x_account.pk))
    assert event.actor == staff.head.user
    assert event.data["username"] == HANDLE and "tweet.write" in event.data["scopes"]
    assert credentials["access_token"] not in json.dumps(event.data)
    # No page shows a token: the callback's landing page, the account page, the panel, the list, the audit log.
    pages = [
        response,
        client.get(reverse("social_account_edit", args=[x_account.pk])),
        client.get(reverse("x_connection", args=[x_account.pk])),
        client.get(reverse("x_connection", args=[x_account.pk]), headers={"HX-Request": "true"}),
        client.get(reverse("social_account_list")),
        client.get(reverse("x_disconnect", args=[x_account.pk])),
        client.get(reverse("audit_log")),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert credentials["access_token"] not in body and credentials["refresh_token"] not in body
    assert f"Connected as <strong>@{HANDLE}</strong>" in pages[2].content.decode()


def test_approving_as_a_different_x_account_connects_nothing(client_for, staff, x_account, x_stub, on_x):
    personal = x_stub.add_user("head_at_home")
    x_stub.authorize_as = personal

    response = _connect_through_x(client_for(staff.head), x_account)

    assert f"You approved the portal as @head_at_home on X, but this account is @{HANDLE}" in _messages(response)
    x_account.refresh_from_db()
    assert x_account.credentials == {} and x_account.status == SocialAccount.Status.NOT_CONNECTED
    # The tokens X issued for the wrong account were handed back.
    assert not any(token.user_id == personal.id for token in x_stub.tokens.values())
    assert len(x_stub.requests_to("POST /2/oauth2/revoke")) == 2


def test_a_code_x_does_not_accept_is_explained(client_for, staff, x_account, x_stub, on_x):
    client = client_for(staff.head)
    query = _start(client, x_account)

    response = client.get(reverse("x_connect_callback"), {"state": query["state"], "code": "made-up"}, follow=True)

    assert "X did not accept the sign-in" in _messages(response)
    x_account.refresh_from_db()
    assert x_account.credentials == {}


def test_disconnect_revokes_at_x_and_forgets_the_tokens(client_for, staff, x_account, x_stub, on_x):
    credentials = _connected(x_account, x_stub, on_x)
    client = client_for(staff.head)
    confirm = client.get(reverse("x_disconnect", args=[x_account.pk]))
    assert f"Disconnect @{HANDLE} from X?" in confirm.content.decode()

    response = client.post(reverse("x_disconnect", args=[x_account.pk]), follow=True)

    assert "X has cancelled the portal's access" in _messages(response)
    revoked = {dict(parse_qsl(r.body.decode()))["token"] for r in x_stub.requests_to("POST /2/oauth2/revoke")}
    assert revoked == {credentials["access_token"], credentials["refresh_token"]}
    assert credentials["access_token"] not in x_stub.tokens
    x_account.refresh_from_db()
    assert x_account.credentials == {} and x_account.status == SocialAccount.Status.NOT_CONNECTED
    assert _raw_credentials(x_account) == ""
    event = AuditEvent.objects.get(action="social_account.disconnected", target_id=str(x_account.pk))
    assert event.data["revoked_at_x"] is True and event.data["username"] == HANDLE
    assert "Not connected" in _page(client, x_account)


def test_disconnect_forgets_the_tokens_even_when_x_cannot_be_reached(
    client_for, staff, x_account, x_stub, on_x, settings
):
    _connected(x_account, x_stub, on_x)
    settings.X_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there

    response = client_for(staff.head).post(reverse("x_disconnect", args=[x_account.pk]), follow=True)

    assert "X could not be told to cancel them" in _messages(response) and "connected apps" in _messages(response)
    x_account.refresh_from_db()
    assert x_account.credentials == {} and x_account.status == SocialAccount.Status.NOT_CONNECTED
    assert "X could not be told to cancel them" in x_account.last_error
    event = AuditEvent.objects.get(action="social_account.disconnected", target_id=str(x_account.pk))
    assert event.data["revoked_at_x"] is False


def test_oauth1_tokens_are_checked_with_x_then_stored_unseen(client_for, staff, x_account, x_stub, on_x):
    tokens = x_stub.oauth1_credentials(on_x)
    client = client_for(staff.head)
    form = client.get(reverse("x_connect_oauth1", args=[x_account.pk]))
    assert 'name="access_token_secret"' in form.content.decode()

    response = client.post(
        reverse("x_connect_oauth1", args=[x_account.pk]),
        {"access_token": tokens["access_token"], "access_token_secret": tokens["access_token_secret"]},
        follow=True,
    )

    assert f"Connected to X as @{HANDLE} with the school's tokens" in _messages(response)
    (check,) = x_stub.requests_to("GET /2/users/me")
    assert check.headers["authorization"].startswith("OAuth ")
    x_account.refresh_from_db()
    assert x_account.credentials == {
        "auth": "oauth1",
        "access_token": tokens["access_token"],
        "access_token_secret": tokens["access_token_secret"],
        "user_id": on_x.id,
        "username": HANDLE,
    }
    assert tokens["access_token_secret"] not in _raw_credentials(x_account)
    page = _page(client, x_account) + response.content.decode()
    assert tokens["access_token"] not in page and tokens["access_token_secret"] not in page
    assert "OAuth 1.0a tokens from the school" in page


def test_oauth1_tokens_x_refuses_are_not_stored_nor_shown_back(client_for, staff, x_account, x_stub, on_x):
    response = client_for(staff.head).post(
        reverse("x_connect_oauth1", args=[x_account.pk]),
        {"access_token": "1-wrong-token", "access_token_secret": "wrong-secret-value"},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "X did not accept these tokens" in body
    assert "1-wrong-token" not in body and "wrong-secret-value" not in body
    x_account.refresh_from_db()
    assert x_account.credentials == {}


def test_check_connection_says_who_the_portal_is_signed_in_as(client_for, staff, x_account, x_stub, on_x):
    _connected(x_account, x_stub, on_x)
    SocialAccount.objects.filter(pk=x_account.pk).update(status=SocialAccount.Status.ERROR, last_error="Old problem")

    response = client_for(staff.head).post(reverse("x_check_connection", args=[x_account.pk]), follow=True)

    assert f"Connected as @{HANDLE}." in _messages(response)
    assert x_stub.requests_to("GET /2/users/me")
    x_account.refresh_from_db()
    assert x_account.status == SocialAccount.Status.ACTIVE and x_account.last_error == ""


def test_check_connection_with_a_dead_token_asks_to_reconnect(client_for, staff, x_account, x_stub, on_x):
    # A grant without offline.access has no refresh token, so an expired access token cannot renew.
    scope = " ".join(s for s in x_connect.REQUIRED_SCOPES if s != "offline.access")
    credentials = _connected(x_account, x_stub, on_x, scope=scope)
    x_stub.expire_token(credentials["access_token"])
    client = client_for(staff.head)

    response = client.post(reverse("x_check_connection", args=[x_account.pk]), follow=True)

    message = _messages(response)
    assert "no longer accepts the portal's connection" in message and "Reconnect" in message
    x_account.refresh_from_db()
    assert x_account.status == SocialAccount.Status.ERROR and x_account.last_error == message
    page = _page(client, x_account)
    assert "Needs attention" in page and "offline.access" in page
    assert credentials["access_token"] not in page


def test_tokens_a_worker_renews_during_disconnect_are_revoked_too(
    client_for, staff, x_account, x_stub, on_x, monkeypatch
):
    old = _connected(x_account, x_stub, on_x)
    renewed = x_stub.oauth2_credentials(on_x)
    real_revoke = x_connect._revoke
    calls = []

    def worker_renews_first(token, hint):
        # As if a publishing worker spent the refresh token just as the headteacher pressed Disconnect.
        if not calls:
            SocialAccount.objects.filter(pk=x_account.pk).update(credentials=renewed)
        calls.append(token)
        return real_revoke(token, hint)

    monkeypatch.setattr(x_connect, "_revoke", worker_renews_first)

    client_for(staff.head).post(reverse("x_disconnect", args=[x_account.pk]))

    revoked = {dict(parse_qsl(r.body.decode()))["token"] for r in x_stub.requests_to("POST /2/oauth2/revoke")}
    assert {old["access_token"], renewed["access_token"], renewed["refresh_token"]} <= revoked
    assert renewed["access_token"] not in x_stub.tokens
    x_account.refresh_from_db()
    assert x_account.credentials == {}
