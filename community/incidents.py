"""Concerns and incidents: any member of staff raises a concern, the headteacher hears at once,
and an incident records what was done about it, in order, for good.

Nothing here deletes or rewrites: an incident's timeline (IncidentEntry) only grows, closing
needs a summary, and a closed incident can be reopened with a reason. Every change writes the
audit trail and a timeline entry in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from accounts.permissions import Perm, has_perm, may_approve_for, may_draft_for
from audit.services import record
from posts.models import Post, PostStatus

from .models import Concern, EntryKind, Incident, IncidentEntry, IncidentSeverity, IncidentStatus, MentionItem

_PREVIEW_CHARS = 280


class IncidentError(Exception):
    """The change cannot be made in the incident's (or concern's) current state; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Emails to the headteacher, sent after the transaction commits (as posts.notifications does).


def _headteacher_emails(school_id: int, *, except_user_id: int | None = None) -> list[str]:
    heads = Membership.objects.filter(
        school_id=school_id, is_active=True, role_assignments__role=Role.HEADTEACHER
    ).exclude(user_id=except_user_id)
    return sorted(set(heads.values_list("user__email", flat=True)))


def _tell_headteachers(school_id: int, subject: str, body: str, *, except_user_id: int | None = None) -> None:
    def send():
        recipients = _headteacher_emails(school_id, except_user_id=except_user_id)
        if recipients:
            send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)

    transaction.on_commit(send)


def _preview(text: str) -> str:
    return text if len(text) <= _PREVIEW_CHARS else text[:_PREVIEW_CHARS] + "…"


def concern_subject(concern: Concern) -> str:
    """What the concern is about, in a sentence for emails and pages."""
    if concern.mention_id:
        mention = concern.mention
        return f"A post by @{mention.author_handle} mentioning @{mention.account.handle}:\n“{_preview(mention.text)}”"
    if concern.post_id:
        post = concern.post
        return f"Our post for @{post.account.handle} ({post.get_status_display().lower()}):\n“{_preview(post.text)}”"
    return f"A post at {concern.url}"


# Concerns.


def _match_url(school, url: str) -> tuple[MentionItem | None, object | None]:
    """The mention or our own post that lives at `url`, when the portal knows it."""
    mention = MentionItem.objects.filter(account__school=school, url=url).select_related("account").first()
    if mention is not None:
        return mention, None
    return None, Post.objects.filter(account__school=school, external_url=url).select_related("account").first()


def may_raise_concern_about_post(actor: Membership, post) -> bool:
    """A published (or taken-down) post is public anyway; a draft only for those who may see it
    (its author, its account's drafters and the approvers), so the form cannot be used to read
    another class's drafts."""
    if post.account.school_id != actor.school_id:
        return False
    if post.status in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN) or post.author_id == actor.user_id:
        return True
    return may_approve_for(actor, post.account) or may_draft_for(actor, post.account)


def concern_raise(
    *,
    actor: Membership,
    description: str,
    post=None,
    mention: MentionItem | None = None,
    url: str = "",
    request=None,
) -> Concern:
    """Any active member of staff: a worry about one of our posts, a post mentioning us, or a post
    at a web address. Every headteacher of the school is emailed as soon as it is saved."""
    if not has_perm(actor, Perm.RAISE_CONCERN):
        raise PermissionDenied("Only the school's active staff can raise a concern.")
    if mention is not None and mention.account.school_id != actor.school_id:
        raise PermissionDenied("That post belongs to another school.")
    if post is not None and not may_raise_concern_about_post(actor, post):
        raise PermissionDenied("You cannot see that post.")
    description = description.strip()
    url = url.strip()
    errors = {}
    if not description:
        errors["description"] = "Say what worries you about it, so the headteacher can act on it."
    if post is None and mention is None and not url:
        errors["url"] = "Give the web address of the post you are worried about."
    if errors:
        raise ValidationError(errors)
    if url and post is None and mention is None:
        mention, post = _match_url(actor.school, url)

    with transaction.atomic():
        concern = Concern(
            school_id=actor.school_id,
            raised_by=actor.user,
            post=post,
            mention=mention,
            url=url,
            description=description,
        )
        concern.full_clean()
        concern.save()
        record(
            action="concern.raised",
            actor=actor.user,
            school=actor.school,
            target=concern,
            data={
                "post": getattr(post, "pk", None),
                "mention": getattr(mention, "pk", None),
                "url": url,
                "description": description,
            },
            request=request,
        )
        link = settings.SITE_URL + reverse("concern_detail", args=[concern.pk])
        _tell_headteachers(
            actor.school_id,
            f"Concern raised by {actor.user}: please look at it today",
            f"{actor.user} has raised a concern.\n\nAbout:\n{concern_subject(concern)}\n\n"
            f"What worries them:\n{description}\n\nSee it and decide what to do:\n{link}\n",
        )
    return concern


def _check_manager(actor: Membership, school_id: int) -> None:
    if school_id != actor.school_id or not has_perm(actor, Perm.MANAGE_INCIDENTS):
        raise PermissionDenied("Only the headteacher handles concerns and incidents.")


def concern_resolve(*, actor: Membership, concern: Concern, note: str, request=None) -> Concern:
    """The headteacher decides a concern needs no incident, and says why."""
    _check_manager(actor, concern.school_id)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why no further action is needed: the note is kept with the concern."})
    with transaction.atomic():
        updated = Concern.objects.filter(pk=concern.pk, incident__isnull=True, resolved_at__isnull=True).update(
            resolved_by=actor.user, resolved_at=timezone.now(), resolution_note=note
        )
        if not updated:
            raise IncidentError("This concern has already been dealt with.")
        concern.refresh_from_db()
        record(
            action="concern.resolved",
            actor=actor.user,
            school=actor.school,
            target=concern,
            data={"note": note},
            request=request,
        )
    return concern


# Incidents.


def _snapshot_of_concern(concern: Concern) -> dict:
    if concern.mention_id:
        return concern.mention.snapshot()
    if concern.post_id:
        post = concern.post
        return {
            "kind": "post",
            "account": post.account.handle,
            "network": post.account.network,
            "id": post.external_id,
            "author": str(post.author),
            "text": post.text,
            "url": post.external_url,
            "status": post.status,
        }
    return {"kind": "link", "url": concern.url}


def _clean_title_and_severity(title: str, severity: str) -> str:
    title = title.strip()
    errors = {}
    if not title:
        errors["title"] = "Give the incident a short title."
    if severity not in IncidentSeverity.values:
        errors["severity"] = "Choose how serious it is."
    if errors:
        raise ValidationError(errors)
    return title


def _entry(incident: Incident, actor: Membership | None, kind: str, body: str) -> IncidentEntry:
    return IncidentEntry.objects.create(
        incident=incident, author=actor.user if actor is not None else None, kind=kind, body=body
    )


def _create(
    *, actor: Membership, title: str, severity: str, evidence: list[dict], opening: str, request=None
) -> Incident:
    incident = Incident(
        school_id=actor.school_id, title=title, severity=severity, opened_by=actor.user, evidence=evidence
    )
    incident.full_clean()
    incident.save()
    _entry(incident, actor, EntryKind.STATUS, opening)
    record(
        action="incident.opened",
        actor=actor.user,
        school=actor.school,
        target=incident,
        data={"title": title, "severity": severity, "evidence": evidence},
        request=request,
    )
    return incident


def incident_open(
    *,
    actor: Membership,
    title: str,
    severity: str,
    concern: Concern | None = None,
    note: str = "",
    request=None,
) -> Incident:
    """The headteacher opens an incident, from a concern or on their own account."""
    school_id = concern.school_id if concern is not None else actor.school_id
    _check_manager(actor, school_id)
    title = _clean_title_and_severity(title, severity)
    with transaction.atomic():
        if concern is not None:
            concern = Concern.objects.select_for_update().get(pk=concern.pk)
            if not concern.is_new:
                raise IncidentError("This concern has already been dealt with.")
            opening = f"Opened from a concern raised by {concern.raised_by}: “{concern.description}”"
            evidence = [_snapshot_of_concern(concern)]
        else:
            opening, evidence = "Opened.", []
        incident = _create(
            actor=actor, title=title, severity=severity, evidence=evidence, opening=opening, request=request
        )
        if concern is not None:
            Concern.objects.filter(pk=concern.pk).update(
                incident=incident, resolved_by=actor.user, resolved_at=timezone.now()
            )
        if note.strip():
            _entry(incident, actor, EntryKind.NOTE, note.strip())
    return incident


def concern_add_to_incident(*, actor: Membership, concern: Concern, incident: Incident, request=None) -> Incident:
    """The headteacher adds a new concern to an incident that is already open (the same matter
    raised again, by someone else or about another post): the concern is linked to it, what it
    is about joins the incident's evidence, and the timeline says which concern was added."""
    _check_manager(actor, concern.school_id)
    with transaction.atomic():
        current = _locked_open(actor, incident)
        concern = Concern.objects.select_for_update().get(pk=concern.pk)
        if not concern.is_new:
            raise IncidentError("This concern has already been dealt with.")
        Concern.objects.filter(pk=concern.pk).update(
            incident=current, resolved_by=actor.user, resolved_at=timezone.now()
        )
        current.evidence = [*current.evidence, _snapshot_of_concern(concern)]
        current.save(update_fields=["evidence"])
        raised_on = timezone.localtime(concern.created_at)
        _entry(
            current,
            actor,
            EntryKind.STATUS,
            f"Added the concern raised by {concern.raised_by} on {raised_on:%d %B %Y at %H:%M}: "
            f"“{concern.description}”",
        )
        record(
            action="concern.added_to_incident",
            actor=actor.user,
            school=actor.school,
            target=concern,
            data={"incident": current.pk, "title": current.title},
            request=request,
        )
    return current


def open_incident_for_mention(
    *,
    actor: Membership,
    mention: MentionItem,
    title: str,
    severity: str,
    note: str = "",
    copyright: dict | None = None,
    request=None,
) -> Incident:
    """For `community.inbox.mention_escalate`, which has checked the actor works the inbox: the
    office admin escalates, so the headteachers are told as for a concern. `copyright` (the
    claim's evidence: the original work and whose it is) is kept with the mention's snapshot."""
    title = _clean_title_and_severity(title, severity)
    opening = f"Escalated from the mentions inbox by {actor.user}."
    snapshot = mention.snapshot()
    if copyright:
        snapshot["copyright"] = copyright
        opening += " Reason: infringes copyright."
    incident = _create(
        actor=actor, title=title, severity=severity, evidence=[snapshot], opening=opening, request=request
    )
    if note.strip():
        _entry(incident, actor, EntryKind.NOTE, note.strip())
    link = settings.SITE_URL + reverse("incident_detail", args=[incident.pk])
    _tell_headteachers(
        actor.school_id,
        f"Incident opened: {title}",
        f"{actor.user} escalated a post by @{mention.author_handle} mentioning @{mention.account.handle} "
        f"to an incident ({_label(severity)} severity).\n\n“{_preview(mention.text)}”\n\n"
        f"{note.strip()}\n\nSee the incident:\n{link}\n",
        except_user_id=actor.user_id,
    )
    return incident


def _locked_open(actor: Membership, incident: Incident) -> Incident:
    _check_manager(actor, incident.school_id)
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if current.status != IncidentStatus.OPEN:
        raise IncidentError("This incident is closed. Reopen it first.")
    return current


def _required(text: str, field: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError({field: message})
    return text


def incident_add_note(*, actor: Membership, incident: Incident, body: str, request=None) -> IncidentEntry:
    return _add_entry(
        actor, incident, EntryKind.NOTE, "incident.note", _required(body, "body", "Write the note."), request
    )


def incident_record_action(*, actor: Membership, incident: Incident, body: str, request=None) -> IncidentEntry:
    return _add_entry(
        actor, incident, EntryKind.ACTION, "incident.action", _required(body, "body", "Say what was done."), request
    )


def _add_entry(actor: Membership, incident: Incident, kind, action: str, body: str, request) -> IncidentEntry:
    with transaction.atomic():
        current = _locked_open(actor, incident)
        entry = _entry(current, actor, kind, body)
        record(
            action=action, actor=actor.user, school=actor.school, target=current, data={"body": body}, request=request
        )
    return entry


def incident_refer(
    *, actor: Membership, incident: Incident, authority: str, when: datetime, details: str = "", request=None
) -> Incident:
    """Record that the incident was referred outside the school (police, LADO, the network...)."""
    authority = _required(authority, "authority", "Say who it was referred to.")
    if when is None:
        raise ValidationError({"when": "Say when it was referred."})
    if when > timezone.now():
        raise ValidationError({"when": "A referral is recorded once it has been made: this time is in the future."})
    with transaction.atomic():
        current = _locked_open(actor, incident)
        current.referred_to_outside_authority = True
        current.referred_to = authority
        current.referred_at = when
        current.save(update_fields=["referred_to_outside_authority", "referred_to", "referred_at"])
        body = f"Referred to {authority} on {timezone.localtime(when):%d %B %Y at %H:%M}."
        if details.strip():
            body += f" {details.strip()}"
        _entry(current, actor, EntryKind.REFERRAL, body)
        record(
            action="incident.referred",
            actor=actor.user,
            school=actor.school,
            target=current,
            data={"authority": authority, "when": when.isoformat(), "details": details.strip()},
            request=request,
        )
    return current


def _label(severity: str) -> str:
    return IncidentSeverity(severity).label.lower()


def incident_set_severity(*, actor: Membership, incident: Incident, severity: str, request=None) -> Incident:
    if severity not in IncidentSeverity.values:
        raise ValidationError({"severity": "Choose how serious it is."})
    with transaction.atomic():
        current = _locked_open(actor, incident)
        previous = current.severity
        if previous == severity:
            return current
        current.severity = severity
        current.save(update_fields=["severity"])
        _entry(
            current,
            actor,
            EntryKind.STATUS,
            f"Severity changed from {_label(previous)} to {_label(severity)}.",
        )
        record(
            action="incident.severity",
            actor=actor.user,
            school=actor.school,
            target=current,
            data={"from": previous, "to": severity},
            request=request,
        )
    return current


def incident_close(*, actor: Membership, incident: Incident, summary: str, request=None) -> Incident:
    summary = _required(summary, "summary", "Summarise what happened and what was done: it is kept with the incident.")
    with transaction.atomic():
        current = _locked_open(actor, incident)
        current.status = IncidentStatus.CLOSED
        current.closed_by = actor.user
        current.closed_at = timezone.now()
        current.closing_summary = summary
        current.save(update_fields=["status", "closed_by", "closed_at", "closing_summary"])
        _entry(current, actor, EntryKind.STATUS, f"Closed. {summary}")
        record(
            action="incident.closed",
            actor=actor.user,
            school=actor.school,
            target=current,
            data={"summary": summary},
            request=request,
        )
    return current


def incident_reopen(*, actor: Membership, incident: Incident, reason: str, request=None) -> Incident:
    """Reopen a closed incident. Its closing summary stays in the timeline; the incident shows open."""
    _check_manager(actor, incident.school_id)
    reason = _required(reason, "reason", "Say why it is being reopened.")
    with transaction.atomic():
        current = Incident.objects.select_for_update().get(pk=incident.pk)
        if current.status != IncidentStatus.CLOSED:
            raise IncidentError("This incident is already open.")
        current.status = IncidentStatus.OPEN
        current.closed_by = None
        current.closed_at = None
        current.closing_summary = ""
        current.save(update_fields=["status", "closed_by", "closed_at", "closing_summary"])
        _entry(current, actor, EntryKind.STATUS, f"Reopened. {reason}")
        record(
            action="incident.reopened",
            actor=actor.user,
            school=actor.school,
            target=current,
            data={"reason": reason},
            request=request,
        )
    return current
