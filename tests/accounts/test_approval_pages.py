"""The headteacher's approval steps pages and the approvers' cover page (issue 18)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApprovalCover, ApprovalStep, Role
from accounts.services_approval import StepSpec, approval_chain_save
from audit.models import AuditEvent
from tests.factories import enable_totp, make_member


@pytest.fixture
def phase(school, staff):
    """The phase leader: a senior leader, with an authenticator app as every approver has."""
    member = make_member(school, "phase@alpha.test", [Role.SENIOR_LEADER])
    enable_totp(member.user)
    return member


def _steps_post(*forms, initial=0) -> dict:
    """The formset as the page sends it: each form's mode, people, roles, position and removal."""
    data = {
        "steps-TOTAL_FORMS": str(len(forms)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
    }
    for index, form in enumerate(forms):
        for key, value in form.items():
            data[f"steps-{index}-{key}"] = value
    return data


def test_the_settings_page_lists_each_account_and_its_steps(client_for, staff, accounts, phase):
    approval_chain_save(
        actor=staff.head,
        account=accounts.year3,
        steps=[StepSpec(people=[phase]), StepSpec(mode=ApprovalStep.Mode.ANY, roles=[Role.HEADTEACHER])],
    )
    page = client_for(staff.head).get(reverse("approval_settings")).content.decode()
    assert "Any one of: Phase" in page
    assert "every headteacher" in page
    assert "One step: any approver." in page  # the whole-school account, unchanged


def test_the_headteacher_adds_two_steps_in_the_order_numbered(client_for, staff, accounts, phase):
    response = client_for(staff.head).post(
        reverse("approval_chain_edit", args=[accounts.year3.pk]),
        _steps_post(
            {"mode": "any", "people": [str(staff.head.pk)], "ORDER": "2"},
            {"mode": "all", "people": [str(phase.pk), str(staff.slt.pk)], "ORDER": "1"},
        ),
    )
    assert response.status_code == 302
    steps = list(ApprovalStep.objects.filter(account=accounts.year3).order_by("position"))
    assert [(s.mode, sorted(m.pk for m in s.people.all())) for s in steps] == [
        ("all", sorted([phase.pk, staff.slt.pk])),
        ("any", [staff.head.pk]),
    ]
    assert AuditEvent.objects.filter(action="approval_chain.changed").count() == 1


def test_removing_every_step_goes_back_to_one_step(client_for, staff, accounts, phase):
    approval_chain_save(actor=staff.head, account=accounts.year3, steps=[StepSpec(people=[phase])])
    client = client_for(staff.head)
    page = client.get(reverse("approval_chain_edit", args=[accounts.year3.pk])).content.decode()
    assert "Step 1" in page and "Add a step" in page
    response = client.post(
        reverse("approval_chain_edit", args=[accounts.year3.pk]),
        _steps_post({"mode": "any", "people": [str(phase.pk)], "ORDER": "1", "DELETE": "on"}, initial=1),
    )
    assert response.status_code == 302
    assert not ApprovalStep.objects.filter(account=accounts.year3).exists()


def test_a_step_nobody_else_could_decide_is_refused_with_a_reason(client_for, staff, accounts):
    response = client_for(staff.head).post(
        reverse("approval_chain_edit", args=[accounts.whole_school.pk]),
        _steps_post({"mode": "any", "people": [str(staff.slt.pk)], "ORDER": "1"}),
    )
    assert response.status_code == 400
    assert "nobody would be left to decide their own posts" in response.content.decode()
    assert not ApprovalStep.objects.exists()


def test_a_step_with_nobody_in_it_is_refused(client_for, staff, accounts):
    response = client_for(staff.head).post(
        reverse("approval_chain_edit", args=[accounts.year3.pk]),
        _steps_post({"mode": "all", "ORDER": "1"}),
    )
    assert response.status_code == 400
    assert "Choose at least one person or role" in response.content.decode()


def test_waiting_times_are_saved_and_the_escalation_must_come_later(client_for, staff, school):
    client = client_for(staff.head)
    refused = client.post(reverse("approval_settings"), {"reminder_hours": "24", "escalation_hours": "12"})
    assert refused.status_code == 400
    assert "later than the reminder" in refused.content.decode()
    assert (
        client.post(reverse("approval_settings"), {"reminder_hours": "24", "escalation_hours": "72"}).status_code == 302
    )
    school.refresh_from_db()
    assert (school.approval_reminder_hours, school.approval_escalation_hours) == (24, 72)


def test_an_approver_arranges_their_own_cover_and_the_delegate_is_told(
    client_for, staff, phase, django_capture_on_commit_callbacks
):
    client = client_for(phase)
    page = client.get(reverse("approval_covers")).content.decode()
    assert "Arrange cover" in page
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("approval_cover_create"),
            {"absent": phase.pk, "delegate": staff.slt.pk, "starts_on": today, "ends_on": today + timedelta(days=2)},
        )
    assert response.status_code == 302
    cover = ApprovalCover.objects.get()
    assert (cover.absent, cover.delegate) == (phase, staff.slt)
    assert mail.outbox[-1].to == [staff.slt.user.email]
    page = client_for(staff.slt).get(reverse("approval_covers")).content.decode()
    assert "Today you decide for Phase" in page


def test_an_approver_cannot_arrange_cover_for_someone_else(client_for, staff, phase):
    today = timezone.localdate()
    response = client_for(phase).post(
        reverse("approval_cover_create"),
        {"absent": staff.slt.pk, "delegate": phase.pk, "starts_on": today, "ends_on": today},
    )
    assert response.status_code == 400  # the form offers them only themself
    assert not ApprovalCover.objects.exists()


def test_cover_in_the_past_is_refused_and_the_headteacher_ends_a_cover(client_for, staff, phase):
    client = client_for(staff.head)
    yesterday = timezone.localdate() - timedelta(days=1)
    refused = client.post(
        reverse("approval_cover_create"),
        {"absent": phase.pk, "delegate": staff.slt.pk, "starts_on": yesterday, "ends_on": yesterday},
    )
    assert refused.status_code == 400
    assert "already passed" in refused.content.decode()
    today = timezone.localdate()
    client.post(
        reverse("approval_cover_create"),
        {"absent": phase.pk, "delegate": staff.slt.pk, "starts_on": today, "ends_on": today},
    )
    cover = ApprovalCover.objects.get()
    assert client_for(staff.slt).post(reverse("approval_cover_revoke", args=[cover.pk])).status_code == 403
    assert client_for(staff.head).post(reverse("approval_cover_revoke", args=[cover.pk])).status_code == 302
    cover.refresh_from_db()
    assert cover.revoked_by == staff.head.user
