"""Connecting a school's account to Bluesky from its page with an app password, through the stub
Bluesky server over real HTTP: the clear message for each kind of bad input, disconnecting,
checking, and the panel. Neither the app password nor the session may reach a page, the audit
trail, or the database in clear."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import SocialAccount
from audit.models import AuditEvent
from networks.bluesky import connect as bluesky_connect

from ..factories import make_account

HANDLE = "alpha.bsky.social"


@pytest.fixture
def bsky_account(school):
    account = make_account(school, HANDLE)
    account.network = "bluesky"
    account.status = SocialAccount.Status.NOT_CONNECTED
    account.save(update_fields=["network", "status"])
    return account


@pytest.fixture
def bsky_user(bluesky_stub):
    return bluesky_stub.add_user(HANDLE)


def _connect(client, account, handle=HANDLE, app_password=""):
    return client.post(
        reverse("bluesky_connect", args=[account.pk]), {"handle": handle, "app_password": app_password}, follow=True
    )


def _raw_credentials(account) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_socialaccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_the_account_page_offers_the_bluesky_panel_saying_what_it_can_and_cannot_do(client_for, staff, bsky_account):
    client = client_for(staff.head)
    edit = client.get(reverse("social_account_edit", args=[bsky_account.pk])).content.decode()
    assert reverse("bluesky_connection", args=[bsky_account.pk]) in edit
    panel = client.get(reverse("bluesky_connection", args=[bsky_account.pk])).content.decode()
    assert "Not connected" in panel
    assert "app password" in panel and "never with the account's own password" in panel
    assert "Removing a follower" in panel and "no OAuth client" in panel
    listing = client.get(reverse("social_account_list")).content.decode()
    assert reverse("bluesky_connection", args=[bsky_account.pk]) in listing


def test_the_form_says_to_create_an_app_password_never_the_account_password(client_for, staff, bsky_account):
    page = client_for(staff.head).get(reverse("bluesky_connect", args=[bsky_account.pk])).content.decode()
    assert "Settings → Privacy and security → App passwords" in page
    assert "Never enter the account's own password" in page
    assert f'value="{HANDLE}"' in page


def test_connecting_with_an_app_password_keeps_the_session_encrypted(
    client_for, staff, bsky_account, bluesky_stub, bsky_user
):
    password = bluesky_stub.add_app_password(bsky_user)

    response = _connect(client_for(staff.head), bsky_account, app_password=password)

    assert f"Connected to Bluesky as @{HANDLE}" in response.content.decode()
    bsky_account.refresh_from_db()
    credentials = bsky_account.credentials
    assert credentials["did"] == bsky_user.did and credentials["pds"] == bluesky_stub.base_url
    assert credentials["access_jwt"] and credentials["refresh_jwt"]
    assert password not in str(credentials)
    assert bsky_account.network_settings == {"did": bsky_user.did, "handle": HANDLE, "pds": bluesky_stub.base_url}
    assert bsky_account.status == SocialAccount.Status.ACTIVE
    raw = _raw_credentials(bsky_account)
    assert credentials["access_jwt"] not in raw and bsky_user.did not in raw
    event = AuditEvent.objects.get(action="social_account.connected")
    assert credentials["access_jwt"] not in str(event.data) and password not in str(event.data)


@pytest.mark.parametrize(
    ("handle", "app_password", "message"),
    [
        (HANDLE, "my-secret-password", "That is not an app password"),
        ("not a handle!", "abcd-efgh-ijkl-mnop", "is not a Bluesky handle"),
        ("someone-else.bsky.social", "abcd-efgh-ijkl-mnop", "but you entered @someone-else.bsky.social"),
    ],
)
def test_bad_input_is_refused_before_asking_bluesky(
    client_for, staff, bsky_account, bluesky_stub, handle, app_password, message
):
    response = _connect(client_for(staff.head), bsky_account, handle, app_password)
    assert message in response.content.decode()
    assert bluesky_stub.requests == []
    assert SocialAccount.objects.get(pk=bsky_account.pk).credentials == {}


def test_a_handle_that_does_not_resolve_says_so(client_for, staff, school, bluesky_stub):
    account = make_account(school, "ghost.bsky.social")
    account.network = "bluesky"
    account.save(update_fields=["network"])
    response = _connect(client_for(staff.head), account, "ghost.bsky.social", "abcd-efgh-ijkl-mnop")
    assert "Bluesky has no account @ghost.bsky.social" in response.content.decode()


def test_a_wrong_or_revoked_app_password_says_to_create_a_new_one(
    client_for, staff, bsky_account, bluesky_stub, bsky_user
):
    response = _connect(client_for(staff.head), bsky_account, app_password="abcd-efgh-ijkl-mnop")
    page = response.content.decode()
    assert "Bluesky did not accept this app password" in page and "create a new one" in page
    assert SocialAccount.objects.get(pk=bsky_account.pk).credentials == {}


def test_a_server_that_is_down_says_to_try_again(client_for, staff, bsky_account, settings):
    settings.BLUESKY_SERVICE_URL = "http://127.0.0.1:9"
    response = _connect(client_for(staff.head), bsky_account, app_password="abcd-efgh-ijkl-mnop")
    assert "could not reach Bluesky" in response.content.decode()


def test_only_the_headteacher_may_connect(client_for, staff, bsky_account, bluesky_stub):
    response = client_for(staff.teacher).post(
        reverse("bluesky_connect", args=[bsky_account.pk]), {"handle": HANDLE, "app_password": "abcd-efgh-ijkl-mnop"}
    )
    assert response.status_code == 403
    assert bluesky_stub.requests == []


def test_another_schools_account_is_not_found(client_for, outsider, bsky_account):
    response = client_for(outsider.head).get(reverse("bluesky_connection", args=[bsky_account.pk]))
    assert response.status_code == 404


def test_check_and_disconnect(client_for, staff, bsky_account, bluesky_stub, bsky_user):
    client = client_for(staff.head)
    _connect(client, bsky_account, app_password=bluesky_stub.add_app_password(bsky_user))

    checked = client.post(reverse("bluesky_check_connection", args=[bsky_account.pk]), follow=True)
    assert f"Connected to Bluesky as @{HANDLE}" in checked.content.decode()

    confirm = client.get(reverse("bluesky_disconnect", args=[bsky_account.pk])).content.decode()
    assert "delete the portal's app password in Bluesky" in confirm
    done = client.post(reverse("bluesky_disconnect", args=[bsky_account.pk]), follow=True).content.decode()
    assert "Bluesky ended the portal" in done
    assert bluesky_stub.ended_sessions == [bsky_user.did]
    bsky_account.refresh_from_db()
    assert bsky_account.credentials == {} and bsky_account.status == SocialAccount.Status.NOT_CONNECTED


def test_a_check_after_the_app_password_was_revoked_marks_the_account(
    client_for, staff, bsky_account, bluesky_stub, bsky_user
):
    client = client_for(staff.head)
    _connect(client, bsky_account, app_password=bluesky_stub.add_app_password(bsky_user))
    bluesky_stub.revoke(bsky_user)

    result = bluesky_connect.check_connection(actor=staff.head, account=SocialAccount.objects.get(pk=bsky_account.pk))

    assert not result.ok and "Connect it again" in result.message
    assert SocialAccount.objects.get(pk=bsky_account.pk).status == SocialAccount.Status.ERROR


def test_an_account_on_another_network_is_sent_back_to_its_page(client_for, staff, school):
    local = make_account(school, "alpha_local")
    response = client_for(staff.head).get(reverse("bluesky_connect", args=[local.pk]), follow=True)
    assert "is on Local (built in), not Bluesky" in response.content.decode()
