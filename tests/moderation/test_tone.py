import pytest

from moderation.services import rule_update

from .conftest import flagged

RULE = "tone"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Some pupils were lazy today.", ["lazy"]),
        ("A disappointing turnout at parents' evening.", ["disappointing"]),
        ("Sadly the trip is cancelled.", ["Sadly"]),
        ("Unfortunately it rained.", ["Unfortunately"]),
        ("I think it went well.", ["I think"]),
        ("In my opinion, it was the best show yet.", ["In my opinion"]),
        ("In my\nopinion it was great", ["In my\nopinion"]),
        ("Some children were badly behaved.", ["badly behaved"]),
    ],
)
def test_negative_words_and_opinions_warn(check, text, expected):
    findings = check(text, rule=RULE)
    assert flagged(text, findings) == expected
    assert {finding.severity for finding in findings} == {"warn"}


@pytest.mark.parametrize(
    "text",
    [
        "What a fantastic assembly! Well done, Year 3.",
        "The children thought carefully about their answers.",
        "We read about a quick brown fox.",
        "Thinking skills in maths today.",
    ],
)
def test_positive_factual_posts_pass(check, text):
    assert check(text, rule=RULE) == []


def test_opinion_and_negative_messages_differ(check):
    opinion, negative = check("I think the lazy dog slept", rule=RULE)
    assert "opinion" in opinion.message
    assert "negative" in negative.message


def test_school_words_and_allowed_words(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"words": ["chaos"], "allowed_words": ["sadly"]})
    text = "Sadly, chaos at pick-up"
    assert flagged(text, check(text, rule=RULE)) == ["chaos"]
