import pytest
from django.core.exceptions import ValidationError

from moderation.models import Rule
from moderation.rules import RuleType

from ..factories import make_account


def make(school, **fields) -> Rule:
    fields.setdefault("type", RuleType.OFFENSIVE_LANGUAGE)
    fields.setdefault("severity", "block")
    return Rule(school=school, **fields)


def refusal(rule: Rule) -> str:
    with pytest.raises(ValidationError) as caught:
        rule.save()
    assert rule.pk is None
    return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("rule_type", "parameters", "message"),
    [
        (RuleType.OFFENSIVE_LANGUAGE, {"words": ["ok", "  "]}, "entry 2 is empty"),
        (RuleType.OFFENSIVE_LANGUAGE, {"words": [""]}, "entry 1 is empty"),
        (RuleType.OFFENSIVE_LANGUAGE, {"words": ["***"]}, "has no letters or digits"),
        (RuleType.OFFENSIVE_LANGUAGE, {"words": "bad"}, "must be a list of words"),
        (RuleType.OFFENSIVE_LANGUAGE, {"words": ["x" * 101]}, "too long"),
        (RuleType.OFFENSIVE_LANGUAGE, {"pattern": "(a+)+$"}, "no setting called “pattern”"),
        (RuleType.TONE, {"use_standard_list": "yes"}, "must be on or off"),
        (RuleType.HASHTAGS, {"forbidden": ["#two words"]}, "is not a hashtag"),
        (RuleType.HASHTAGS, {"required": ["#"]}, "entry 1 is empty"),
        (RuleType.HASHTAGS, {"required": ["#2024"]}, "only digits"),
        (RuleType.HASHTAGS, {"max_count": -1}, "whole number from 0 to 30"),
        (RuleType.HASHTAGS, {"max_count": "3"}, "whole number"),
        (RuleType.MENTIONS_AND_LINKS, {"allowed_handles": ["@bbc schools"]}, "is not an account name"),
        (RuleType.MENTIONS_AND_LINKS, {"allowed_domains": ["not a site"]}, "is not a web address"),
        (RuleType.MENTIONS_AND_LINKS, {"allowed_domains": ["localhost"]}, "is not a web address"),
        (RuleType.LENGTH, {"max_length": 0}, "whole number from 1"),
        (RuleType.GRAMMAR, ["capitals"], "set of named values"),
    ],
)
def test_invalid_settings_are_refused_on_save_with_a_message(school, rule_type, parameters, message):
    assert message in refusal(make(school, type=rule_type, parameters=parameters))


def test_an_unknown_type_severity_or_scope_is_refused(school):
    assert "not a valid choice" in refusal(make(school, type="regex"))
    assert "not a valid choice" in refusal(make(school, severity="maybe"))
    assert "not a valid choice" in refusal(make(school, scope="everyone"))


def test_a_rule_about_one_account_names_an_account_of_its_own_school(school, accounts, outsider):
    assert "Choose the account" in refusal(make(school, scope="account"))
    assert "another school" in refusal(make(school, scope="account", account=outsider.account))
    assert "Only a rule about one account" in refusal(make(school, scope="all", account=accounts.year3))
    make(school, scope="account", account=accounts.year3).save()


def test_settings_are_cleaned_and_completed_on_save(school):
    rule = make(
        school,
        type=RuleType.HASHTAGS,
        severity="warn",
        parameters={"required": ["#Year3", "Year3", "  #PE "], "max_count": 2},
    )
    rule.save()
    rule.refresh_from_db()
    assert rule.parameters == {"required": ["Year3", "PE"], "forbidden": [], "max_count": 2}


def test_handles_and_domains_are_normalised(school):
    rule = make(
        school,
        type=RuleType.MENTIONS_AND_LINKS,
        severity="warn",
        parameters={"allowed_handles": ["@BBCSchools", "dfe@gov.social"], "allowed_domains": ["https://www.Gov.UK/x"]},
    )
    rule.save()
    assert rule.parameters == {"allowed_handles": ["BBCSchools", "dfe@gov.social"], "allowed_domains": ["gov.uk"]}


def test_every_rule_type_saves_with_no_settings(school):
    for rule_type in RuleType.values:
        make(school, type=rule_type, severity="warn").save()
    assert Rule.objects.filter(school=school).count() == len(RuleType.values)


def test_a_rule_about_one_account_reads_as_that_account(school):
    account = make_account(school, "alpha_year6")
    rule = make(school, scope="account", account=account)
    assert "@alpha_year6" in str(rule)
