"""Writes to the pupil register and consent records. Each checks permission, runs in a
transaction and leaves an audit entry. The never-publish reason never enters the audit trail."""

import re
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.models import ClassGroup, Membership, Role
from accounts.permissions import Perm, has_perm
from audit.services import record as audit_record

from .models import ConsentDecision, ConsentRecord, Pupil
from .signals import consent_narrowed


def _announce_narrowed(pupil: Pupil, reason: str) -> None:
    consent_narrowed.send(sender=Pupil, school_id=pupil.school_id, pupil_ids=[pupil.pk], reason=reason)


class ConsentError(Exception):
    """A consent or register change the school must not make, with a message for the office."""


def _check_may_manage_consent(*, actor: Membership, school_id: int) -> None:
    if not has_perm(actor, Perm.MANAGE_CONSENT):
        raise PermissionDenied("You cannot change pupils or consent records.")
    if actor.school_id != school_id:
        raise PermissionDenied("That pupil belongs to another school.")


def _check_is_headteacher(*, actor: Membership, pupil: Pupil) -> None:
    if not actor.is_active or Role.HEADTEACHER not in actor.roles:
        raise PermissionDenied("Only the headteacher can change whether a pupil may ever be published.")
    if actor.school_id != pupil.school_id:
        raise PermissionDenied("That pupil belongs to another school.")


def pupil_create(
    *,
    actor: Membership,
    first_name: str,
    surname: str,
    preferred_name: str = "",
    other_names: str = "",
    class_group: ClassGroup | None = None,
    year_group: int | None = None,
    mis_id: str = "",
    leaving_date: date | None = None,
    request: HttpRequest | None = None,
) -> Pupil:
    """Add a pupil to the actor's school."""
    _check_may_manage_consent(actor=actor, school_id=actor.school_id)
    if class_group is not None and class_group.school_id != actor.school_id:
        raise PermissionDenied("That class belongs to another school.")
    mis_id = mis_id.strip()
    if mis_id and Pupil.objects.filter(school_id=actor.school_id, mis_id=mis_id).exists():
        raise ConsentError(f"Another pupil already has the MIS id {mis_id}.")

    pupil = Pupil(
        school=actor.school,
        class_group=class_group,
        first_name=first_name.strip(),
        surname=surname.strip(),
        preferred_name=preferred_name.strip(),
        other_names=_clean_other_names(other_names),
        year_group=year_group,
        mis_id=mis_id,
        leaving_date=leaving_date,
    )
    with transaction.atomic():
        pupil.full_clean()
        pupil.save()
        audit_record(
            action="pupil.created",
            actor=actor.user,
            school=pupil.school,
            target=pupil,
            data={"class_group": class_group.name if class_group else None, "year_group": year_group, "mis_id": mis_id},
            request=request,
        )
    return pupil


def consent_record(
    *,
    actor: Membership,
    pupil: Pupil,
    purpose: str,
    decision: str,
    given_by_name: str,
    relationship: str,
    method: str,
    decided_on: date,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Record a carer's decision for one purpose. Earlier records stay as history."""
    _check_may_manage_consent(actor=actor, school_id=pupil.school_id)
    today = timezone.localdate()
    if decided_on > today:
        raise ConsentError("The decision date cannot be in the future. Use the day the carer decided.")
    if pupil.leaving_date is not None and pupil.leaving_date <= today:
        raise ConsentError(f"{pupil} has left the school, so consent can no longer be recorded.")
    if expires_on is not None and decision != ConsentDecision.GIVEN:
        raise ConsentError("Only consent can have an end date; a refusal stands until the carer changes it.")
    if expires_on is not None and expires_on < decided_on:
        raise ConsentError("The consent cannot end before the day it was given.")

    consent = ConsentRecord(
        pupil=pupil,
        purpose=purpose,
        decision=decision,
        given_by_name=" ".join(given_by_name.split()),
        relationship=relationship,
        method=method,
        decided_on=decided_on,
        expires_on=expires_on,
        recorded_by=actor.user,
    )
    with transaction.atomic():
        consent.full_clean()
        consent.save()
        audit_record(
            action="consent.recorded",
            actor=actor.user,
            school=pupil.school,
            target=consent,
            data={
                "pupil_id": pupil.pk,
                "purpose": purpose,
                "decision": decision,
                "relationship": relationship,
                "method": method,
                "decided_on": decided_on.isoformat(),
                "expires_on": expires_on.isoformat() if expires_on else None,
            },
            request=request,
        )
        if decision == ConsentDecision.REFUSED:
            _announce_narrowed(pupil, f"{consent.get_purpose_display()}: {pupil.known_as}'s carer said no.")
    return consent


def consent_withdraw(*, actor: Membership, record: ConsentRecord, request: HttpRequest | None = None) -> ConsentRecord:
    """Withdraw a carer's consent from now on. The record stays, stamped with who and when."""
    pupil = record.pupil
    _check_may_manage_consent(actor=actor, school_id=pupil.school_id)
    with transaction.atomic():
        # The lock makes a double-submitted withdrawal find the first one.
        locked = ConsentRecord.objects.select_for_update().get(pk=record.pk)
        if locked.withdrawn_at is not None:
            withdrawn_on = format_date(timezone.localdate(locked.withdrawn_at), "j F Y")
            raise ConsentError(f"This consent was already withdrawn on {withdrawn_on}.")
        if locked.decision != ConsentDecision.GIVEN:
            raise ConsentError("A refusal cannot be withdrawn. Record the carer's new decision instead.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor.user
        locked.full_clean()
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(
            action="consent.withdrawn",
            actor=actor.user,
            school=pupil.school,
            target=locked,
            data={"pupil_id": pupil.pk, "purpose": locked.purpose, "relationship": locked.relationship},
            request=request,
        )
        _announce_narrowed(pupil, f"{locked.get_purpose_display()}: consent for {pupil.known_as} was withdrawn.")
    record.withdrawn_at = locked.withdrawn_at
    record.withdrawn_by = locked.withdrawn_by
    return record


_NEVER_PUBLISH_FIELDS = ["never_publish", "never_publish_reason", "never_publish_set_by", "never_publish_set_at"]


def _copy_never_publish(*, source: Pupil, to: Pupil) -> None:
    """Keep the caller's instance in step with what was saved."""
    for field in _NEVER_PUBLISH_FIELDS:
        setattr(to, field, getattr(source, field))


def pupil_set_never_publish(
    *, actor: Membership, pupil: Pupil, reason: str, request: HttpRequest | None = None
) -> Pupil:
    """Mark a pupil as never to be published, whatever consent says. Headteacher only.

    Setting it again replaces the reason. The reason is kept on the pupil alone.
    """
    _check_is_headteacher(actor=actor, pupil=pupil)
    reason = reason.strip()
    if not reason:
        raise ConsentError("Write down why, so that a future headteacher knows whether the flag still applies.")
    with transaction.atomic():
        locked = Pupil.objects.select_for_update().get(pk=pupil.pk)
        was_set = locked.never_publish
        locked.never_publish = True
        locked.never_publish_reason = reason
        locked.never_publish_set_by = actor.user
        locked.never_publish_set_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=_NEVER_PUBLISH_FIELDS)
        audit_record(
            action="pupil.never_publish_set",
            actor=actor.user,
            school=pupil.school,
            target=locked,
            data={"was_already_set": was_set},
            request=request,
        )
        _announce_narrowed(locked, f"{locked.known_as} must not appear in any post (do not publish).")
    _copy_never_publish(source=locked, to=pupil)
    return pupil


def pupil_clear_never_publish(*, actor: Membership, pupil: Pupil, request: HttpRequest | None = None) -> Pupil:
    """Lift the never-publish flag. Its reason is erased; the audit trail keeps who lifted it and when."""
    _check_is_headteacher(actor=actor, pupil=pupil)
    with transaction.atomic():
        locked = Pupil.objects.select_for_update().get(pk=pupil.pk)
        if not locked.never_publish:
            raise ConsentError(f"{locked} is not marked as never to be published.")
        locked.never_publish = False
        locked.never_publish_reason = ""
        locked.never_publish_set_by = None
        locked.never_publish_set_at = None
        locked.full_clean()
        locked.save(update_fields=_NEVER_PUBLISH_FIELDS)
        audit_record(
            action="pupil.never_publish_cleared", actor=actor.user, school=pupil.school, target=locked, request=request
        )
    _copy_never_publish(source=locked, to=pupil)
    return pupil


_UPDATABLE_PUPIL_FIELDS = (
    "first_name",
    "surname",
    "preferred_name",
    "other_names",
    "class_group",
    "year_group",
    "mis_id",
    "leaving_date",
)
_PUPIL_TEXT_FIELDS = ("first_name", "surname", "preferred_name", "other_names", "mis_id")


def _clean_other_names(value: str) -> str:
    """ "Bex; Becky, Bex" -> "Bex, Becky": one list, comma-separated, no repeats."""
    return ", ".join(dict.fromkeys(part.strip() for part in re.split(r"[,;/\n]", value) if part.strip()))


def _pupil_value(pupil: Pupil, field: str):
    """The value to compare, without loading the class (the MIS import updates thousands of pupils)."""
    return pupil.class_group_id if field == "class_group" else getattr(pupil, field)


def pupil_update(*, actor: Membership, pupil: Pupil, request: HttpRequest | None = None, **fields) -> Pupil:
    """Change a pupil's register details: names (other names too: the nicknames the consent
    check looks for), class, year group, MIS id or leaving date.

    Only the fields passed are considered and only those that differ are saved and audited;
    when nothing differs nothing is written. The never-publish flag has its own services.
    """
    unknown = sorted(set(fields) - set(_UPDATABLE_PUPIL_FIELDS))
    if unknown:
        raise TypeError(f"pupil_update() cannot change {', '.join(unknown)}.")
    _check_may_manage_consent(actor=actor, school_id=pupil.school_id)
    for field in _PUPIL_TEXT_FIELDS:
        if field in fields:
            fields[field] = fields[field].strip()
    if "other_names" in fields:
        fields["other_names"] = _clean_other_names(fields["other_names"])
    class_group = fields.get("class_group")
    if class_group is not None and class_group.school_id != pupil.school_id:
        raise PermissionDenied("That class belongs to another school.")

    changed = {}
    for field, value in fields.items():
        comparable = value.pk if field == "class_group" and value is not None else value
        if _pupil_value(pupil, field) != comparable:
            changed[field] = value
    if not changed:
        return pupil
    mis_id = changed.get("mis_id")
    if mis_id and Pupil.objects.filter(school_id=pupil.school_id, mis_id=mis_id).exclude(pk=pupil.pk).exists():
        raise ConsentError(f"Another pupil already has the MIS id {mis_id}.")

    before = {field: _pupil_value(pupil, field) for field in changed}
    for field, value in changed.items():
        setattr(pupil, field, value)
    try:
        with transaction.atomic():
            pupil.full_clean()
            pupil.save(update_fields=list(changed))
            # Names stay out of the data, as in pupil_create; the target names the pupil.
            data = {"changed": sorted(changed)}
            if "class_group" in changed:
                data["class_group"] = class_group.name if class_group else None
            for field in ("year_group", "mis_id"):
                if field in changed:
                    data[field] = changed[field]
            if "leaving_date" in changed:
                data["leaving_date"] = changed["leaving_date"].isoformat() if changed["leaving_date"] else None
            audit_record(
                action="pupil.updated", actor=actor.user, school=pupil.school, target=pupil, data=data, request=request
            )
            leaving = changed.get("leaving_date")
            if leaving is not None and leaving <= timezone.localdate():
                _announce_narrowed(pupil, f"{pupil.known_as} has left the school.")
    except Exception:
        # Leave the caller's instance as the database still has it.
        for field, value in before.items():
            setattr(pupil, "class_group_id" if field == "class_group" else field, value)
        raise
    return pupil
