"""Approvers choose how they hear about posts waiting for them."""

import re

from django.core import mail
from django.urls import reverse

from accounts.models import ApprovalEmails, Membership
from audit.models import AuditEvent
from posts import services


def _preference(membership) -> str:
    return Membership.objects.get(pk=membership.pk).approval_emails


def test_each_post_at_once_is_the_default_and_is_shown_chosen(client_for, staff):
    page = client_for(staff.slt).get(reverse("email_preferences")).content.decode()
    assert _preference(staff.slt) == ApprovalEmails.IMMEDIATE
    checked = re.search(r'<input[^>]*value="(\w+)"[^>]*checked', page)
    assert checked and checked.group(1) == "immediate"
    assert "One email each morning" in page and "No emails" in page


def test_an_approver_switches_to_the_morning_digest(client_for, staff):
    response = client_for(staff.slt).post(reverse("email_preferences"), {"approval_emails": "digest"}, follow=True)
    assert _preference(staff.slt) == ApprovalEmails.DIGEST
    assert "one email each morning at 07:30" in response.content.decode()
    event = AuditEvent.objects.get(action="membership.approval_emails_changed")
    assert event.actor == staff.slt.user and event.data == {"before": "immediate", "after": "digest"}


def test_the_choice_is_per_school_and_changes_nothing_for_others(client_for, staff):
    client_for(staff.slt).post(reverse("email_preferences"), {"approval_emails": "off"})
    assert _preference(staff.slt) == ApprovalEmails.OFF and _preference(staff.head) == ApprovalEmails.IMMEDIATE


def test_an_unknown_choice_is_refused_with_a_message(client_for, staff):
    response = client_for(staff.head).post(reverse("email_preferences"), {"approval_emails": "hourly"})
    assert response.status_code == 400 and "Choose one of the options." in response.content.decode()
    assert _preference(staff.head) == ApprovalEmails.IMMEDIATE


def test_the_menu_offers_the_page_to_approvers_only(client_for, staff):
    url = reverse("email_preferences")
    assert url in client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert url not in client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert client_for(staff.teacher).get(url).status_code == 403


def test_saving_the_choice_takes_effect_for_the_next_post(
    client_for, staff, accounts, django_capture_on_commit_callbacks
):
    client_for(staff.slt).post(reverse("email_preferences"), {"approval_emails": "digest"})
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Class assembly today")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(actor=staff.teacher, post=post)
    assert [m.to for m in mail.outbox] == [[staff.head.user.email]]
