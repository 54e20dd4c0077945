"""Writes to the school's wording rules. Each checks permission, runs in a transaction and leaves
an audit entry; the rules engine sees the change at its next check (see `rulebook_changed`)."""

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts.models import Membership, School, SocialAccount
from accounts.permissions import Perm, has_perm
from audit.services import record as audit_record

from .models import Rule, RulebookVersion
from .rules import DEFAULT_RULES, Scope

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
