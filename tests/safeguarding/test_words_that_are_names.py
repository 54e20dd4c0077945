"""Issue 12, rule 4: words that are also names (Rose, Summer, Joy, Mark, Will, Grace, May, Hope)
count as names only in a name-like context: capitalised mid-sentence, next to a class/year
reference, joined to another pupil's name by "and" / "," / "&", with a surname or its initial,
or the pupil tagged. Innocent texts go out; names as parts of words ("lava", "Java",
"remarkable") are not names. Each innocent text goes out on the account where it would hurt
most: the class account of the pupil with that name."""

import pytest

from .journey import BLOCKED, PUBLISHED, WARNED, Photo, run, scenario

INNOCENT = [
    scenario("rose-summer-lower", "y3", "We planted a rose in the summer garden.", PUBLISHED),
    scenario("summer-fair", "y5", "Summer fair on Friday!", PUBLISHED),
    scenario("mark-calendars", "y5", "Mark your calendars for sports day.", PUBLISHED),
    scenario("will-you-join", "y3", "Will you join us at the concert?", PUBLISHED),
    scenario("joy-lower", "y3", "What a joy to see everyone at assembly", PUBLISHED),
    scenario("may-the-best", "y3", "May the best team win at sports day!", PUBLISHED),
    scenario("hope-lower", "y5", "We hope you enjoy the holidays.", PUBLISHED),
    scenario("will-lower", "y3", "We will sing at the Christmas concert.", PUBLISHED),
    scenario("ava-in-lava", "y3", "Lava lamps and volcanoes in science today.", PUBLISHED),
    scenario("ava-in-java", "school", "Year 6 coders wrote their first Java program.", PUBLISHED),
    scenario("mark-in-remarkable", "y5", "What a remarkable effort from our choir!", PUBLISHED),
    scenario("mark-in-marked", "y5", "The new netball court is marked out and ready.", PUBLISHED),
    scenario("word-initials", "y3", "We practised writing our initials in joined-up handwriting.", PUBLISHED),
    scenario("rose-ava-inside-words", "y3", "Rosemary and lavender grow in our sensory garden.", PUBLISHED),
    scenario("joy-in-enjoy", "y3", "Everyone will enjoy the joyful songs at the spring dance.", PUBLISHED),
    scenario(
        "innocent-with-consented-tag",
        "y3",
        "What a joy to see everyone at assembly",
        PUBLISHED,
        photos=(Photo(alt="The hall full of children singing", tags=("mohammed",)),),
    ),
]

NAME_LIKE = [
    scenario(
        "capitalised-mid-sentence-own-class",
        "y5",
        "Well done to Summer for her reading!",
        BLOCKED,
        "Summer",
        about="summer",
    ),
    scenario(
        "capitalised-mid-sentence-school", "school", "Well done to Summer for her reading!", WARNED, about="summer"
    ),
    scenario("joined-by-and", "school", "Rose and Joy sang a duet.", WARNED, about=("rose", "joy")),
    scenario("joined-list-own-class", "y3", "Summer, May & Hope won the relay!", BLOCKED, "May", about="may"),
    scenario("year-reference", "school", "Joy (Y3) won the poetry prize.", BLOCKED, "Joy", about="joy"),
    scenario("with-surname-initial", "school", "Summer H. won the poetry prize.", BLOCKED, "Summer H", about="summer"),
    scenario(
        "lower-case-but-tagged",
        "y3",
        "We planted a rose in the summer garden.",
        BLOCKED,
        "Rose",
        about="rose",
        photos=(Photo(alt="A girl with a watering can by the flower bed", tags=("rose",)),),
    ),
    scenario(
        "mark-own-class-mid-sentence", "y5", "A big well done to Mark for his model!", BLOCKED, "Mark", about="mark"
    ),
]


@pytest.mark.parametrize("case", INNOCENT)
def test_innocent_texts_go_out(case, world):
    run(case, world)


@pytest.mark.parametrize("case", NAME_LIKE)
def test_words_in_a_name_like_context_are_names(case, world):
    run(case, world)
