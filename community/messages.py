"""Private messages the school sends (issue 18): written, checked, approved, then sent by a worker.

The policy allows private messages only to organise visits, visitors and anything educational, so
every message says which, and goes through the same checks as a post: the school's rules (the
rules engine) and the consent check on pupils' names, at submit and again at approval. Someone who
may approve for the account approves it, never its author. A Celery task sends it: claim (a
conditional UPDATE), call the network outside any transaction, record the outcome. A timeout after
the request left is recorded as "may have been sent" and is not tried again by itself unless the
network takes an idempotency key, so a message is never sent twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_approve_for, may_draft_for
from audit.services import record
from consent.checks import PostContent, Stage, check_post_consent
from moderation.engine import check_text
from moderation.rules import RuleType
from networks import registry
from networks.base import Capabilities, NetworkError
from networks.registry import get_network

from .models import MessagePurpose, OutgoingMessage, OutgoingMessageStatus

logger = logging.getLogger(__name__)

Status = OutgoingMessageStatus

# Rules about how a public post is shaped (its length on the network, its hashtags) say nothing
# about a private message; every other rule (offensive language, pupils' names, tone, spelling,
# links and mentions) applies as it does to a post.
_POST_ONLY_RULES = frozenset({RuleType.LENGTH, RuleType.HASHTAGS})
# A private message is one person's reading; the longest any network takes is X's 10,000.
MESSAGE_MAX_LENGTH = 2000
# How many times a passing network problem is tried again before the message is marked not sent.
MAX_ATTEMPTS = 5


class MessageRefused(Exception):
    """The step cannot be taken (wrong state, a check blocks, the network cannot); `message` says why."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


# What the account's network allows.


def network_caps(account: SocialAccount) -> Capabilities | None:
    try:
        return registry.network_class(account.network).capabilities_for(account)
    except NetworkError:
        return None


def sending_refusal(account: SocialAccount) -> str:
    """Why the portal cannot send private messages from this account, in a sentence staff can
    act on, or "" when it can."""
    caps = network_caps(account)
    if caps is None:
        return f"The portal cannot reach @{account.handle}'s network from here. Send the message on the network itself."
    if not caps.supports_direct_messages:
        return caps.direct_messages_note or (
            f"The portal cannot send private messages on this network. Send it from @{account.handle} on the "
            "network itself, and keep a note of it."
        )
    return ""


def sending_note(account: SocialAccount) -> str:
    """What staff should know about the network's messages where it can send them (who else
    can read them), or ""."""
    caps = network_caps(account)
    return caps.direct_messages_note if caps is not None and caps.supports_direct_messages else ""


# The checks.


def message_findings(*, account: SocialAccount, text: str, stage: Stage) -> list[dict]:
    """What the school's rules and the consent check find in a message: each {source, severity,
    message, start, end}. Anything with severity "block" stops it."""
    findings = [
        {
            "source": "rules",
            "rule": finding.rule,
            "severity": finding.severity,
            "message": finding.message,
            "start": finding.start,
            "end": finding.end,
        }
        for finding in check_text(text, account=account)
        if finding.rule not in _POST_ONLY_RULES
    ]
    consent = check_post_consent(PostContent(account=account, text=text), stage=stage)
    findings += [
        {
            "source": "consent",
            "rule": problem.code,
            "severity": problem.severity,
            "message": problem.message,
            "start": problem.start,
            "end": problem.end,
        }
        for problem in consent.problems
    ]
    return findings


def _blocking(findings: list[dict]) -> list[dict]:
    return [finding for finding in findings if finding["severity"] == "block"]


def _refuse_if_blocked(findings: list[dict], what: str) -> None:
    blocks = _blocking(findings)
    if blocks:
        raise MessageRefused(f"{what}: " + " ".join(finding["message"] for finding in blocks), blocks)


# Writing.


def _clean_fields(*, recipient_handle: str, purpose: str, purpose_detail: str, text: str) -> dict:
    errors = {}
    handle = recipient_handle.strip().removeprefix("@").strip()
    if not handle:
        errors["recipient_handle"] = "Say who the message is for: their handle on the network."
    elif " " in handle:
        errors["recipient_handle"] = "A handle has no spaces: write it as the network shows it, e.g. @town_museum."
    if purpose not in MessagePurpose.values:
        errors["purpose"] = (
            "Choose what the message is for: organising a visit, a visitor, or something educational. "
            "The school's policy allows private messages for nothing else."
        )
    text = text.strip()
    if not text:
        errors["text"] = "Write the message."
    elif len(text) > MESSAGE_MAX_LENGTH:
        errors["text"] = f"The message is {len(text)} characters; keep it under {MESSAGE_MAX_LENGTH}."
    if errors:
        raise ValidationError(errors)
    return {"recipient_handle": handle, "purpose": purpose, "purpose_detail": purpose_detail.strip(), "text": text}


def message_save_draft(
    *,
    actor: Membership,
    account: SocialAccount,
    recipient_handle: str,
    purpose: str,
    text: str,
    purpose_detail: str = "",
    message: OutgoingMessage | None = None,
    request=None,
) -> OutgoingMessage:
    """Write a new message, or change a draft (or one sent back for changes) by its author."""
    if not may_draft_for(actor, account):
        raise PermissionDenied(f"You may not write for @{account.handle}.")
    fields = _clean_fields(recipient_handle=recipient_handle, purpose=purpose, purpose_detail=purpose_detail, text=text)
    with transaction.atomic():
        if message is None:
            message = OutgoingMessage(account=account, author=actor.user, **fields)
            message.full_clean()
            message.save()
            _record_writing(actor, message, action="message.drafted", request=request)
        else:
            message = OutgoingMessage.objects.select_for_update().get(pk=message.pk)
            _check_author(actor, message)
            if not message.is_editable:
                raise MessageRefused("Only a draft, or a message sent back for changes, can be changed.")
            message.account = account
            for name, value in fields.items():
                setattr(message, name, value)
            message.full_clean()
            message.save(update_fields=["account", *fields])
            _record_writing(actor, message, action="message.edited", request=request)
    return message


def _record_writing(actor: Membership, message: OutgoingMessage, *, action: str, request) -> None:
    record(
        action=action,
        actor=actor.user,
        school=actor.school,
        target=message,
        data={"account": message.account.handle, "to": message.recipient_handle, "purpose": message.purpose},
        request=request,
    )


def _check_author(actor: Membership, message: OutgoingMessage) -> None:
    if message.author_id != actor.user_id or not may_draft_for(actor, message.account):
        raise PermissionDenied("Only the message's author may change it or send it for approval.")


def _move(
    message: OutgoingMessage,
    *,
    actor: Membership | None,
    school,
    sources: set[str],
    to: str,
    action: str,
    fields: dict | None = None,
    data: dict | None = None,
    request=None,
) -> OutgoingMessage:
    """One transition: the row is locked, its state checked, changed and audited together."""
    with transaction.atomic():
        current = OutgoingMessage.objects.select_for_update().get(pk=message.pk)
        if current.status not in sources:
            raise MessageRefused(f"This message is {current.get_status_display().lower()}, so that cannot be done now.")
        previous = current.status
        current.status = to
        for name, value in (fields or {}).items():
            setattr(current, name, value)
        current.save(update_fields=["status", *(fields or {})])
        record(
            action=action,
            actor=actor.user if actor is not None else None,
            school=school,
            target=current,
            data={"account": current.account.handle, "to": current.recipient_handle, "from": previous, **(data or {})},
            request=request,
        )
    return current


def message_submit(*, actor: Membership, message: OutgoingMessage, request=None) -> OutgoingMessage:
    """Send a draft for approval, after the rules and the consent check pass it."""
    _check_author(actor, message)
    refused = sending_refusal(message.account)
    if refused:
        raise MessageRefused(refused)
    findings = message_findings(account=message.account, text=message.text, stage=Stage.SUBMIT)
    if _blocking(findings):
        OutgoingMessage.objects.filter(pk=message.pk).update(findings=findings)
        _refuse_if_blocked(findings, "The message cannot go for approval")
    return _move(
        message,
        actor=actor,
        school=actor.school,
        sources={Status.DRAFT, Status.CHANGES_REQUESTED},
        to=Status.SUBMITTED,
        action="message.submitted",
        fields={"findings": findings, "submitted_at": timezone.now()},
        request=request,
    )


# Reviewing.


def _check_approver(actor: Membership, message: OutgoingMessage) -> None:
    if not may_approve_for(actor, message.account):
        raise PermissionDenied(f"You may not approve messages from @{message.account.handle}.")
    if message.author_id == actor.user_id:
        raise MessageRefused("Nobody approves their own message: someone else who approves for this account must.")


def message_approve(*, actor: Membership, message: OutgoingMessage, note: str = "", request=None) -> OutgoingMessage:
    """Approve a message waiting for approval (the checks run again: the register or the rules
    may have changed since it was written) and hand it to a worker to send."""
    _check_approver(actor, message)
    refused = sending_refusal(message.account)
    if refused:
        raise MessageRefused(refused)
    findings = message_findings(account=message.account, text=message.text, stage=Stage.APPROVE)
    _refuse_if_blocked(findings, "The message cannot be approved")
    approved = _move(
        message,
        actor=actor,
        school=actor.school,
        sources={Status.SUBMITTED},
        to=Status.APPROVED,
        action="message.approved",
        fields={
            "findings": findings,
            "reviewed_by": actor.user,
            "reviewed_at": timezone.now(),
            "review_note": note.strip(),
            "error": "",
        },
        request=request,
    )
    enqueue_after_commit(approved.pk)
    return approved


def message_request_changes(*, actor: Membership, message: OutgoingMessage, note: str, request=None):
    _check_approver(actor, message)
    if not note.strip():
        raise ValidationError({"note": "Say what should change, so the author knows."})
    return _move(
        message,
        actor=actor,
        school=actor.school,
        sources={Status.SUBMITTED},
        to=Status.CHANGES_REQUESTED,
        action="message.changes_requested",
        fields={"reviewed_by": actor.user, "reviewed_at": timezone.now(), "review_note": note.strip()},
        data={"note": note.strip()},
        request=request,
    )


def message_reject(*, actor: Membership, message: OutgoingMessage, note: str, request=None) -> OutgoingMessage:
    _check_approver(actor, message)
    if not note.strip():
        raise ValidationError({"note": "Say why the message is rejected: the reason is kept with it."})
    return _move(
        message,
        actor=actor,
        school=actor.school,
        sources={Status.SUBMITTED},
        to=Status.REJECTED,
        action="message.rejected",
        fields={"reviewed_by": actor.user, "reviewed_at": timezone.now(), "review_note": note.strip()},
        data={"note": note.strip()},
        request=request,
    )


def message_retry(*, actor: Membership, message: OutgoingMessage, request=None) -> OutgoingMessage:
    """Try a message that was not sent (or may not have been) again. For "may have been sent",
    the person has checked on the network that it did not arrive: the page asks them to."""
    if not may_approve_for(actor, message.account):
        raise PermissionDenied(f"You may not send messages from @{message.account.handle}.")
    retried = _move(
        message,
        actor=actor,
        school=actor.school,
        sources={Status.FAILED, Status.UNKNOWN},
        to=Status.APPROVED,
        action="message.retried",
        fields={"error": "", "attempts": 0},
        request=request,
    )
    enqueue_after_commit(retried.pk)
    return retried


def enqueue_after_commit(message_id: int) -> None:
    from . import tasks

    transaction.on_commit(lambda: tasks.send_outgoing_message.delay(message_id))


# Sending (the worker).


@dataclass(frozen=True)
class SendOutcome:
    status: str
    retry_after: float | None = None


def message_send(*, message_id: int) -> SendOutcome:
    """Claim, call, record. Only an approved message is claimed (status becomes "sending" in one
    conditional UPDATE), so a repeated task, or two workers at once, send it once."""
    now = timezone.now()
    with transaction.atomic():
        claimed = OutgoingMessage.objects.filter(pk=message_id, status=Status.APPROVED).update(
            status=Status.SENDING, sending_started_at=now
        )
    if claimed != 1:
        return SendOutcome("not_due")
    message = OutgoingMessage.objects.select_related("account__school").get(pk=message_id)
    account = message.account
    # Consent may have been withdrawn since approval: the consent check runs once more.
    findings = message_findings(account=account, text=message.text, stage=Stage.PUBLISH)
    blocks = _blocking(findings)
    refused = sending_refusal(account)
    if blocks or refused:
        reason = refused or "The checks now refuse it: " + " ".join(finding["message"] for finding in blocks)
        _record_failed(message, reason, findings=findings)
        return SendOutcome(Status.FAILED)
    caps = network_caps(account)
    try:
        sent = get_network(account).send_direct_message(
            message.recipient_handle, message.text, idempotency_key=str(message.idempotency_key)
        )
    except NetworkError as error:
        return _after_error(message, error, keyed=bool(caps and caps.supports_idempotency_key))
    with transaction.atomic():
        OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.SENT,
            sent_at=timezone.now(),
            network_message_id=sent.id or "unknown",
            error="",
            attempts=message.attempts + 1,
        )
        record(
            action="message.sent",
            school=account.school,
            target=message,
            data={"account": account.handle, "to": message.recipient_handle, "network_id": sent.id},
        )
    return SendOutcome(Status.SENT)


def _after_error(message: OutgoingMessage, error: NetworkError, *, keyed: bool) -> SendOutcome:
    attempts = message.attempts + 1
    if error.permanent:
        _record_failed(message, error.message, attempts=attempts)
        return SendOutcome(Status.FAILED)
    if error.outcome_unknown and not keyed:
        # The request may have reached the network: sending again could send it twice.
        _record(
            message,
            Status.UNKNOWN,
            "message.outcome_unknown",
            error=f"{error.message} The message may have been sent: look in @{message.account.handle}'s "
            "messages on the network before trying again.",
            attempts=attempts,
        )
        return SendOutcome(Status.UNKNOWN)
    if attempts >= MAX_ATTEMPTS:
        _record_failed(message, error.message, attempts=attempts)
        return SendOutcome(Status.FAILED)
    # Nothing reached the network (or its idempotency key makes a repeat safe): try again later.
    OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.APPROVED, error=error.message, attempts=attempts
    )
    return SendOutcome(Status.APPROVED, retry_after=error.retry_after or 60 * 2 ** (attempts - 1))


# A worker that died after claiming leaves a message "sending"; one whose task was lost leaves it
# "approved". The beat sweep finds both: the first may have reached the network, so it becomes
# "may have been sent" for a person to check; the second is handed to a worker again.
STUCK_AFTER = timedelta(minutes=15)
LOST_AFTER = timedelta(minutes=10)


def sweep(now=None) -> dict[str, int]:
    now = now or timezone.now()
    stuck = list(
        OutgoingMessage.objects.filter(status=Status.SENDING, sending_started_at__lt=now - STUCK_AFTER).select_related(
            "account__school"
        )
    )
    for message in stuck:
        _record(
            message,
            Status.UNKNOWN,
            "message.outcome_unknown",
            error="The portal stopped while sending this message, so it may or may not have been sent. Look in "
            f"@{message.account.handle}'s messages on the network before trying again.",
            attempts=message.attempts + 1,
        )
    lost = list(
        OutgoingMessage.objects.filter(status=Status.APPROVED, reviewed_at__lt=now - LOST_AFTER)
        .exclude(sending_started_at__gte=now - LOST_AFTER)
        .values_list("pk", flat=True)
    )
    from . import tasks

    for message_id in lost:
        tasks.send_outgoing_message.delay(message_id)
    return {"stuck": len(stuck), "resent": len(lost)}


def _record_failed(message: OutgoingMessage, reason: str, *, attempts: int | None = None, findings=None) -> None:
    extra = {"findings": findings} if findings is not None else {}
    _record(message, Status.FAILED, "message.failed", error=reason, attempts=attempts or message.attempts, **extra)


def _record(message: OutgoingMessage, status: str, action: str, *, error: str, attempts: int, **fields) -> None:
    with transaction.atomic():
        OutgoingMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=status, error=error, attempts=attempts, **fields
        )
        record(
            action=action,
            school=message.account.school,
            target=message,
            data={"account": message.account.handle, "to": message.recipient_handle, "error": error},
        )
