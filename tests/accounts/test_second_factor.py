import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse

from accounts.models import Role

from ..factories import PASSWORD, make_member, totp_code

APPROVER_PAGES = ["dashboard", "staff_list", "social_account_list", "audit_log"]


@pytest.fixture
def head_without_totp(school):
    return make_member(school, "newhead@alpha.test", [Role.HEADTEACHER])


@pytest.mark.parametrize("page", APPROVER_PAGES)
def test_approver_without_authenticator_is_sent_to_set_one_up(client_for, head_without_totp, page):
    response = client_for(head_without_totp).get(reverse(page))
    assert response.status_code == 302
    assert response.url == reverse("second_factor_required")


@pytest.mark.parametrize("role", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.OFFICE_ADMIN])
def test_every_approving_or_managing_role_needs_a_second_factor(client_for, school, role):
    member = make_member(school, f"{role}@alpha.test", [role])
    assert client_for(member).get(reverse("dashboard")).url == reverse("second_factor_required")


@pytest.mark.parametrize("role", [Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT, Role.COMPUTING_LEAD])
def test_roles_that_cannot_approve_do_not_need_one(client_for, school, role):
    member = make_member(school, f"{role}@alpha.test", [role])
    assert client_for(member).get(reverse("dashboard")).status_code == 200


def test_new_approver_sets_up_an_authenticator_then_reaches_the_portal(client, head_without_totp):
    client.post(reverse("account_login"), {"login": "newhead@alpha.test", "password": PASSWORD})
    assert client.get(reverse("staff_list")).url == reverse("second_factor_required")
    # allauth asks for the password once more before a second factor can be added.
    assert client.get(reverse("mfa_activate_totp")).url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    setup_page = client.get(reverse("mfa_activate_totp"))
    assert setup_page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert Authenticator.objects.filter(user=head_without_totp.user, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("staff_list")).status_code == 200


def test_promotion_to_approver_makes_the_second_factor_required_at_once(client_for, staff):
    client = client_for(staff.teacher)
    assert client.get(reverse("dashboard")).status_code == 200
    staff.teacher.role_assignments.create(role=Role.SENIOR_LEADER)
    assert client.get(reverse("dashboard")).url == reverse("second_factor_required")


def test_approver_cannot_switch_the_second_factor_off(client_for, staff):
    client = client_for(staff.head)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=staff.head.user, type=Authenticator.Type.TOTP).exists()


def test_totp_secret_is_encrypted_at_rest(staff):
    authenticator = Authenticator.objects.get(user=staff.head.user, type=Authenticator.Type.TOTP)
    assert authenticator.data["secret"] != staff.totp["head@alpha.test"]
    assert staff.totp["head@alpha.test"] not in str(authenticator.data)
