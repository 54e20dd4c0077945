import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Membership, Role
from audit.models import AuditEvent

from ..factories import make_member


def test_headteacher_changes_roles_and_classes_with_an_audit_entry(client_for, staff, year3):
    response = client_for(staff.head).post(
        reverse("staff_edit", args=[staff.computing.pk]),
        {"roles": [Role.COMPUTING_LEAD, Role.CLASS_TEACHER], "class_groups": [year3.pk]},
    )
    assert response.status_code == 302
    member = Membership.objects.get(pk=staff.computing.pk)
    assert member.roles == {Role.COMPUTING_LEAD, Role.CLASS_TEACHER}
    assert list(member.class_groups.all()) == [year3]
    event = AuditEvent.objects.get(action="staff.roles_changed")
    assert event.actor == staff.head.user
    assert event.data["before"] == [Role.COMPUTING_LEAD] and event.data["after"] == sorted(member.roles)


def test_staff_page_lists_roles_and_classes(client_for, staff):
    page = client_for(staff.head).get(reverse("staff_list")).content.decode()
    assert "teacher@alpha.test" in page and "Class teacher" in page and "Year 3" in page


def test_the_last_headteacher_cannot_be_removed(staff):
    with pytest.raises(services.StaffChangeError, match="at least one active headteacher"):
        services.membership_set_roles(
            actor=staff.head, membership=staff.head, roles=[Role.SENIOR_LEADER], class_groups=[]
        )
    assert Role.HEADTEACHER in Membership.objects.get(pk=staff.head.pk).roles


def test_no_roles_is_refused_with_a_message(client_for, staff):
    response = client_for(staff.head).post(reverse("staff_edit", args=[staff.teacher.pk]), {"roles": []})
    assert response.status_code == 200
    assert "Choose at least one role." in response.content.decode()


def test_deactivation_keeps_history_and_stops_sign_in(client_for, staff):
    client_for(staff.head).post(reverse("staff_deactivate", args=[staff.teacher.pk]))
    member = Membership.objects.get(pk=staff.teacher.pk)
    assert not member.is_active and member.deactivated_at is not None
    assert not member.user.is_active
    assert AuditEvent.objects.filter(action="staff.deactivated", target_id=str(member.pk)).exists()


def test_reactivation_restores_sign_in(client_for, staff):
    client = client_for(staff.head)
    client.post(reverse("staff_deactivate", args=[staff.teacher.pk]))
    client.post(reverse("staff_reactivate", args=[staff.teacher.pk]))
    member = Membership.objects.get(pk=staff.teacher.pk)
    assert member.is_active and member.user.is_active


def test_headteacher_cannot_deactivate_themselves(client_for, staff):
    client_for(staff.head).post(reverse("staff_deactivate", args=[staff.head.pk]))
    assert Membership.objects.get(pk=staff.head.pk).is_active


def test_deactivated_member_of_one_school_keeps_their_other_school(staff, outsider):
    _invitation, token = services.invitation_create(
        actor=outsider.head, email=staff.teacher.user.email, roles=[Role.CLASS_TEACHER]
    )
    services.invitation_accept(token=token, existing_user=staff.teacher.user)
    services.membership_deactivate(actor=staff.head, membership=staff.teacher)
    staff.teacher.user.refresh_from_db()
    assert staff.teacher.user.is_active


def test_staff_page_query_count_does_not_grow_with_the_staff(client_for, staff, school):
    client = client_for(staff.head)
    client.get(reverse("staff_list"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("staff_list"))
    for i in range(20):
        make_member(school, f"extra{i}@alpha.test", [Role.CLASS_TEACHER])
    with CaptureQueriesContext(connection) as after:
        assert client.get(reverse("staff_list")).status_code == 200
    assert len(after) == len(before)
