"""The offensive-language rule measured against a public list of English offensive words that a
registry package ships (glin-profanity, pinned in requirements-dev.txt), and the words added from
that measurement, in disguise and beside their innocent neighbours."""

import os

import pytest

from moderation.profanity import OffensiveMatcher, standard_list
from moderation.text import analyse
from moderation.wordlists import EXTRA_SEXUAL_WORDS, EXTRA_SLURS_AND_INSULTS, REFERENCE_ENTRIES_LEFT_OUT
from portal.bench import offensive_recall
from portal.bench.offensive_recall import RECALL_GOAL_PERCENT, ReferenceListMissing

from .conftest import flagged

RULE = "offensive_language"


@pytest.fixture(scope="module")
def measured() -> dict:
    try:
        return offensive_recall.measure()
    except ReferenceListMissing as missing:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{missing} CI installs it (.ci/run runs make install), so this is a broken install.")
        pytest.skip(str(missing))


def test_the_rule_catches_the_public_list_s_offensive_entries(measured):
    assert measured["recall_percent"] >= RECALL_GOAL_PERCENT, f"missed: {measured['missed']}"
    assert measured["caught"] == measured["measured"] - len(measured["missed"])
    # Most of the list is measured: what is left out is a short, reasoned list, not the hard part.
    assert measured["left_out"] < measured["english_entries"] / 4


def test_every_left_out_entry_is_on_the_public_list(measured):
    """A left-out entry the package no longer lists is a stale reason: take it out of wordlists."""
    _, entries = offensive_recall.reference_list()
    left_out = set(offensive_recall.left_out_reasons())
    assert left_out <= set(entries), sorted(left_out - set(entries))
    assert sum(len(words) for words in measured["left_out_by_reason"].values()) == measured["left_out"]


def test_no_false_alarm_on_innocent_words_or_ordinary_posts():
    """Needs no package: the innocent words and the benchmarks' class posts all pass the rule."""
    matcher = OffensiveMatcher(standard_list())
    for texts in offensive_recall.innocent_texts().values():
        assert texts
        assert [text for text in texts if matcher.find(analyse(text))] == []


def test_the_bench_section_says_why_when_the_package_is_missing(monkeypatch):
    def missing():
        raise ReferenceListMissing("glin-profanity is not installed")

    monkeypatch.setattr(offensive_recall, "reference_list", missing)
    assert offensive_recall.bench_offensive_recall() == {
        "package": "glin-profanity",
        "skipped": "glin-profanity is not installed",
    }


def test_left_out_entries_are_not_added_back():
    left_out = set().union(*REFERENCE_ENTRIES_LEFT_OUT.values())
    assert left_out.isdisjoint(EXTRA_SEXUAL_WORDS | EXTRA_SLURS_AND_INSULTS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what a c1rclejerk", ["c1rclejerk"]),
        ("JAILBAIT!", ["JAILBAIT"]),
        ("j a i l b a i t", ["j a i l b a i t"]),
        ("a total sh1tshow today", ["sh1tshow"]),
        ("camwh0re", ["camwh0re"]),
        ("you dipsh!t", ["dipsh!t"]),
        ("u p s k i r t photos", ["u p s k i r t"]),
        ("r@ghead", ["r@ghead"]),
        ("so s3xy", ["s3xy"]),
        ("sexxxy", ["sexxxy"]),
        ("t\u043epless", ["t\u043epless"]),  # a Cyrillic "о"
        ("a dirty sanchez", ["dirty sanchez"]),
        ("the Reverse-Cowgirl", ["Reverse-Cowgirl"]),
        ("watch two girls one cup", ["two girls one cup"]),
        ("2 girls 1 cup", ["2 girls 1 cup"]),
        ("what a tr@nny", ["tr@nny"]),
        ("omfg", ["omfg"]),
    ],
)
def test_added_words_are_caught_in_disguise(check, text, expected):
    findings = check(text, rule=RULE)
    assert flagged(text, findings) == expected
    assert all(finding.severity == "block" for finding in findings)


@pytest.mark.parametrize(
    "text",
    [
        "Raccoons and cocoons in our simple science display; the stars twinkle and twinkling lights.",
        "Juggling club met by the sponge pool, then read about tyranny in Ancient Greece.",
        "The nymphs in the pond, the darkest night and a vibration we could feel in the floor.",
        "A pleated skirt for the play, pubescent frogs in the film, and Sanchez got dirty at forest school.",
        "Two girls, one cup each: sharing out the juice in maths. Group work on sexton beetles.",
        "Topple the tower! We rode an open-top bus in Bath and watched a simpler play.",
    ],
)
def test_innocent_neighbours_of_added_words_pass(check, text):
    assert check(text, rule=RULE) == []
