import pytest

from .conftest import flagged

RULE = "grammar"


@pytest.mark.parametrize(
    ("text", "expected", "suggestion"),
    [
        ("we went to the park.", ["we"], "We"),
        ("It rained. then it snowed!", ["then"], "Then"),
        ("Fun day! everyone smiled", ["everyone"], "Everyone"),
        ("Really? yes.", ["yes"], "Yes"),
    ],
)
def test_sentences_start_with_a_capital(check, text, expected, suggestion):
    findings = check(text, rule=RULE)
    assert flagged(text, findings) == expected
    assert findings[0].suggestion == suggestion


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to Mr. Smith and Dr. Patel for visiting.",
        "We used e.g. paint. Then we dried it.",
        "Wait... we won!",
        "J. K. Rowling wrote it.",
        "#teamwork at its best. @alpha_school said so.",
        "3 classes went. iPads were used.",
        "The score was 3.5 to 2.",
        "Visit www.alpha.sch.uk. The rest is there.",
    ],
)
def test_abbreviations_initials_ellipses_numbers_and_tags_are_no_sentence_starts(check, text):
    assert check(text, rule=RULE) == []


def test_repeated_words_warn_with_the_single_word_suggested(check):
    text = "We went to the the park."
    (finding,) = check(text, rule=RULE)
    assert (flagged(text, [finding]), finding.suggestion) == (["the the"], "the")


@pytest.mark.parametrize("text", ["Hip hip hooray!", "Knock knock!", "The year 2024 2025 was busy.", "That that is"])
def test_idiomatic_repeats_pass(check, text):
    assert check(text, rule=RULE) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Year 3 (Oak class visited.", ["("]),
        ("Year 3 Oak) visited.", [")"]),
        ("Year 3 [Oak) visited.", ["[", ")"]),
        ("He said “Wow.", ["“"]),
        ('He said "wow.', ['"']),
    ],
)
def test_unbalanced_brackets_and_quotes_warn_at_the_mark(check, text, expected):
    assert flagged(text, check(text, rule=RULE)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Year 3 (Oak) visited [again] {twice}.",
        'He said “Wow” and "cool".',
        "Great day :) Sad day :( See you ;-)",
        "We need: 1) coats 2) hats a) gloves",
        "See https://en.wikipedia.org/wiki/Oak_(tree) for more.",
    ],
)
def test_balanced_marks_faces_list_numbers_and_links_pass(check, text):
    assert check(text, rule=RULE) == []


@pytest.mark.parametrize(
    ("text", "expected", "suggestion"),
    [
        ("WELL DONE EVERYONE!", ["WELL DONE EVERYONE"], "Well done everyone"),
        ("Thank you. WE ARE SO PROUD of you", ["WE ARE SO PROUD"], "We are so proud"),
        ("THANK YOU TO OUR PTA", ["THANK YOU TO OUR"], "Thank you to our"),
    ],
)
def test_three_or_more_words_in_capitals_warn(check, text, expected, suggestion):
    findings = check(text, rule=RULE)
    assert flagged(text, findings) == expected
    assert findings[0].suggestion == suggestion


@pytest.mark.parametrize(
    "text", ["PE and KS2 SATs for the PTA.", "The NHS BBC RSPB visit.", "Our SENCO, PE, RE and DT days.", "WOW!"]
)
def test_acronyms_and_short_emphasis_are_no_shouting(check, text):
    assert check(text, rule=RULE) == []


def test_each_check_can_be_switched_off(check, staff, rules):
    from moderation.services import rule_update

    rule = next(rule for rule in rules if rule.type == RULE)
    text = "we went to the the park (ALL OF US TODAY"
    assert len(check(text, rule=RULE)) == 4
    rule_update(
        actor=staff.computing,
        rule=rule,
        parameters={"capitals": False, "repeated_words": False, "brackets": False, "shouting": False},
    )
    assert check(text, rule=RULE) == []
