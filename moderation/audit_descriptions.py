"""What the policy's and the rules' audit entries say, and where they live (see audit.describe)."""

from django.urls import reverse

from accounts.permissions import Perm, has_perm
from audit.describe import Ref, day, kinds, label_of, pks, register_target, words

from .models import PolicyVersion, Rule
from .rules import RuleType, Scope, Severity


def _rules(ids, *, school, viewer) -> dict[str, Ref]:
    may_edit = has_perm(viewer, Perm.EDIT_RULES)
    found = Rule.objects.filter(school=school, pk__in=pks(ids)).only("id", "type")
    return {
        str(rule.pk): Ref(
            f"the rule “{label_of(RuleType, rule.type, lower=False)}”",
            reverse("rule_edit", args=[rule.pk]) if may_edit else "",
        )
        for rule in found
    }


def _policy_versions(ids, *, school, viewer) -> dict[str, Ref]:
    # Every member of staff reads the policy; its page shows the current version and the older ones.
    found = PolicyVersion.objects.filter(school=school, pk__in=pks(ids)).only("id", "number")
    return {
        str(version.pk): Ref(f"version {version.number} of the social media policy", reverse("policy_current"))
        for version in found
    }


register_target("moderation.rule", _rules, gone="a rule since deleted")
register_target("moderation.policyversion", _policy_versions, gone="a version of the policy")


_RULE_FIELDS = {
    "type": "what it looks for",
    "severity": "how serious it is",
    "scope": "which accounts it covers",
    "account_id": "which account it covers",
    "enabled": "whether it is on",
    "policy_paragraph": "the policy paragraph it enforces",
    "parameters": "its settings",
}


def _rule_type(data: dict) -> str:
    return label_of(RuleType, data["type"], lower=False)


rules = kinds("policy")
rules.add(
    "rule.created",
    "Rule added",
    "{who} added {target}: {severity}, {scope}",
    values=lambda data: {"severity": label_of(Severity, data["severity"]), "scope": label_of(Scope, data["scope"])},
)
rules.add(
    "rule.updated",
    "Rule changed",
    "{who} changed {target}: {changes}",
    values=lambda data: {"changes": words(_RULE_FIELDS.get(name, name) for name in data["changed"])},
)
rules.add(
    "rule.deleted", "Rule deleted", "{who} deleted the rule “{rule}”", values=lambda data: {"rule": _rule_type(data)}
)
rules.add(
    "rule.defaults_added",
    "Default rules added",
    "{who} added the default rules: {types}",
    values=lambda data: {"types": words(label_of(RuleType, value) for value in data["types"])},
)
rules.add("policy.draft_created", "Policy draft started", "{who} started drafting {target}")
rules.add("policy.draft_updated", "Policy draft edited", "{who} edited the draft of {target}")
rules.add(
    "policy.signed_off",
    "Policy signed off",
    "{who} signed off {target}, adopted on {adopted_on} and due for review on {review_due}",
    values=lambda data: {"adopted_on": day(data["adopted_on"]), "review_due": day(data["review_due"])},
)
rules.add("policy.acknowledged", "Policy read", "{who} confirmed they have read {target}")
rules.add(
    "policy.default_adopted",
    "Default policy adopted",
    "{who} adopted the default policy as {target}, signed off by {signed_off_by}",
    values=lambda data: {"signed_off_by": data["signed_off_by"]},
)
rules.add(
    "policy.review_reminder_sent",
    "Policy review reminder sent",
    "{who} reminded the headteachers that {target} is due for review on {review_due}",
    values=lambda data: {"review_due": day(data["review_due"])},
)
