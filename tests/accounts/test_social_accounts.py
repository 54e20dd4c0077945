from django.db import connection
from django.urls import reverse

from accounts.models import SocialAccount
from audit.models import AuditEvent


def test_headteacher_adds_a_class_account(client_for, staff, year3):
    response = client_for(staff.head).post(
        reverse("social_account_create"),
        {"display_name": "Year 3", "handle": "@alpha_y3", "kind": "class", "class_group": year3.pk, "network": "local"},
    )
    assert response.status_code == 302
    account = SocialAccount.objects.get(handle="alpha_y3")
    assert account.class_group == year3 and account.school == staff.head.school
    assert AuditEvent.objects.filter(action="social_account.created").exists()


def test_class_account_without_a_class_is_refused_with_a_message(client_for, staff):
    response = client_for(staff.head).post(
        reverse("social_account_create"),
        {"display_name": "Year 3", "handle": "alpha_y3", "kind": "class", "network": "local"},
    )
    assert response.status_code == 200
    assert "A class account needs its class." in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_class_of_another_school_is_not_offered(client_for, staff, outsider):
    response = client_for(staff.head).post(
        reverse("social_account_create"),
        {
            "display_name": "Sneaky",
            "handle": "sneaky",
            "kind": "class",
            "class_group": outsider.class_group.pk,
            "network": "local",
        },
    )
    assert response.status_code == 200
    assert not SocialAccount.objects.filter(handle="sneaky").exists()


def test_credentials_are_encrypted_at_rest_and_never_shown(client_for, staff, accounts):
    account = accounts.whole_school
    account.credentials = {"access_token": "tok-SECRET-123"}
    account.save(update_fields=["credentials"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM accounts_socialaccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert "tok-SECRET-123" not in stored
    assert SocialAccount.objects.get(pk=account.pk).credentials == {"access_token": "tok-SECRET-123"}
    client = client_for(staff.head)
    for url in (reverse("social_account_list"), reverse("social_account_edit", args=[account.pk])):
        assert "tok-SECRET-123" not in client.get(url).content.decode()


def test_a_new_x_account_is_not_connected_until_the_headteacher_connects_it(staff):
    from accounts.services import social_account_save

    account = social_account_save(
        actor=staff.head, kind="whole_school", class_group=None, network="x", handle="alpha_x", display_name="Alpha"
    )
    assert account.status == SocialAccount.Status.NOT_CONNECTED
    account.credentials = {"auth": "oauth2", "access_token": "t"}
    account.status = SocialAccount.Status.ACTIVE
    account.save()

    moved = social_account_save(
        actor=staff.head,
        account=account,
        kind="whole_school",
        class_group=None,
        network="local",
        handle="alpha_x",
        display_name="Alpha",
    )
    assert moved.credentials == {} and moved.status == SocialAccount.Status.ACTIVE
