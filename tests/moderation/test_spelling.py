import pytest

from moderation import spelling
from moderation.services import rule_update

from .conftest import flagged

RULE = "spelling"

BRITISH = [
    "colour",
    "colourful",
    "organise",
    "organised",
    "organisation",
    "centre",
    "programme",
    "favourite",
    "maths",
    "theatre",
    "metre",
    "grey",
    "mum",
    "travelling",
    "jewellery",
    "aluminium",
    "analyse",
    "catalogue",
    "defence",
    "behaviour",
    "neighbourhood",
    "recognise",
    "apologised",
    "pyjamas",
]


@pytest.mark.parametrize("word", BRITISH)
def test_british_spellings_pass(check, word):
    assert check(f"We talked about the word {word} today.", rule=RULE) == []


@pytest.mark.parametrize(
    ("word", "british"),
    [
        ("color", "colour"),
        ("colors", "colours"),
        ("favorite", "favourite"),
        ("organize", "organise"),
        ("organized", "organised"),
        ("center", "centre"),
        ("theater", "theatre"),
        ("program", "programme"),
        ("math", "maths"),
        ("traveled", "travelled"),
        ("analyze", "analyse"),
        ("neighborhood", "neighbourhood"),
        ("gray", "grey"),
        ("mom", "mum"),
    ],
)
def test_american_spellings_warn_with_the_british_one(check, word, british):
    text = f"We talked about the {word} today."
    (finding,) = check(text, rule=RULE)
    assert (flagged(text, [finding]), finding.severity, finding.suggestion) == ([word], "warn", british)


def test_a_capitalised_american_spelling_gets_a_capitalised_suggestion(check):
    (finding,) = check("Color week starts on Monday.", rule=RULE)
    assert finding.suggestion == "Colour"


@pytest.mark.parametrize(("typo", "fix"), [("recieve", "receive"), ("teh", "the"), ("becuase", "because")])
def test_misspellings_warn_with_a_suggestion(check, typo, fix):
    text = f"We will {typo} the certificates."
    (finding,) = check(text, rule=RULE)
    assert (flagged(text, [finding]), finding.suggestion) == ([typo], fix)
    assert "misspelt" in finding.message


def test_a_suggestion_for_an_american_neighbour_is_british(check):
    (finding,) = check("My favorit colour.", rule=RULE)
    assert finding.suggestion == "favourite"


@pytest.mark.parametrize(
    "text",
    [
        "Year 3 visited Scunthorpe, Penistone and Llandudno with Mrs Okonkwo.",
        "Our iPads, the NHS, KS2 SATs and the PTA.",
        "Don't forget: children's coats, we're off at 3pm, it's the 2nd trip.",
        "Email office@alpha.sch.uk or see www.alpha.sch.uk/trips #Year3 @alpha_school",
        "Well-being week: hop, skip and jump.",
        "Croeso i'r ysgol! Diolch yn fawr iawn i bawb am ddod heddiw.",
        "Café and crème brûlée at the French café.",
        "Amara, Jayden and Oliwia led the assembly. Maryam read.",
    ],
)
def test_names_places_acronyms_addresses_and_other_languages_pass(check, text):
    assert check(text, rule=RULE) == []


def test_the_schools_pupils_classes_and_own_words_are_not_misspellings(check, make_pupil, staff, rules):
    make_pupil("Zephyrine", "Oyelaran-Quaye")
    text = "zephyrine and oyelaran-quaye went to alpha for the eisteddfodau in penistone."
    assert flagged(text, check(text, rule=RULE)) == ["eisteddfodau", "penistone"]
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"words": ["Eisteddfodau", "Penistone"]})
    assert check(text, rule=RULE) == []


def test_american_spellings_can_be_allowed(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"american_spellings": False})
    assert check("Our favorite color", rule=RULE) == []


def test_offensive_words_are_not_also_misspellings(check):
    assert [finding.rule for finding in check("Oh fcuk.")] == ["offensive_language"]


def test_a_misspelling_at_the_start_of_a_sentence_is_found(check):
    (finding,) = check("Becuase it rained, we stayed in.", rule=RULE)
    assert finding.suggestion == "Because"


def test_suggestions_are_capped_per_check_and_remembered(check, monkeypatch):
    monkeypatch.setattr(spelling, "_suggestions", {})
    typos = (
        "The wirds abuot teh chidlren plaing outsdie tomorow wiht thier frends were the best of all the things "
        "we did at school this week with our class and teachers."
    )
    findings = check(typos, rule=RULE)
    assert len(findings) == 10
    assert len(spelling._suggestions) == 5
    assert sum(finding.suggestion is not None for finding in findings) == 5
    findings = check(typos, rule=RULE)
    assert len(spelling._suggestions) == 10  # the first five come from memory, five more are worked out
    assert sum(finding.suggestion is not None for finding in findings) == 10
