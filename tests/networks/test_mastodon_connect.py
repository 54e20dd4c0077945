"""Connecting a school's Mastodon account from its page: the server's address, the portal's app on
that server, OAuth through the stub server over real HTTP, disconnecting, checking, the panel,
and the addresses the portal refuses (server-side request forgery)."""

import json
import re
import socket
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from accounts.models import SocialAccount
from audit.models import AuditEvent
from networks.mastodon import connect as mastodon_connect
from networks.mastodon.models import MastodonApp
from networks.mastodon.servers import ServerAddressError, check_server_reachable_safely, normalise_server
from tests.mastodonstub import free_port_refused

from ..factories import make_account

HANDLE = "alpha_school"


@pytest.fixture
def m_account(school):
    account = make_account(school, HANDLE)
    account.network = "mastodon"
    account.status = SocialAccount.Status.NOT_CONNECTED
    account.save(update_fields=["network", "status"])
    return account


@pytest.fixture
def on_server(mastodon_stub):
    """The school's account on the stub server; the server's approval page signs in as it."""
    return mastodon_stub.add_account(HANDLE)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def _start(client, account, server):
    return client.post(reverse("mastodon_connect_start", args=[account.pk]), {"server": server})


def _connect(client, account, stub):
    """Name the server, follow the link to approve on it (with requests: the test client cannot
    visit another host), and come back to the portal's callback."""
    page = _start(client, account, stub.base_url)
    assert page.status_code == 200, page.content.decode()
    link = unescape(re.search(r'href="(http://127\.0\.0\.1:\d+/oauth/authorize\?[^"]+)"', page.content.decode())[1])
    approval = requests.get(link, allow_redirects=False, timeout=5)
    assert approval.status_code == 302
    back = urlsplit(approval.headers["Location"])
    assert back.path == reverse("mastodon_connect_callback")
    return client.get(back.path, dict(parse_qsl(back.query)), follow=True)


def test_connecting_stores_the_token_encrypted_and_the_servers_limits(
    client_for, staff, m_account, mastodon_stub, on_server
):
    mastodon_stub.max_characters = 5000
    client = client_for(staff.head)

    response = _connect(client, m_account, mastodon_stub)

    assert f"Connected to Mastodon as @{HANDLE}@{mastodon_stub.domain}" in _messages(response)
    m_account.refresh_from_db()
    token = m_account.credentials["access_token"]
    assert mastodon_stub.tokens[token].account_id == on_server.id
    assert set(mastodon_stub.tokens[token].scope.split()) == set(mastodon_connect.REQUIRED_SCOPES)
    facts = m_account.network_settings
    assert facts["server"] == mastodon_stub.base_url and facts["account_id"] == on_server.id
    assert facts["max_characters"] == 5000 and facts["description_limit"] == 1500
    assert m_account.status == SocialAccount.Status.ACTIVE
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_socialaccount WHERE id = %s", [m_account.pk])
        assert token not in cursor.fetchone()[0]
    event = AuditEvent.objects.get(action="social_account.connected", target_id=str(m_account.pk))
    assert token not in json.dumps(event.data) and event.data["server"] == mastodon_stub.base_url
    # The app was registered once on the server, with the portal's callback, and is reused.
    [app] = MastodonApp.objects.all()
    assert app.redirect_uri.endswith(reverse("mastodon_connect_callback"))
    assert app.client_secret not in MastodonApp.objects.values_list("client_secret_encrypted", flat=True)[0]
    _start(client, m_account, mastodon_stub.base_url)
    assert len(mastodon_stub.requests_to("POST /api/v1/apps")) == 1
    # The pages show who and where, never the token.
    for url in (
        reverse("social_account_edit", args=[m_account.pk]),
        reverse("mastodon_connection", args=[m_account.pk]),
        reverse("social_account_list"),
        reverse("audit_log"),
    ):
        body = client.get(url).content.decode()
        assert token not in body
    panel = client.get(reverse("mastodon_connection", args=[m_account.pk])).content.decode()
    assert f"@{HANDLE}@{mastodon_stub.domain}" in panel and "5000 characters" in panel
    assert "Hiding replies" in panel


def test_approving_as_someone_else_connects_nothing_and_cancels_their_token(
    client_for, staff, m_account, mastodon_stub, on_server
):
    mastodon_stub.authorize_as = mastodon_stub.add_account("head_personal")

    response = _connect(client_for(staff.head), m_account, mastodon_stub)

    assert "You approved the portal as @head_personal" in _messages(response)
    m_account.refresh_from_db()
    assert m_account.credentials == {}
    assert all(token.revoked for token in mastodon_stub.tokens.values())


def test_an_unknown_server_is_explained_on_the_form(client_for, staff, m_account, settings):
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    response = _start(client_for(staff.head), m_account, "no-such-server.invalid")
    assert response.status_code == 400
    assert "There is no server called no-such-server.invalid" in unescape(response.content.decode())


def test_a_server_that_is_down_is_explained(client_for, staff, m_account, mastodon_stub):
    response = _start(client_for(staff.head), m_account, free_port_refused())
    assert response.status_code == 400
    assert "could not reach" in unescape(response.content.decode())


def test_a_site_that_is_not_mastodon_is_explained(client_for, staff, m_account, mastodon_stub):
    mastodon_stub.fail_next("GET /api/v2/instance", status=404, body={"error": "Not found"})
    mastodon_stub.fail_next("GET /api/v1/instance", status=404, body={"error": "Not found"})
    response = _start(client_for(staff.head), m_account, mastodon_stub.base_url)
    assert "answered, but not as a Mastodon server does" in unescape(response.content.decode())


def test_a_callback_whose_state_does_not_match_is_refused(client_for, staff, m_account, mastodon_stub, on_server):
    client = client_for(staff.head)
    _start(client, m_account, mastodon_stub.base_url)
    forged = client.get(reverse("mastodon_connect_callback"), {"state": "forged", "code": "x"})
    assert forged.status_code == 400
    m_account.refresh_from_db()
    assert m_account.credentials == {}


def test_declining_on_the_server_changes_nothing(client_for, staff, m_account, mastodon_stub, on_server):
    client = client_for(staff.head)
    _start(client, m_account, mastodon_stub.base_url)
    state = client.session["mastodon_connect_pending"]["state"]
    response = client.get(reverse("mastodon_connect_callback"), {"state": state, "error": "access_denied"}, follow=True)
    assert "You did not allow the portal on the server" in _messages(response)
    assert AuditEvent.objects.filter(action="social_account.connect_declined").exists()


def test_only_the_headteacher_of_the_school_may_connect(staff, m_account, outsider, mastodon_stub):
    with pytest.raises(PermissionDenied):
        mastodon_connect.start_connection(
            actor=staff.slt, account=m_account, server_address=mastodon_stub.base_url, redirect_uri="https://p/cb"
        )
    outsider.account.network = "mastodon"
    with pytest.raises(PermissionDenied):
        mastodon_connect.start_connection(
            actor=staff.head, account=outsider.account, server_address="x", redirect_uri="https://p/cb"
        )


def test_a_senior_leader_gets_no_panel(client_for, staff, m_account):
    response = client_for(staff.slt).get(reverse("mastodon_connection", args=[m_account.pk]))
    assert response.status_code in (302, 403)


def test_disconnect_cancels_the_token_at_the_server_and_forgets_it(
    client_for, staff, m_account, mastodon_stub, on_server
):
    client = client_for(staff.head)
    _connect(client, m_account, mastodon_stub)
    m_account.refresh_from_db()
    token = m_account.credentials["access_token"]

    response = client.post(reverse("mastodon_disconnect", args=[m_account.pk]), follow=True)

    assert "is disconnected" in _messages(response)
    assert mastodon_stub.tokens[token].revoked
    m_account.refresh_from_db()
    assert m_account.credentials == {} and m_account.status == SocialAccount.Status.NOT_CONNECTED
    assert m_account.network_settings["server"] == mastodon_stub.base_url  # kept for connecting again


def test_check_connection_after_the_token_was_revoked_asks_to_connect_again(
    client_for, staff, m_account, mastodon_stub, on_server
):
    m_account.credentials, m_account.network_settings = mastodon_stub.connect(on_server)
    m_account.save()
    client = client_for(staff.head)
    ok = client.post(reverse("mastodon_check_connection", args=[m_account.pk]), follow=True)
    assert f"Connected as @{HANDLE}@{mastodon_stub.domain}" in _messages(ok)

    mastodon_stub.revoke_token(m_account.credentials["access_token"])
    broken = client.post(reverse("mastodon_check_connection", args=[m_account.pk]), follow=True)

    assert "no longer accepts the portal's connection" in _messages(broken)
    m_account.refresh_from_db()
    assert m_account.status == SocialAccount.Status.ERROR and "Connect it again" in m_account.last_error


# --- The addresses the portal will not use --------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://Mastodon.Social/", "https://mastodon.social"),
        ("@school@toot.example", "https://toot.example"),
    ],
)
def test_what_the_admin_types_becomes_the_servers_address(typed, expected, settings):
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    assert normalise_server(typed) == expected


@pytest.mark.parametrize("typed", ["ftp://toot.example", "http://toot.example", "toot.example/about", ""])
def test_addresses_that_are_not_a_servers_https_address_are_refused(typed, settings):
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    with pytest.raises(ServerAddressError):
        normalise_server(typed)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "[::1]"])
def test_private_and_loopback_servers_are_refused(address, settings):
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    with pytest.raises(ServerAddressError, match="private network address"):
        check_server_reachable_safely(normalise_server(address))


def test_a_name_that_resolves_to_a_private_address_is_refused_before_any_request(
    client_for, staff, m_account, mastodon_stub, settings, monkeypatch
):
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))]
    )
    response = _start(client_for(staff.head), m_account, "innocent.example")
    assert "private network address" in unescape(response.content.decode())
    assert mastodon_stub.requests == []


def test_a_connection_that_lands_on_a_private_address_is_cut(account_on_stub, mastodon_stub, settings):
    """A name that passed the check but then answers from the portal's own network (DNS rebinding)."""
    from networks.base import NetworkError, PostPayload
    from networks.registry import get_network

    network = get_network(account_on_stub)
    settings.MASTODON_ALLOW_PRIVATE_SERVERS = False
    with pytest.raises(NetworkError, match="private network address") as caught:
        network.publish(PostPayload(text="Hello"))
    assert caught.value.permanent
    assert mastodon_stub.requests_to("POST /api/v1/statuses") == []


@pytest.fixture
def account_on_stub(m_account, mastodon_stub, on_server):
    m_account.credentials, m_account.network_settings = mastodon_stub.connect(on_server)
    m_account.save()
    return m_account
