"""Writes to the school's wording rules. Each checks permission, runs in a transaction and leaves
an audit entry; the rules engine sees the change at its next check (see `rulebook_changed`)."""

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Membership, School, SocialAccount
from accounts.permissions import Perm, has_perm
from audit.services import record as audit_record

from .models import PolicyAcknowledgement, PolicyVersion, Rule, RulebookVersion
from .policy import MAX_POLICY_CHARS, policy_default_text
from .rules import DEFAULT_RULES, Scope
from .selectors import headteachers

_UPDATABLE_FIELDS = ("parameters", "severity", "scope", "account", "enabled", "policy_paragraph")


def _check_may_edit_rules(*, actor: Membership, school_id: int) -> None:
    if not has_perm(actor, Perm.EDIT_RULES):
        raise PermissionDenied("Only the headteacher and the computing lead can change the school's rules.")
    if actor.school_id != school_id:
        raise PermissionDenied("That rule belongs to another school.")


def _rule_data(rule: Rule) -> dict[str, Any]:
    return {
        "type": rule.type,
        "severity": rule.severity,
        "scope": rule.scope,
        "account_id": rule.account_id,
        "enabled": rule.enabled,
        "policy_paragraph": rule.policy_paragraph,
        "parameters": rule.parameters,
    }


def rule_create(
    *,
    actor: Membership,
    type: str,
    severity: str,
    parameters: dict[str, Any] | None = None,
    scope: str = Scope.ALL,
    account: SocialAccount | None = None,
    enabled: bool = True,
    policy_paragraph: str = "",
    request: HttpRequest | None = None,
) -> Rule:
    """Add a rule to the actor's school. ValidationError (with a message per field) if it is not valid."""
    _check_may_edit_rules(actor=actor, school_id=actor.school_id)
    rule = Rule(
        school_id=actor.school_id,
        type=type,
        severity=severity,
        parameters=parameters or {},
        scope=scope,
        account=account,
        enabled=enabled,
        policy_paragraph=policy_paragraph.strip(),
    )
    with transaction.atomic():
        rule.full_clean()
        rule.save()
        audit_record(
            action="rule.created",
            actor=actor.user,
            school=rule.school,
            target=rule,
            data=_rule_data(rule),
            request=request,
        )
        rulebook_changed(school_id=rule.school_id)
    return rule


def rule_update(*, actor: Membership, rule: Rule, request: HttpRequest | None = None, **fields: Any) -> Rule:
    """Change a rule's settings, severity, scope, account, whether it is on, or its policy paragraph.

    A rule's type does not change (delete it and add another). Only the fields passed are
    considered; when nothing differs nothing is written.
    """
    unknown = sorted(set(fields) - set(_UPDATABLE_FIELDS))
    if unknown:
        raise TypeError(f"rule_update() cannot change {', '.join(unknown)}.")
    _check_may_edit_rules(actor=actor, school_id=rule.school_id)
    before = _rule_data(rule)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.full_clean()  # fills in the settings' defaults, so "before" and "after" compare like with like
    after = _rule_data(rule)
    changed = sorted(name for name in after if after[name] != before[name])
    if not changed:
        return rule
    with transaction.atomic():
        rule.save()
        audit_record(
            action="rule.updated",
            actor=actor.user,
            school=rule.school,
            target=rule,
            data={"changed": changed, "before": {name: before[name] for name in changed}, "after": after},
            request=request,
        )
        rulebook_changed(school_id=rule.school_id)
    return rule


def rule_delete(*, actor: Membership, rule: Rule, request: HttpRequest | None = None) -> None:
    _check_may_edit_rules(actor=actor, school_id=rule.school_id)
    with transaction.atomic():
        audit_record(
            action="rule.deleted",
            actor=actor.user,
            school=rule.school,
            target=rule,
            data=_rule_data(rule),
            request=request,
        )
        rule.delete()
        rulebook_changed(school_id=rule.school_id)


def seed_default_rules(school: School) -> list[Rule]:
    """Give a school the default rules: one of each type it has none of yet. Safe to run again.

    Run by the system (creating a school, the demo data), so there is no actor to check.
    """
    created = []
    with transaction.atomic():
        existing = set(Rule.objects.filter(school=school).values_list("type", flat=True))
        for rule_type, severity, scope, parameters, paragraph in DEFAULT_RULES:
            if rule_type in existing:
                continue
            rule = Rule(
                school=school,
                type=rule_type,
                severity=severity,
                scope=scope,
                parameters=dict(parameters),
                policy_paragraph=paragraph,
            )
            rule.save()
            created.append(rule)
        if created:
            audit_record(
                action="rule.defaults_added",
                school=school,
                target=school,
                data={"types": [rule.type for rule in created]},
            )
            rulebook_changed(school_id=school.pk)
    return created


def rulebook_changed(*, school_id: int) -> None:
    """Tell every process's rules engine that something it reads for this school has changed.

    Called in the changing transaction, so the new token is seen together with the change.
    """
    token = uuid.uuid4().hex
    if RulebookVersion.objects.filter(school_id=school_id).update(token=token):
        return
    try:
        with transaction.atomic():
            RulebookVersion.objects.create(school_id=school_id, token=token)
    except IntegrityError:  # made by a concurrent change a moment ago
        RulebookVersion.objects.filter(school_id=school_id).update(token=token)


# The school's policy: drafts, sign-off, staff confirming they have read it, review reminders.


class PolicyError(Exception):
    """A policy change that cannot happen in the policy's present state; the message says why."""


def _check_may_draft_policy(*, actor: Membership, school_id: int) -> None:
    if not has_perm(actor, Perm.EDIT_RULES):
        raise PermissionDenied("Only the headteacher and the computing lead can draft the school's policy.")
    if actor.school_id != school_id:
        raise PermissionDenied("That policy belongs to another school.")


def _clean_policy_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        raise ValidationError({"body": "Write the policy before saving it."})
    if len(body) > MAX_POLICY_CHARS:
        raise ValidationError({"body": f"The policy is too long: at most {MAX_POLICY_CHARS:,} characters."})
    return body + "\n"


def one_year_after(day: date) -> date:
    """The same date a year later (28 February after a 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def policy_draft_create(*, actor: Membership, body: str, request: HttpRequest | None = None) -> PolicyVersion:
    """Start the next version of the school's policy. A school has one draft at a time: PolicyError
    if one is already waiting (change it with `policy_draft_update`)."""
    _check_may_draft_policy(actor=actor, school_id=actor.school_id)
    body = _clean_policy_body(body)
    try:
        with transaction.atomic():
            if PolicyVersion.objects.filter(school_id=actor.school_id, signed_off_at__isnull=True).exists():
                raise PolicyError("A draft is already waiting to be signed off. Change that draft instead.")
            latest = PolicyVersion.objects.filter(school_id=actor.school_id).aggregate(Max("number"))["number__max"]
            version = PolicyVersion(
                school_id=actor.school_id, number=(latest or 0) + 1, body=body, created_by=actor.user
            )
            version.save()
            audit_record(
                action="policy.draft_created",
                actor=actor.user,
                school=actor.school,
                target=version,
                data={"number": version.number, "characters": len(body)},
                request=request,
            )
    except IntegrityError as error:  # a draft started by someone else at the same moment
        raise PolicyError("Someone else started a draft at the same moment. Open the policy again.") from error
    return version


def policy_draft_update(
    *, actor: Membership, version: PolicyVersion, body: str, request: HttpRequest | None = None
) -> PolicyVersion:
    """Change the text of the draft. PolicyError once it has been signed off (signed-off text never changes)."""
    _check_may_draft_policy(actor=actor, school_id=version.school_id)
    body = _clean_policy_body(body)
    if body == version.body:
        return version
    with transaction.atomic():
        changed = PolicyVersion.objects.filter(pk=version.pk, signed_off_at__isnull=True).update(
            body=body, updated_at=timezone.now()
        )
        if not changed:
            raise PolicyError(
                f"Version {version.number} has been signed off, so its text can no longer change. Start a new draft."
            )
        audit_record(
            action="policy.draft_updated",
            actor=actor.user,
            school=actor.school,
            target=version,
            data={"number": version.number, "characters": len(body)},
            request=request,
        )
    version.refresh_from_db()
    return version


def policy_sign_off(
    *,
    actor: Membership,
    version: PolicyVersion,
    adopted_on: date,
    review_due: date | None = None,
    request: HttpRequest | None = None,
) -> PolicyVersion:
    """The headteacher adopts the draft: it becomes the school's current policy, and every member
    of staff must confirm reading it before they draft again. The review date defaults to a year on.

    Signs off exactly the text in `version.body` (what the headteacher read): PolicyError if the
    draft changed in the meantime.
    """
    if not has_perm(actor, Perm.SIGN_OFF_POLICY):
        raise PermissionDenied("Only the headteacher can sign off the school's policy.")
    if actor.school_id != version.school_id:
        raise PermissionDenied("That policy belongs to another school.")
    if version.is_signed_off:
        raise PolicyError(f"Version {version.number} is already signed off.")
    review_due = review_due or one_year_after(adopted_on)
    if adopted_on > timezone.localdate():
        raise ValidationError({"adopted_on": "Sign the policy off on or after the day it is adopted, not before."})
    if review_due <= adopted_on:
        raise ValidationError({"review_due": "The review date must be after the date the policy is adopted."})
    now = timezone.now()
    with transaction.atomic():
        signed = PolicyVersion.objects.filter(pk=version.pk, signed_off_at__isnull=True, body=version.body).update(
            signed_off_at=now, signed_off_by=actor.user, adopted_on=adopted_on, review_due=review_due, updated_at=now
        )
        if not signed:
            raise PolicyError(
                "The draft was changed or signed off while you were reading it. Read it again before signing it off."
            )
        # Signing the policy off is reading it.
        PolicyAcknowledgement.objects.create(version=version, user=actor.user, acknowledged_at=now)
        audit_record(
            action="policy.signed_off",
            actor=actor.user,
            school=actor.school,
            target=version,
            data={"number": version.number, "adopted_on": adopted_on.isoformat(), "review_due": review_due.isoformat()},
            request=request,
        )
    version.refresh_from_db()
    return version


def policy_acknowledge(
    *, actor: Membership, version: PolicyVersion, request: HttpRequest | None = None
) -> PolicyAcknowledgement:
    """Record that a member of staff has read the current policy. Doing it twice changes nothing."""
    if actor is None or not actor.is_active or actor.school_id != version.school_id:
        raise PermissionDenied("That policy belongs to another school.")
    if not version.is_signed_off:
        raise PolicyError("This version is still a draft. Read the policy the headteacher has signed off.")
    with transaction.atomic():
        latest = (
            PolicyVersion.objects.filter(school_id=version.school_id, signed_off_at__isnull=False)
            .order_by("-number")
            .values_list("pk", flat=True)
            .first()
        )
        if latest != version.pk:
            raise PolicyError("A newer version of the policy has been signed off since. Read that one.")
        acknowledgement, created = PolicyAcknowledgement.objects.get_or_create(version=version, user=actor.user)
        if created:
            audit_record(
                action="policy.acknowledged",
                actor=actor.user,
                school=actor.school,
                target=version,
                data={"number": version.number},
                request=request,
            )
    return acknowledgement


def policy_seed_default(*, school: School, signed_off_by: Membership) -> PolicyVersion | None:
    """Give a school that has no policy yet the default text, signed off by its headteacher today.

    Run by the system (the demo data, a new school), not from a page. Safe to run again: a
    school that already has a version keeps it (returns its current policy, if any).
    """
    if signed_off_by.school_id != school.pk or not has_perm(signed_off_by, Perm.SIGN_OFF_POLICY):
        raise ValueError("The default policy is signed off by the school's own headteacher.")
    with transaction.atomic():
        if PolicyVersion.objects.filter(school=school).exists():
            return PolicyVersion.objects.filter(school=school, signed_off_at__isnull=False).order_by("-number").first()
        now = timezone.now()
        today = timezone.localdate()
        version = PolicyVersion(
            school=school,
            number=1,
            body=policy_default_text(school),
            created_by=signed_off_by.user,
            adopted_on=today,
            review_due=one_year_after(today),
            signed_off_by=signed_off_by.user,
            signed_off_at=now,
        )
        version.save()
        PolicyAcknowledgement.objects.create(version=version, user=signed_off_by.user, acknowledged_at=now)
        audit_record(
            action="policy.default_adopted",
            school=school,
            target=version,
            data={"number": 1, "signed_off_by": signed_off_by.user.email, "review_due": version.review_due.isoformat()},
        )
    return version


def policy_review_remind(*, version_id: int) -> bool:
    """Email the school's headteachers that the policy is due for review; once per version.

    The reminder is claimed (a conditional UPDATE) before the email goes, so two workers never
    both send it; if sending fails the claim is released and the next day's run tries again.
    Returns whether a reminder was sent.
    """
    version = PolicyVersion.objects.select_related("school").get(pk=version_id)
    recipients = sorted({membership.user.email for membership in headteachers(school=version.school)})
    if not recipients:
        return False  # nobody to tell yet: a headteacher who joins later is reminded
    claimed_at = timezone.now()
    claimed = PolicyVersion.objects.filter(
        pk=version_id, signed_off_at__isnull=False, review_reminder_sent_at__isnull=True
    ).update(review_reminder_sent_at=claimed_at)
    if not claimed:
        return False
    overdue = version.review_due < timezone.localdate()
    context = {"version": version, "school": version.school, "overdue": overdue, "url": _policy_url()}
    try:
        send_mail(
            subject=(
                f"{version.school}'s social media policy "
                f"{'was' if overdue else 'is'} due for review on {date_format(version.review_due, 'j F Y')}"
            ),
            message=render_to_string("moderation/email/policy_review_due.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        PolicyVersion.objects.filter(pk=version_id, review_reminder_sent_at=claimed_at).update(
            review_reminder_sent_at=None
        )
        raise
    audit_record(
        action="policy.review_reminder_sent",
        school=version.school,
        target=version,
        data={"number": version.number, "review_due": version.review_due.isoformat(), "to": recipients},
    )
    return True


def _policy_url() -> str:
    return settings.SITE_URL + reverse("policy_current")
