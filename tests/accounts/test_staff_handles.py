"""The "My own accounts" page and the headteacher's read-only list (issue 18)."""

from django.urls import reverse

from accounts.models import Network, StaffHandle
from accounts.services_staff_handles import staff_handle_add


def test_a_teacher_records_her_handle_and_sees_it(client_for, staff):
    client = client_for(staff.teacher)

    response = client.post(reverse("staff_handles"), {"network": "x", "handle": "@MsGreen_Teach"}, follow=True)

    assert "Recorded: @msgreen_teach on X (Twitter)." in response.content.decode()
    assert StaffHandle.objects.get().membership == staff.teacher


def test_a_handle_in_the_wrong_shape_is_refused_with_the_networks_example(client_for, staff):
    response = client_for(staff.teacher).post(reverse("staff_handles"), {"network": "mastodon", "handle": "msgreen"})

    assert response.status_code == 400
    assert "A Mastodon handle names the server too" in response.content.decode()
    assert not StaffHandle.objects.exists()


def test_nobody_else_sees_a_persons_handles_on_their_page(client_for, staff):
    staff_handle_add(actor=staff.teacher, network=Network.LOCAL, handle="ms_green")

    assert "@ms_green" in client_for(staff.teacher).get(reverse("staff_handles")).content.decode()
    assert "@ms_green" not in client_for(staff.ta).get(reverse("staff_handles")).content.decode()


def test_a_person_cannot_remove_a_colleagues_handle(client_for, staff):
    theirs = staff_handle_add(actor=staff.teacher, network=Network.LOCAL, handle="ms_green")

    response = client_for(staff.ta).post(reverse("staff_handle_delete"), {"handle": theirs.pk}, follow=True)

    assert "not among yours" in response.content.decode()
    assert StaffHandle.objects.filter(pk=theirs.pk).exists()


def test_the_person_removes_their_own_handle(client_for, staff):
    mine = staff_handle_add(actor=staff.teacher, network=Network.LOCAL, handle="ms_green")

    client_for(staff.teacher).post(reverse("staff_handle_delete"), {"handle": mine.pk})

    assert not StaffHandle.objects.exists()


def test_the_headteacher_sees_the_schools_handles_but_not_another_schools(client_for, staff, outsider):
    staff_handle_add(actor=staff.teacher, network=Network.LOCAL, handle="ms_green")
    staff_handle_add(actor=outsider.teacher, network=Network.LOCAL, handle="beta_teacher")

    page = client_for(staff.head).get(reverse("staff_handles_school")).content.decode()

    assert "@ms_green" in page and "@beta_teacher" not in page
    assert "Remove" not in page


def test_check_my_accounts_now_reports_each_account(client_for, staff, accounts):
    staff_handle_add(actor=staff.teacher, network=Network.X, handle="ms_green")

    response = client_for(staff.teacher).post(reverse("staff_handles_check"), follow=True)

    assert "no working account on X" in response.content.decode()
