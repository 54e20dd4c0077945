"""Every finding says what kind of thing it found (`code`) and what it found without advice
(`fact`), beside the message written for the author of a school draft. Other pages (the mentions
inbox) give their own advice by code, so every code must be one the engine can report."""

import pytest

from moderation.engine import check_text
from moderation.rules import FINDING_RULES, FindingCode, RuleType
from moderation.services import rule_create

# One text for each kind of finding, with what it needs: the class account and photos for first
# names; the extra rules below for hashtags to avoid or required, words to avoid and length.
EXAMPLES = {
    FindingCode.OFFENSIVE_LANGUAGE: ("What a shit day.", {}),
    FindingCode.PUPIL_FULL_NAME: ("Well done Amara Okafor.", {}),
    FindingCode.PUPIL_FIRST_NAME: ("Amara made a volcano.", {"class_account": True, "has_images": True}),
    FindingCode.HASHTAG_TO_AVOID: ("Sports day #nofilter", {}),
    FindingCode.HASHTAG_MISSING: ("Sports day today.", {}),
    FindingCode.TOO_MANY_HASHTAGS: ("Sports day #one #two #three #four", {}),
    FindingCode.MENTION_NOT_LISTED: ("Thank you @a_stranger for visiting.", {}),
    FindingCode.LINK_NOT_TRUSTED: ("Read more at https://example.com/news", {}),
    FindingCode.TONE_NEGATIVE: ("The weather was awful.", {}),
    FindingCode.TONE_NEGATIVE_START: ("Unfortunately the trip is off.", {}),
    FindingCode.TONE_OPINION: ("I think the play was good.", {}),
    FindingCode.TONE_WORD_TO_AVOID: ("The canteen served grub.", {}),
    FindingCode.SENTENCE_CAPITAL: ("we went to the park.", {}),
    FindingCode.REPEATED_WORD: ("We went to the the park.", {}),
    FindingCode.UNMATCHED_BRACKET: ("We went to the park (in the rain.", {}),
    FindingCode.SHOUTING: ("WHAT A WONDERFUL GREAT DAY.", {}),
    FindingCode.AMERICAN_SPELLING: ("We painted with every color.", {}),
    FindingCode.MISSPELT: ("We had a beautifull day.", {}),
    FindingCode.NOT_IN_DICTIONARY: ("We saw a zqxwvbk today.", {}),
    FindingCode.TOO_LONG: ("A sunny day at the seaside with all of Year 3 and their teachers.", {}),
}


@pytest.fixture
def school_rules(school, staff, rules):
    for rule_type, parameters in (
        (RuleType.HASHTAGS, {"required": ["AlphaNews"], "forbidden": ["nofilter"]}),
        (RuleType.TONE, {"use_standard_list": False, "words": ["grub"]}),
        (RuleType.LENGTH, {"max_length": 40}),
    ):
        rule_create(actor=staff.computing, type=rule_type, severity="warn", parameters=parameters)
    return rules


def test_there_is_an_example_of_every_kind_of_finding_and_every_rule_has_kinds():
    assert set(EXAMPLES) == set(FindingCode)
    assert set(FINDING_RULES) == set(FindingCode)
    assert set(FINDING_RULES.values()) == set(RuleType)


@pytest.mark.parametrize("code", list(FindingCode))
def test_each_kind_of_finding_carries_its_code_and_a_fact_without_advice(
    school, school_rules, accounts, make_pupil, code
):
    make_pupil("Amara", "Okafor")
    text, options = EXAMPLES[code]
    account = accounts.year3 if options.get("class_account") else None

    findings = check_text(text, school=school, account=account, has_images=options.get("has_images", False))

    found = [finding for finding in findings if finding.code == code]
    assert found, f"{code} not found in {[(f.code, f.message) for f in findings]}"
    for finding in found:
        assert finding.rule == code.rule
        assert finding.fact.strip()
        # The fact says what was found; the advice to the author stays in the message.
        for advice in ("Remove it", "Add it", "use initials", "Shorten it", "Did you mean", "Use capitals only"):
            assert advice.lower() not in finding.fact.lower(), finding.fact
    assert all(finding.code in FindingCode.values for finding in findings)


def test_the_advice_for_the_author_is_unchanged(school, rules):
    (finding,) = check_text("What a shit day.", school=school)

    assert finding.message == "“shit” is offensive or unsuitable language for a school post. Remove it."
    assert finding.fact == "“shit” is offensive or unsuitable language."
    assert finding.code == "offensive_language"
