from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent

from ..factories import PASSWORD, totp_code


def test_there_is_no_public_sign_up(client, db):
    page = client.get(reverse("account_signup"))
    assert "join by invitation" in page.content.decode().lower()
    client.post(
        reverse("account_signup"), {"email": "stranger@example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert not User.objects.filter(email="stranger@example.org").exists()


def test_login_page_does_not_offer_sign_up(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert "sign up" not in page.lower()


def test_teacher_signs_in_with_email_and_password(client, staff):
    response = client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_approver_needs_the_authenticator_code_after_the_password(client, staff):
    response = client.post(reverse("account_login"), {"login": "head@alpha.test", "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("dashboard")).status_code == 302, "not signed in before the second step"

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(staff.totp["head@alpha.test"])})

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.signed_in", actor=staff.head.user).exists()


def test_wrong_authenticator_code_is_refused(client, staff):
    client.post(reverse("account_login"), {"login": "head@alpha.test", "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_repeated_wrong_passwords_are_rate_limited(client, staff):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": PASSWORD})
    assert response.status_code != 302 or response.url == reverse("account_login")
    assert "too many" in response.content.decode().lower()


def test_password_reset_sends_an_email(client, staff):
    client.post(reverse("account_reset_password"), {"email": "teacher@alpha.test"})
    assert mail.outbox and mail.outbox[-1].to == ["teacher@alpha.test"]


def test_deactivated_member_cannot_sign_in(client, client_for, staff):
    client_for(staff.head).post(reverse("staff_deactivate", args=[staff.teacher.pk]))
    client.logout()
    client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": PASSWORD})
    assert client.get(reverse("dashboard")).status_code == 302


def test_an_expired_session_signs_the_person_out(client_for, staff):
    client = client_for(staff.teacher)
    assert client.get(reverse("dashboard")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("dashboard")).status_code == 302
