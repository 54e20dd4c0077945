"""Issue 12, rule 7: input built to break the matcher. A 10,000-character text full of emoji
sequences (ZWJ families, flags, skin tones) with a full name at the very end is blocked, with no
error; a register of 5,000 pupils still finds a full name and lets an innocent text through.

The long texts go through `post_submit` (the consent check's own gate), because the compose
page's "Send for approval" stops them first for their length; one row checks that it does so
with a message and no error, and that the consent check still finds the name."""

import pytest

from .journey import BLOCKED, PUBLISHED, run, scenario

FULL = "full name"
EMOJI = "👨‍👩‍👧‍👦 🇬🇧 👋🏽 🏴󠁧󠁢󠁷󠁬󠁳󠁿 👩🏿‍🚀 🧑🏻‍🤝‍🧑🏾 "
FILLER = "Sports day fun! " + EMOJI


def long_text(ending: str, length: int = 10_000) -> str:
    body = (FILLER * (length // len(FILLER) + 1))[: length - len(ending) - 1]
    return f"{body} {ending}"


CASES = [
    scenario(
        "10k-emoji-full-name-at-end",
        "school",
        long_text("Ava Patel"),
        BLOCKED,
        FULL,
        about="ava_patel",
        via="submit",
    ),
    scenario(
        "10k-emoji-full-name-at-end-via-compose",
        "school",
        long_text("Ava Patel"),
        BLOCKED,
        "limit",
        about="ava_patel",
        stage="send",
    ),
    scenario("10k-emoji-never-publish-at-end", "y3", long_text("Ruby"), BLOCKED, "Ruby", about="ruby", via="submit"),
    scenario("emoji-innocent", "school", "👨‍👩‍👧‍👦🇬🇧👋🏽 Family picnic day! 🏴󠁧󠁢󠁷󠁬󠁳󠁿 🧑🏻‍🤝‍🧑🏾", PUBLISHED),
    scenario("emoji-between-names", "y3", "Ava🇬🇧Patel won!", BLOCKED, FULL, about="ava_patel"),
    scenario(
        "5000-pupils-full-name",
        "school",
        "Congratulations to Noah Kirkwood on his award!",
        BLOCKED,
        "Noah Kirkwood",
        big_register=True,
    ),
    scenario(
        "5000-pupils-innocent",
        "school",
        "Thank you to all our families for supporting the harvest festival collection.",
        PUBLISHED,
        big_register=True,
    ),
    scenario("5000-pupils-first-name-own-class", "y5", "Well done Noah!", BLOCKED, "Noah", big_register=True),
    scenario("only-punctuation", "y3", "!!! ... ??? --- ''' ---", PUBLISHED),
]


def test_the_long_texts_are_as_long_as_promised():
    assert len(long_text("Ava Patel")) == 10_000 and long_text("Ava Patel").endswith(" Ava Patel")
    assert "\u200d" in long_text("x") and "\U0001f3fd" in long_text("x")


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case, world):
    run(case, world)
