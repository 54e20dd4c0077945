import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Membership, Role, User
from audit.models import AuditEvent


def _invite(actor, email="new.teacher@alpha.test", roles=(Role.CLASS_TEACHER,), class_groups=()):
    return services.invitation_create(actor=actor, email=email, roles=roles, class_groups=class_groups)


def _link_from_last_email() -> str:
    return re.search(r"http\S+/invitations/\S+/", mail.outbox[-1].body).group(0)


def test_headteacher_invites_by_email_with_a_single_use_link(
    client, client_for, staff, year3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff.head).post(
            reverse("staff_list"),
            {"email": "New.Teacher@alpha.test", "roles": [Role.CLASS_TEACHER], "class_groups": [year3.pk]},
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.teacher@alpha.test"]
    assert "Alpha Primary" in mail.outbox[-1].subject
    invitation = Invitation.objects.get(email="new.teacher@alpha.test")
    assert invitation.roles == [Role.CLASS_TEACHER]
    token = _link_from_last_email().rstrip("/").rsplit("/", 1)[-1]
    assert invitation.token_hash != token, "only a hash of the token is stored"
    assert AuditEvent.objects.filter(action="staff.invited", school=staff.head.school).exists()


def test_invited_person_chooses_a_password_and_lands_on_their_dashboard(client, staff, year3):
    _invitation, token = _invite(staff.head, class_groups=[year3])
    url = reverse("invitation_accept", args=[token])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "first_name": "Nia",
            "last_name": "Jones",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )

    assert response.status_code == 302 and response.url == reverse("dashboard")
    user = User.objects.get(email="new.teacher@alpha.test")
    membership = Membership.objects.get(user=user)
    assert membership.roles == {Role.CLASS_TEACHER}
    assert list(membership.class_groups.all()) == [year3]
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action="staff.joined", actor=user).exists()


def test_a_used_invitation_is_refused_with_a_clear_message(client, staff):
    _invitation, token = _invite(staff.head)
    url = reverse("invitation_accept", args=[token])
    form = {"first_name": "A", "last_name": "B", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"}
    client.post(url, form)
    client.logout()

    response = client.post(url, form)

    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert User.objects.filter(email="new.teacher@alpha.test").count() == 1


def test_an_expired_invitation_is_refused_with_a_clear_message(client, staff):
    invitation, token = _invite(staff.head)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get(reverse("invitation_accept", args=[token]))

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_withdrawn_invitation_no_longer_works(client, client_for, staff):
    invitation, token = _invite(staff.head)
    client_for(staff.head).post(reverse("invitation_revoke", args=[invitation.pk]))
    client.logout()

    response = client.get(reverse("invitation_accept", args=[token]))

    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_a_made_up_link_is_refused(client, db):
    response = client.get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_weak_password_is_refused_and_the_form_keeps_the_name(client, staff):
    _invitation, token = _invite(staff.head)
    response = client.post(
        reverse("invitation_accept", args=[token]),
        {"first_name": "Nia", "last_name": "Jones", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 200
    assert 'value="Nia"' in response.content.decode()
    assert not User.objects.filter(email="new.teacher@alpha.test").exists()


def test_accepting_twice_creates_one_sign_in(staff):
    _invitation, token = _invite(staff.head)
    services.invitation_accept(token=token, first_name="A", last_name="B", password="a-long-pass-phrase")
    with pytest.raises(services.InvitationError, match="already been used"):
        services.invitation_accept(token=token, first_name="A", last_name="B", password="a-long-pass-phrase")
    assert User.objects.filter(email="new.teacher@alpha.test").count() == 1


def test_office_admin_invites_teachers_but_not_senior_leaders(staff):
    _invite(staff.office, roles=[Role.TEACHING_ASSISTANT])
    with pytest.raises(PermissionDenied):
        _invite(staff.office, email="boss@alpha.test", roles=[Role.SENIOR_LEADER])
    with pytest.raises(PermissionDenied):
        _invite(staff.office, email="boss@alpha.test", roles=[Role.HEADTEACHER])


def test_office_admin_form_does_not_offer_leadership_roles(client_for, staff):
    page = client_for(staff.office).get(reverse("staff_list")).content.decode()
    assert 'value="teaching_assistant"' in page
    assert 'value="senior_leader"' not in page and 'value="headteacher"' not in page


def test_class_teacher_cannot_invite(client_for, staff):
    response = client_for(staff.teacher).post(
        reverse("staff_list"), {"email": "x@alpha.test", "roles": ["class_teacher"]}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_inviting_someone_already_on_the_staff_is_refused(client_for, staff):
    response = client_for(staff.head).post(
        reverse("staff_list"), {"email": staff.teacher.user.email, "roles": [Role.CLASS_TEACHER]}
    )
    assert response.status_code == 200
    assert "already on the staff" in response.content.decode()


def test_class_from_another_school_cannot_be_given(staff, outsider):
    with pytest.raises(PermissionDenied):
        _invite(staff.head, class_groups=[outsider.class_group])


def test_existing_sign_in_from_another_school_joins_without_a_new_account(client, client_for, staff, outsider):
    _invitation, token = services.invitation_create(
        actor=outsider.head, email=staff.teacher.user.email, roles=[Role.CLASS_TEACHER]
    )
    client_for(staff.teacher).post(reverse("invitation_accept", args=[token]))
    assert Membership.objects.filter(user=staff.teacher.user).count() == 2
    assert User.objects.filter(email=staff.teacher.user.email).count() == 1


def test_signed_in_as_someone_else_cannot_take_an_invitation(client_for, staff):
    _invitation, token = _invite(staff.head)
    response = client_for(staff.teacher).post(reverse("invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "Sign out first" in response.content.decode()
