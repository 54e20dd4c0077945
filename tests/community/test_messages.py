"""Private messages (issue 18): the school's outgoing messages (purpose, checks, approval by
someone else, sending once) and the messages people send the accounts (screened in the inbox,
with the inbox's actions). Everything runs on the local network unless a test says otherwise."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from community import inbox, messages
from community.models import InboxKind, Incident, MentionItem, MentionStatus, MentionSync, OutgoingMessage
from community.tasks import fetch_mentions_of_account, send_outgoing_message
from consent.models import Pupil
from moderation.services import seed_default_rules
from networks import registry
from networks.base import NetworkError
from networks.local.adapter import LocalNetwork, simulate_mention, simulate_message, simulate_person
from networks.local.models import LocalNetworkDirectMessage, LocalNetworkRelation
from networks.x.adapter import XNetwork

VISIT = "Hello, could Year 3 visit the museum on Friday 12 March for the Romans workshop?"
ABUSE = "you are a shit school run by idiots"


@pytest.fixture
def rules(school):
    return seed_default_rules(school)


@pytest.fixture
def museum(db):
    return simulate_person("town_museum", display_name="Town Museum")


@pytest.fixture
def troll(db):
    return simulate_person("angry_neighbour_1987", display_name="Angry Neighbour")


def _draft(staff, accounts, *, text=VISIT, purpose="visit", author=None, account=None):
    return messages.message_save_draft(
        actor=author or staff.teacher,
        account=account or accounts.year3,
        recipient_handle="@town_museum",
        purpose=purpose,
        purpose_detail="Romans workshop",
        text=text,
    )


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def _submitted(staff, accounts, **kwargs):
    return messages.message_submit(actor=staff.teacher, message=_draft(staff, accounts, **kwargs))


# Writing and checking.


def test_a_message_needs_a_purpose(rules, staff, accounts):
    with pytest.raises(ValidationError) as refused:
        _draft(staff, accounts, purpose="")

    assert "visit, a visitor, or something educational" in str(refused.value)
    assert not OutgoingMessage.objects.exists()


def test_only_someone_who_writes_for_the_account_may_write_from_it(rules, staff, accounts):
    with pytest.raises(PermissionDenied):
        _draft(staff, accounts, author=staff.office)
    with pytest.raises(PermissionDenied):
        _draft(staff, accounts, author=staff.teacher, account=accounts.whole_school)


def test_the_rules_stop_an_offensive_message_at_submit(rules, staff, accounts):
    draft = _draft(staff, accounts, text="Our visit was shit, honestly")

    with pytest.raises(messages.MessageRefused) as refused:
        messages.message_submit(actor=staff.teacher, message=draft)

    draft.refresh_from_db()
    assert draft.status == OutgoingMessage.Status.DRAFT
    assert "cannot go for approval" in refused.value.message
    assert any(finding["severity"] == "block" for finding in draft.findings)


def test_a_pupils_full_name_stops_the_message(rules, staff, accounts, school, year3):
    Pupil.objects.create(school=school, class_group=year3, first_name="Amelia", surname="Hartley")
    draft = _draft(staff, accounts, text="Amelia Hartley would love to meet the visitor from the museum.")

    with pytest.raises(messages.MessageRefused):
        messages.message_submit(actor=staff.teacher, message=draft)

    draft.refresh_from_db()
    assert draft.status == OutgoingMessage.Status.DRAFT
    assert any(finding["source"] == "consent" for finding in draft.findings)


# Approval.


def test_the_author_cannot_approve_their_own_message(rules, staff, accounts):
    message = messages.message_submit(
        actor=staff.head, message=_draft(staff, accounts, author=staff.head, account=accounts.whole_school)
    )

    with pytest.raises(messages.MessageRefused) as refused:
        messages.message_approve(actor=staff.head, message=message)

    assert "Nobody approves their own message" in refused.value.message
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SUBMITTED


def test_someone_who_may_not_approve_is_refused(rules, staff, accounts):
    message = _submitted(staff, accounts)

    for member in (staff.ta, staff.office, staff.computing):
        with pytest.raises(PermissionDenied):
            messages.message_approve(actor=member, message=message)


def test_another_schools_headteacher_cannot_approve(rules, staff, accounts, outsider):
    message = _submitted(staff, accounts)

    with pytest.raises(PermissionDenied):
        messages.message_approve(actor=outsider.head, message=message)


def test_approved_message_is_sent_once_even_when_the_worker_runs_twice(
    rules, staff, accounts, museum, django_capture_on_commit_callbacks
):
    message = _submitted(staff, accounts)
    with django_capture_on_commit_callbacks(execute=True):
        messages.message_approve(actor=staff.head, message=message)
    # A redelivered task, and a second worker, find nothing left to send.
    assert send_outgoing_message.apply(args=[message.pk]).get() == "not_due"
    assert messages.message_send(message_id=message.pk).status == "not_due"

    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SENT and message.network_message_id
    [sent] = LocalNetworkDirectMessage.objects.filter(direction="from_account")
    assert sent.person == museum and sent.text == VISIT
    assert _actions()[-4:] == ["message.drafted", "message.submitted", "message.approved", "message.sent"]


def test_request_changes_and_reject_need_a_note(rules, staff, accounts):
    message = _submitted(staff, accounts)

    with pytest.raises(ValidationError):
        messages.message_reject(actor=staff.head, message=message, note="")
    changed = messages.message_request_changes(actor=staff.head, message=message, note="Say which day.")

    assert changed.status == OutgoingMessage.Status.CHANGES_REQUESTED
    edited = messages.message_save_draft(
        actor=staff.teacher,
        account=accounts.year3,
        recipient_handle="town_museum",
        purpose="visit",
        text=VISIT + " We could also come on Monday.",
        message=changed,
    )
    assert messages.message_submit(actor=staff.teacher, message=edited).status == OutgoingMessage.Status.SUBMITTED
    rejected = messages.message_reject(actor=staff.slt, message=edited, note="We have no coach that week.")
    assert rejected.status == OutgoingMessage.Status.REJECTED


# Sending: what the network says.


class TimeoutAfterSending(LocalNetwork):
    """Sends, then the answer is lost: the outcome is unknown, and the network takes no key."""

    capabilities = replace(LocalNetwork.capabilities, supports_idempotency_key=False)

    def send_direct_message(self, recipient_handle, text, *, idempotency_key=None):
        super().send_direct_message(recipient_handle, text)
        raise NetworkError("The network did not answer in time.", outcome_unknown=True)


class RecipientGone(LocalNetwork):
    def send_direct_message(self, recipient_handle, text, *, idempotency_key=None):
        raise NetworkError("There is nobody called @town_museum on the network.", permanent=True)


@pytest.fixture
def use_network(monkeypatch):
    def use(network_class):
        monkeypatch.setattr(registry, "network_class", lambda name: network_class)

    return use


def _approved(staff, accounts):
    message = _submitted(staff, accounts)
    OutgoingMessage.objects.filter(pk=message.pk).update(status="approved", reviewed_by=staff.head.user)
    return message


def test_a_timeout_after_sending_is_recorded_as_unknown_and_not_retried(rules, staff, accounts, museum, use_network):
    message = _approved(staff, accounts)
    use_network(TimeoutAfterSending)

    outcome = messages.message_send(message_id=message.pk)

    assert outcome.status == "unknown" and outcome.retry_after is None
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.UNKNOWN
    assert "look in @alpha_year3's messages" in message.error
    assert messages.message_send(message_id=message.pk).status == "not_due"
    assert LocalNetworkDirectMessage.objects.count() == 1
    assert "message.outcome_unknown" in _actions()


def test_a_permanent_refusal_fails_and_can_be_tried_again(
    rules, staff, accounts, museum, use_network, django_capture_on_commit_callbacks
):
    message = _approved(staff, accounts)
    use_network(RecipientGone)
    assert messages.message_send(message_id=message.pk).status == "failed"
    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.FAILED and "nobody called" in message.error

    use_network(LocalNetwork)
    with django_capture_on_commit_callbacks(execute=True):
        messages.message_retry(actor=staff.head, message=message)

    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SENT


def test_a_message_a_dead_worker_left_sending_becomes_may_have_been_sent(rules, staff, accounts, museum):
    message = _approved(staff, accounts)
    long_ago = timezone.now() - timedelta(hours=1)
    OutgoingMessage.objects.filter(pk=message.pk).update(status="sending", sending_started_at=long_ago)

    assert messages.sweep() == {"stuck": 1, "resent": 0}

    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.UNKNOWN and "may or may not have been sent" in message.error
    assert not LocalNetworkDirectMessage.objects.exists()


def test_an_approved_message_whose_task_was_lost_is_sent_by_the_sweep(rules, staff, accounts, museum):
    message = _approved(staff, accounts)
    OutgoingMessage.objects.filter(pk=message.pk).update(reviewed_at=timezone.now() - timedelta(hours=1))

    assert messages.sweep() == {"stuck": 0, "resent": 1}

    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SENT


def test_x_on_the_free_tier_refuses_at_submit_and_says_why(rules, staff, accounts, settings, use_network):
    settings.X_API_TIER = "free"
    use_network(XNetwork)
    draft = _draft(staff, accounts)

    with pytest.raises(messages.MessageRefused) as refused:
        messages.message_submit(actor=staff.teacher, message=draft)

    assert "paid API access" in refused.value.message and "x.com" in refused.value.message


# Incoming messages in the inbox.


def test_incoming_messages_are_fetched_screened_and_flagged(rules, accounts, troll, museum):
    simulate_message(troll, accounts.whole_school, ABUSE)
    simulate_message(museum, accounts.whole_school, "Thank you for the lovely visit yesterday")

    assert fetch_mentions_of_account(accounts.whole_school.pk) == 2
    assert fetch_mentions_of_account(accounts.whole_school.pk) == 0

    abusive, kind = MentionItem.objects.filter(kind=InboxKind.MESSAGE).order_by("pk")
    assert abusive.flagged and abusive.findings and abusive.author_handle == "angry_neighbour_1987"
    assert not kind.flagged
    sync = MentionSync.objects.get(account=accounts.whole_school)
    assert sync.messages_since_id and not sync.messages_last_error


def test_a_network_that_cannot_read_messages_leaves_its_reason(rules, accounts, use_network, settings):
    settings.X_API_TIER = "free"

    class XLikeLocal(LocalNetwork):
        capabilities = XNetwork.capabilities

    use_network(XLikeLocal)
    assert inbox.fetch_messages(accounts.whole_school) == 0

    sync = MentionSync.objects.get(account=accounts.whole_school)
    assert "paid API access" in sync.messages_last_error and sync.messages_unsupported


@pytest.fixture
def abusive_message(rules, accounts, troll):
    simulate_message(troll, accounts.whole_school, ABUSE)
    inbox.fetch_messages(accounts.whole_school)
    return MentionItem.objects.get(kind=InboxKind.MESSAGE)


def test_a_message_cannot_have_its_reply_hidden(abusive_message):
    assert not inbox.hide_reply_check(abusive_message).allowed
    assert not inbox.limit_replies_check(abusive_message).allowed


def test_blocking_a_messages_sender_stops_their_messages(abusive_message, staff, troll, accounts):
    item, _outcome = inbox.mention_block_author(actor=staff.office, mention=abusive_message, reason="Abusive")

    assert item.status == MentionStatus.AUTHOR_BLOCKED
    assert LocalNetworkRelation.objects.filter(user=troll, kind="block").exists()
    with pytest.raises(NetworkError):
        simulate_message(troll, accounts.whole_school, "again")


def test_a_message_escalated_to_an_incident_keeps_its_evidence(abusive_message, staff):
    incident = inbox.mention_escalate(
        actor=staff.head, mention=abusive_message, title="Abusive message", severity="high"
    )

    assert Incident.objects.get() == incident
    assert incident.evidence[0]["kind"] == "message" and incident.evidence[0]["text"] == ABUSE


def test_the_inbox_marks_messages_and_filters_them(abusive_message, client_for, staff, accounts, museum):
    simulate_mention(museum, accounts.whole_school, "@alpha_school see you at the museum on Friday")
    inbox.fetch_mentions(accounts.whole_school)
    client = client_for(staff.office)

    only_messages = client.get(reverse("inbox_list"), {"kind": "message", "status": ""}).content.decode()
    everything = client.get(reverse("inbox_list"), {"status": ""}).content.decode()

    assert '<span class="badge">Private message</span>' in only_messages
    assert "@angry_neighbour_1987" in only_messages and "see you at the museum" not in only_messages
    assert "see you at the museum" in everything and "@angry_neighbour_1987" in everything


# Pages.


def test_teacher_writes_and_sends_for_approval_from_the_page(rules, staff, accounts, client_for):
    response = client_for(staff.teacher).post(
        reverse("message_compose"),
        {
            "account": accounts.year3.pk,
            "recipient_handle": "@town_museum",
            "purpose": "visit",
            "purpose_detail": "Romans workshop",
            "text": VISIT,
            "submit": "1",
        },
        follow=True,
    )

    message = OutgoingMessage.objects.get()
    assert message.status == OutgoingMessage.Status.SUBMITTED
    assert "Sent for approval" in response.content.decode()


def test_the_compose_page_refuses_a_message_without_a_purpose(rules, staff, accounts, client_for):
    response = client_for(staff.teacher).post(
        reverse("message_compose"),
        {"account": accounts.year3.pk, "recipient_handle": "town_museum", "text": VISIT, "submit": "1"},
    )

    assert response.status_code == 400
    assert "Choose what the message is for" in response.content.decode()
    assert not OutgoingMessage.objects.exists()


def test_headteacher_approves_from_the_message_page(
    rules, staff, accounts, museum, client_for, django_capture_on_commit_callbacks
):
    message = _submitted(staff, accounts)
    client = client_for(staff.head)
    assert "Approve and send" in client.get(reverse("message_detail", args=[message.pk])).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("message_review", args=[message.pk]), {"decision": "approve"})

    message.refresh_from_db()
    assert message.status == OutgoingMessage.Status.SENT


def test_the_list_shows_messages_and_says_where_a_network_cannot(
    rules, staff, accounts, client_for, django_assert_max_num_queries
):
    _draft(staff, accounts)
    _draft(staff, accounts)
    client = client_for(staff.head)
    with django_assert_max_num_queries(40):
        page = client.get(reverse("message_list")).content.decode()

    assert page.count("to @town_museum") == 2
    assert "nobody outside the school reads them" in page
