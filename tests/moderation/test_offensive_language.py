import pytest

from moderation.engine import check_text
from moderation.services import rule_update
from moderation.wordlists import INNOCENT_WORDS

from .conftest import flagged

RULE = "offensive_language"

# Innocent words with a listed word inside (or next to) them: none may be flagged.
INNOCENT = sorted(word.capitalize() for word in INNOCENT_WORDS)


@pytest.mark.parametrize("word", INNOCENT)
def test_innocent_words_containing_listed_words_pass(check, word):
    text = f"Year 3 visited {word} and loved the {word.lower()} display."
    assert check(text, rule=RULE) == []


@pytest.mark.parametrize(
    "text",
    [
        "We counted a blue tit, two great tits and a long-tailed tit in the Big Schools' Birdwatch.",
        "Year 2 performed Dick Whittington and read Moby Dick; spotted dick for pudding!",
        "Reception learned 'The Owl and the Pussy-cat' and 'Who killed Cock Robin?'",
        "The fields of oilseed rape are bright yellow.",
        "In history we learned about King Cnut, Offa's Dyke and the Virgin Mary.",
        "World Book Day: Willy Wonka, the Ugly Duckling and Woody from Toy Story.",
        "Chess club: pawn to e4! Our hooker scored a try. Jackson Pollock inspired our art.",
        "Forces in science: thrust, gravity and drag. Homo sapiens first lived in Africa.",
        "Harvest festival: thank God for the food. We learned about the Nazis in Year 6.",
        "Hoar frost on the field this morning and a chink of light through the clouds.",
        "Mrs Wang and Mr Hoare led the trip. Cornish pasty for lunch!",
    ],
)
def test_school_life_is_not_offensive(check, text):
    assert check(text, rule=RULE) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What the fuck happened", ["fuck"]),
        ("This is SHIT.", ["SHIT"]),
        ("Absolute bollocks, you pillock", ["bollocks", "pillock"]),
        ("what a f*ck up", ["f*ck"]),
        ("f**k this", ["f**k"]),
        ("sh1t day", ["sh1t"]),
        ("5h1t day", ["5h1t"]),
        ("what a$$ holes", ["a$$"]),
        ("sh!t!", ["sh!t"]),
        ("@rse", ["@rse"]),
        ("fuuuuuck off", ["fuuuuuck"]),
        ("shiiiiit", ["shiiiiit"]),
        ("f u c k this", ["f u c k"]),
        ("s.h.i.t", ["s.h.i.t"]),
        ("F-U-C-K", ["F-U-C-K"]),
        ("motherfucking idiots", ["motherfucking"]),
        ("fuckity", ["fuckity"]),
        ("shitting it", ["shitting"]),
        ("fück", ["fück"]),
        ("fu\u0441k", ["fu\u0441k"]),  # a Cyrillic "с"
        ("fu\u200bck", ["fu\u200bck"]),  # a zero-width space inside
        ("ｆｕｃｋ", ["ｆｕｃｋ"]),  # full-width letters
        ("#fuck", ["#fuck"]),
        ("blow job", ["blow job"]),
    ],
)
def test_offensive_words_and_disguises_are_blocked(check, text, expected):
    findings = check(text, rule=RULE)
    assert flagged(text, findings) == expected
    assert all(finding.severity == "block" for finding in findings)


def test_message_quotes_the_word_as_written(check):
    (finding,) = check("Well sh1t.", rule=RULE)
    assert "“sh1t”" in finding.message


def test_school_words_are_added_and_allowed_words_removed(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == RULE)
    assert check("That was crap and bloody awful", rule=RULE)[0].rule == RULE
    rule_update(
        actor=staff.computing, rule=rule, parameters={"words": ["bloody", "gobsmacked"], "allowed_words": ["crap"]}
    )
    text = "That was crap and bloody awful, we were gobsmacked"
    assert flagged(text, check(text, rule=RULE)) == ["bloody", "gobsmacked"]


def test_school_phrase_matches_across_a_line_break(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"words": ["shut up"]})
    text = "Shut\nup, everyone"
    assert flagged(text, check(text, rule=RULE)) == ["Shut\nup"]


def test_without_the_standard_list_only_school_words_count(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"use_standard_list": False, "words": ["rubbish"]})
    assert flagged("shit rubbish", check("shit rubbish", rule=RULE)) == ["rubbish"]


def test_default_rules_apply_without_a_school():
    findings = check_text("Sh1t happens.")
    assert [(finding.rule, finding.severity) for finding in findings] == [(RULE, "block")]
