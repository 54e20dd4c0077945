"""The identity matcher on its own: how texts are read and which forms of a name are found."""

import datetime as dt

import pytest

from consent.identity import Form, build_index, find_names, tokens

REGISTER = [
    # id, class, year, first, preferred, other names, surname, leaving date
    (1, 10, 3, "Ava", "", "", "Patel", None),
    (2, 11, 5, "Ava", "", "", "Smith-Jones", None),
    (3, 11, 5, "Ruby", "", "", "Jones", None),
    (4, 10, 3, "Rose", "", "", "Taylor", None),
    (5, 10, 3, "Chloé", "", "", "Dubois", None),
    (6, 10, 3, "Łukasz", "", "", "Nowak", None),
    (7, 10, 3, "芳", "", "", "王", None),
    (8, 10, 3, "Siobhán", "", "", "O'Brien", None),
    (9, 10, 3, "William", "Billy", "Wills", "Grant", None),
    (10, 10, 3, "Anne-Marie", "", "", "Walsh", None),
    (11, 10, 3, "Summer", "", "", "Hughes", None),
    (12, 10, 3, "Rebecca", "", "Bex", "Cole", None),
    (13, 10, 3, "Tobias", "", "", "Quill", dt.date(2020, 7, 20)),
]
CLASSES = [(10, "Year 3", 3), (11, "Year 5 Oak", 5)]


@pytest.fixture(scope="module")
def index():
    return build_index(REGISTER, CLASSES)


def found(text, index):
    return [(text[m.start : m.end], m.form.value, m.pupil_ids) for m in find_names(text, index) if m.name_like]


@pytest.mark.parametrize(
    ("text", "written", "pupil"),
    [
        ("Well done #AvaPatel", "AvaPatel", 1),
        ("#ava_patel", "ava_patel", 1),
        ("#avapatel", "avapatel", 1),
        ("#WellDoneAvaPatel", "AvaPatel", 1),
        ("#welldoneavapatel", "welldoneavapatel", 1),
        ("@ava.patel", "ava.patel", 1),
        ("Patel, Ava", "Patel, Ava", 1),
        ("PATEL Ava", "PATEL Ava", 1),
        ("Ava J. Patel", "Ava J. Patel", 1),
        ("https://example.org/news/ava-patel-wins", "ava-patel", 1),
        ("Chloe Dubois", "Chloe Dubois", 5),
        ("Lukasz Nowak", "Lukasz Nowak", 6),
        ("王芳", "王芳", 7),
        ("Wang Fang", "Wang Fang", 7),
        ("Siobhan OBrien", "Siobhan OBrien", 8),
        ("Billy Grant", "Billy Grant", 9),
        ("Wills Grant", "Wills Grant", 9),
        ("Anne Marie Walsh", "Anne Marie Walsh", 10),
        ("Bex Cole", "Bex Cole", 12),
        ("Becky Cole", "Becky Cole", 12),
        ("A\u200bva Pa\u00adtel", "A\u200bva Pa\u00adtel", 1),
        ("𝐀𝐯𝐚 𝐏𝐚𝐭𝐞𝐥", "𝐀𝐯𝐚 𝐏𝐚𝐭𝐞𝐥", 1),
        ("Tobias Quill came back to visit", "Tobias Quill", 13),
    ],
)
def test_full_names_are_found_however_they_are_written(text, written, pupil, index):
    assert (written, Form.FULL.value, (pupil,)) in found(text, index)


@pytest.mark.parametrize(
    ("text", "written", "form"),
    [
        ("#AvaP", "AvaP", Form.SPECIFIC),
        ("Ava P. won", "Ava P", Form.SPECIFIC),
        ("Well done A.P.!", "A.P", Form.INITIALS),
        ("Well done A. P.", "A. P", Form.INITIALS),
        ("AP won the race", "AP", Form.INITIALS),
    ],
)
def test_surname_initials_and_initials_are_found(text, written, form, index):
    assert (written, form.value, (1,)) in found(text, index)


@pytest.mark.parametrize(
    "text",
    [
        "We planted a rose in the summer garden.",
        "Summer fair on Friday!",
        "Will you join us at the concert?",
        "we will grant every wish",
        "Lava and Java are not names",
        "Our PE and RE lessons",
        "Tobias visited",  # a leaver: only the full name counts
    ],
)
def test_everyday_words_initialisms_and_leavers_first_names_are_not_names(text, index):
    on_roll = [hit for hit in found(text, index) if 13 not in hit[2] or hit[1] == Form.FULL.value]
    assert on_roll == []


@pytest.mark.parametrize(
    "text", ["Well done Rose!", "Rose and Ava made a volcano", "Rose painted a tiger", "Rose (Year 3) sang"]
)
def test_a_name_that_is_a_word_counts_where_the_text_treats_it_as_a_name(text, index):
    assert ("Rose", Form.GIVEN.value, (4,)) in found(text, index)


def test_a_class_named_beside_a_name_says_whose_name_it_is(index):
    [match] = find_names("Ruby from Year 5 won", index)
    assert match.pupils_in_context(index) == (3,)
    [ava] = find_names("Ava in Year 5 sang", index)
    assert ava.pupil_ids == (1, 2) and ava.pupils_in_context(index) == (2,)


def test_tokens_split_hashtags_handles_and_keep_where_words_came_from():
    text = "Go #TeamOBrien and @ava_patel2024!"
    words = tokens(text)
    assert [word.text for word in words] == ["go", "team", "o", "brien", "and", "ava", "patel", "2024"]
    assert [word.tag for word in words] == [False, True, True, True, False, True, True, True]
    assert [text[word.start : word.end] for word in words][-3:] == ["ava", "patel", "2024"]


def test_a_long_text_with_emoji_sequences_is_read_and_the_name_at_its_end_found(index):
    text = "👨‍👩‍👧‍👦🏳️‍🌈👍🏽 " * 1500 + "Ava Patel"
    assert found(text, index)[-1] == ("Ava Patel", Form.FULL.value, (1,))


@pytest.mark.parametrize(
    ("text", "written"),
    [("A. Patel won the prize", "A. Patel"), ("Well done A Patel", "A Patel"), ("Ava Jones", "Ava Jones")],
)
def test_an_initial_with_the_surname_and_either_part_of_a_double_surname_are_full_names(text, written, index):
    assert any(hit[0] == written and hit[1] == Form.FULL.value for hit in found(text, index))


def test_an_initial_and_surname_after_a_title_is_an_adult(index):
    assert [hit for hit in found("Thank you Mrs A. Patel for the cakes", index) if hit[1] == Form.FULL.value] == []


def test_a_year_written_in_words_says_whose_name_it_is(index):
    [match] = find_names("Ruby from Year Five won", index)
    assert match.pupils_in_context(index) == (3,)


@pytest.mark.parametrize(
    "text",
    [
        "We are supporting the Poppy Appeal this week.",
        "Our Summer Fair raised £400!",
        "The Rose Garden is in bloom.",
        "Will Year 3 please bring wellies on Friday?",
        "Summer reading challenge starts today.",
    ],
)
def test_titles_and_a_class_after_an_everyday_word_do_not_make_it_a_name(text, index):
    assert [hit for hit in found(text, index) if hit[1] == Form.GIVEN.value] == []


@pytest.mark.parametrize("text", ["Rose (Y3) sang", "Rose from Year 3 sang", "Year 3's Rose sang"])
def test_a_class_written_beside_an_everyday_word_makes_it_a_name(text, index):
    assert ("Rose", Form.GIVEN.value, (4,)) in found(text, index)


def test_umlauts_match_with_or_without_their_dots_and_spelt_out():
    index = build_index([(1, 10, 3, "Jürgen", "", "", "Müller", None)], CLASSES)
    for text in ("Jürgen Müller", "Jurgen Muller", "Juergen Mueller", "#JuergenMueller"):
        assert [hit[1] for hit in found(text, index)] == [Form.FULL.value], text
