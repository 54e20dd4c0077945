"""The engine's rulebook: scoped rules, disabled rules, and rebuilding when what it reads changes."""

from moderation.engine import check_text
from moderation.models import Rule
from moderation.rules import RuleType
from moderation.services import rule_create, rule_update

from .conftest import flagged


def test_rules_apply_to_their_scope_only(school, staff, accounts):
    for scope, account, word in [
        ("all", None, "alpha"),
        ("whole_school", None, "beta"),
        ("class", None, "gamma"),
        ("account", accounts.year3, "delta"),
    ]:
        rule_create(
            actor=staff.computing,
            type=RuleType.TONE,
            severity="warn",
            scope=scope,
            account=account,
            parameters={"use_standard_list": False, "words": [word]},
        )
    text = "alpha beta gamma delta"
    assert flagged(text, check_text(text, school=school)) == ["alpha"]
    assert flagged(text, check_text(text, school=school, account=accounts.whole_school)) == ["alpha", "beta"]
    assert flagged(text, check_text(text, school=school, account=accounts.year3)) == ["alpha", "gamma", "delta"]


def test_disabled_rules_do_not_run(school, staff, rules):
    rule = next(rule for rule in rules if rule.type == RuleType.OFFENSIVE_LANGUAGE)
    assert check_text("Oh shit.", school=school)
    rule_update(actor=staff.computing, rule=rule, enabled=False)
    assert check_text("Oh shit.", school=school) == []


def test_findings_carry_the_rule_and_its_policy_paragraph(school, rules):
    (finding,) = check_text("Oh shit.", school=school)
    rule = Rule.objects.get(school=school, type=RuleType.OFFENSIVE_LANGUAGE)
    assert (finding.rule_id, finding.policy_paragraph) == (rule.pk, "language")


def test_the_account_tells_the_engine_which_school(school, rules, accounts):
    assert [finding.rule for finding in check_text("Oh shit.", account=accounts.year3)] == ["offensive_language"]


def test_a_school_without_rules_has_no_findings(school):
    assert check_text("oh shit", school=school) == []


def test_a_new_pupil_is_seen_at_the_next_check(school, rules, make_pupil):
    assert check_text("Well done Amara Okafor.", school=school) == []
    make_pupil("Amara", "Okafor")
    findings = check_text("Well done Amara Okafor.", school=school)
    assert [finding.rule for finding in findings] == ["pupil_full_names"]


def test_a_renamed_pupil_is_seen_at_the_next_check(school, rules, make_pupil):
    pupil = make_pupil("Amara", "Okafor")
    assert check_text("Amara Okafor", school=school)
    pupil.surname = "Mensah"
    pupil.save()
    assert check_text("Amara Okafor", school=school) == []
    assert check_text("Amara Mensah", school=school)


def test_a_rule_change_is_seen_at_the_next_check(school, staff, rules):
    rule = next(rule for rule in rules if rule.type == RuleType.TONE)
    assert check_text("What chaos.", school=school) == []
    rule_update(actor=staff.computing, rule=rule, parameters={"words": ["chaos"]})
    assert [finding.rule for finding in check_text("What chaos.", school=school)] == ["tone"]


def test_a_bulk_update_is_seen_after_the_rebuild_interval(school, rules, make_pupil, monkeypatch):
    from consent import identity
    from consent.models import Pupil
    from moderation import engine

    make_pupil("Amara", "Okafor")
    assert check_text("Amara Okafor", school=school)
    Pupil.objects.filter(school=school).update(surname="Mensah")  # sends no signal
    assert check_text("Amara Okafor", school=school)
    monkeypatch.setattr(engine, "REBUILD_AFTER_SECONDS", 0)
    monkeypatch.setattr(identity, "REBUILD_AFTER_SECONDS", 0)
    assert check_text("Amara Okafor", school=school) == []


def test_each_check_reads_two_tokens_from_the_database(school, rules, django_assert_num_queries):
    check_text("warm up", school=school)
    with django_assert_num_queries(2):  # the rulebook's version and the register's
        check_text("Year 3 had a wonderful day!", school=school)


def test_findings_are_in_text_order(school, rules):
    text = "So teh shit. Sadly"
    assert [finding.rule for finding in check_text(text, school=school)] == ["spelling", "offensive_language", "tone"]


def test_consent_narrowed_changes_the_token(school):
    from consent.signals import consent_narrowed
    from moderation.selectors import rulebook_token

    before = rulebook_token(school_id=school.pk)
    consent_narrowed.send(sender=None, school_id=school.pk, pupil_ids=[], reason="leaving_date")
    assert rulebook_token(school_id=school.pk) not in {None, before}
