import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from moderation.models import Rule
from moderation.rules import DEFAULT_RULES, RuleType
from moderation.services import rule_create, rule_delete, rule_update, seed_default_rules


def create(actor, **fields) -> Rule:
    fields.setdefault("type", RuleType.TONE)
    fields.setdefault("severity", "warn")
    return rule_create(actor=actor, **fields)


@pytest.mark.parametrize("who", ["computing", "head"])
def test_the_computing_lead_and_headteacher_may_edit_rules(staff, who):
    actor = getattr(staff, who)
    rule = create(actor, parameters={"words": ["chaos"]})
    rule = rule_update(actor=actor, rule=rule, severity="block")
    assert Rule.objects.get(pk=rule.pk).severity == "block"
    rule_delete(actor=actor, rule=rule)
    assert not Rule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("who", ["teacher", "ta", "slt", "office"])
def test_other_staff_may_not_edit_rules(staff, who):
    actor = getattr(staff, who)
    with pytest.raises(PermissionDenied, match="headteacher and the computing lead"):
        create(actor)
    rule = create(staff.computing)
    with pytest.raises(PermissionDenied):
        rule_update(actor=actor, rule=rule, enabled=False)
    with pytest.raises(PermissionDenied):
        rule_delete(actor=actor, rule=rule)
    assert Rule.objects.get(pk=rule.pk).enabled


def test_a_deactivated_computing_lead_may_not_edit_rules(staff):
    staff.computing.is_active = False
    with pytest.raises(PermissionDenied):
        create(staff.computing)


def test_another_schools_headteacher_may_not_touch_the_rules(staff, outsider):
    rule = create(staff.computing)
    with pytest.raises(PermissionDenied, match="another school"):
        rule_update(actor=outsider.head, rule=rule, enabled=False)
    with pytest.raises(PermissionDenied):
        rule_delete(actor=outsider.head, rule=rule)


def test_create_refuses_an_invalid_rule_with_a_message_and_writes_nothing(staff):
    with pytest.raises(ValidationError) as caught:
        create(staff.computing, type=RuleType.OFFENSIVE_LANGUAGE, parameters={"words": ["fine", " "]})
    assert "entry 2 is empty" in " ".join(caught.value.messages)
    assert not Rule.objects.exists()
    assert not AuditEvent.objects.filter(action="rule.created").exists()


def test_update_refuses_an_invalid_change_and_keeps_the_rule(staff):
    rule = create(staff.computing, parameters={"words": ["chaos"]})
    with pytest.raises(ValidationError):
        rule_update(actor=staff.computing, rule=rule, parameters={"words": [""]})
    assert Rule.objects.get(pk=rule.pk).parameters["words"] == ["chaos"]


def test_update_refuses_a_change_of_type(staff):
    rule = create(staff.computing)
    with pytest.raises(TypeError, match="type"):
        rule_update(actor=staff.computing, rule=rule, type=RuleType.SPELLING)


def test_changes_are_audited_with_before_and_after(staff):
    rule = create(staff.computing, parameters={"words": ["chaos"]})
    rule_update(actor=staff.head, rule=rule, parameters={"words": ["chaos", "mayhem"]}, enabled=False)
    rule_delete(actor=staff.head, rule=rule)
    created, updated, deleted = AuditEvent.objects.filter(action__startswith="rule.").order_by("pk")
    assert (created.action, created.actor, created.data["parameters"]["words"]) == (
        "rule.created",
        staff.computing.user,
        ["chaos"],
    )
    assert updated.action == "rule.updated"
    assert updated.data["changed"] == ["enabled", "parameters"]
    assert updated.data["before"]["enabled"] is True
    assert updated.data["after"]["parameters"]["words"] == ["chaos", "mayhem"]
    assert (deleted.action, deleted.actor) == ("rule.deleted", staff.head.user)


def test_an_update_that_changes_nothing_writes_nothing(staff):
    rule = create(staff.computing, parameters={"words": ["chaos"]})
    rule_update(actor=staff.computing, rule=rule, parameters={"words": ["chaos"]}, severity="warn")
    assert not AuditEvent.objects.filter(action="rule.updated").exists()


def test_default_rules_cover_every_type_once_and_seeding_again_adds_nothing(school):
    created = seed_default_rules(school)
    assert sorted(rule.type for rule in created) == sorted(RuleType.values)
    assert len(created) == len(DEFAULT_RULES)
    assert seed_default_rules(school) == []
    assert Rule.objects.filter(school=school).count() == len(RuleType.values)
    assert AuditEvent.objects.filter(action="rule.defaults_added", school=school).count() == 1


def test_seeding_keeps_a_schools_own_rule_of_a_type(school, staff):
    own = create(staff.computing, parameters={"words": ["chaos"]})
    seed_default_rules(school)
    assert list(Rule.objects.filter(school=school, type=RuleType.TONE)) == [own]
