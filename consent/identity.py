"""The identity matcher: where a text names a pupil, however the name is written.

One matcher serves the consent check (`consent.checks`) and the rules engine
(`moderation.engine`), so both see the same names in the same places.

How a text is read (`tokens`): every character is folded once (invisible characters dropped,
compatibility forms and case folded, accents removed, other scripts transliterated to Latin
letters with anyascii), and runs of letters are split into words at spaces and punctuation,
at case changes inside a run ("AvaPatel", "OBrien"), between letters and digits, and around
each Chinese, Japanese or Korean character. Each word remembers where it came from in the
original text, whether it was capitalised, and whether it sat in a hashtag, a handle or a link.

What a pupil can be called (`IdentityIndex`): for every pupil on the register, the first,
preferred and other names (nicknames the register gives, and common short forms of the first
name), each with the surname in either order ("Ava Patel", "Patel, Ava"), with the surname's
initial ("Ava P."), run together as a hashtag or handle writes it ("avapatel"), and the initials
("A.P.", "AP"). A name that is also an everyday English word ("Rose", "Summer", "Will") counts
on its own only where the text treats it as a name (see `NameMatch.name_like`).

The work is linear in the text: each word is looked up in dictionaries keyed by a form's first
word (or the whole run-together form); no regular expression per pupil, no query per pupil. An
index is built once per school and process and kept until the school's `RegisterVersion`
token changes.
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache
from itertools import product

from anyascii import anyascii
from django.db import IntegrityError, transaction
from spellchecker import SpellChecker

from accounts.models import ClassGroup

from .models import Pupil, RegisterVersion

REBUILD_AFTER_SECONDS = 120
_SCHOOLS_KEPT = 256
# How far (in words) a class or year may be from a name and still say whose name it is.
_CONTEXT_WORDS = 6
# Run-together full names are also looked for inside longer hashtags ("#welldoneavapatel")
# when they are at least this long, so short ones do not turn up inside ordinary words.
_SHORTEST_HIDDEN_NAME = 7
_LONGEST_TAG_SEARCHED = 80


class Form(StrEnum):
    FULL = "full name"
    SPECIFIC = "first name and surname initial"
    GIVEN = "first name"
    INITIALS = "initials"


@dataclass(frozen=True)
class Token:
    text: str  # folded: lower-case ASCII letters and digits
    start: int  # the span of the original text it came from
    end: int
    gap: str  # the original characters between the previous word and this one ("" inside a run)
    capitalised: bool
    all_caps: bool
    tag: bool  # in a hashtag, a handle or a link
    sentence_start: bool


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    form: Form
    pupil_id: int
    word_name: bool = False  # a one-word name that is also an everyday word
    comma_at: int = 0  # surname first: the word before which a comma may stand ("Patel, Ava")
    initial_first: bool = False  # "A. Patel": the first word is the first name's initial


@dataclass(frozen=True)
class PupilEntry:
    pupil_id: int
    class_group_id: int | None
    year_group: int | None
    leaving_date: date | None
    short_name: str  # "Ava P." for messages: known-as name and surname initial
    initials: str  # "A.P."

    def on_roll(self, on: date) -> bool:
        return self.leaving_date is None or self.leaving_date > on


@dataclass
class IdentityIndex:
    pupils: dict[int, PupilEntry] = field(default_factory=dict)
    # A trie of name words: each node maps the next word to a node, and "" to the entries
    # ending there. Walking it costs one lookup per word of the text, however many pupils share
    # a first name.
    names: dict = field(default_factory=dict)
    run_together: dict[str, list[_Entry]] = field(default_factory=dict)
    hidden_lengths: tuple[int, ...] = ()
    initials: dict[str, list[_Entry]] = field(default_factory=dict)
    class_phrases: dict[str, list[tuple[tuple[str, ...], frozenset[int]]]] = field(default_factory=dict)
    classes_by_year: dict[int, frozenset[int]] = field(default_factory=dict)
    class_years: dict[int, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class NameMatch:
    """One place where the text names someone on the register."""

    start: int
    end: int
    form: Form
    pupil_ids: tuple[int, ...]
    in_tag: bool
    # Does the text treat these words as a name? Always for names that are not everyday
    # words; for "Rose" or "Will", only when capitalised mid-sentence, next to a class or a
    # year, joined to another name, or written with a surname or its initial.
    name_like: bool
    # Classes named next to it ("Ruby from Year 5"): the ids of the classes meant, if any.
    context_class_ids: frozenset[int] = frozenset()
    context_years: frozenset[int] = frozenset()

    def pupils_in_context(self, index: IdentityIndex) -> tuple[int, ...]:
        """Of the pupils this could be, those in the class or year named next to it."""
        if not (self.context_class_ids or self.context_years):
            return ()
        return tuple(
            pupil_id
            for pupil_id in self.pupil_ids
            if index.pupils[pupil_id].class_group_id in self.context_class_ids
            or index.pupils[pupil_id].year_group in self.context_years
            or index.class_years.get(index.pupils[pupil_id].class_group_id) in self.context_years
        )


# Reading a text.

# Letters that do not decompose into a base letter and an accent.
_LATIN_EXTRAS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ŀ": "l"})
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SENTENCE_END = frozenset(".!?…\n")
# Characters that may join the words of one name: spaces, hyphens, apostrophes, underscores,
# full stops (initials), commas (surname first) and the separators of links and handles.
_NAME_GLUE = frozenset(" \t\r\n\u00a0-\u2010\u2011'\u2019\u2018\u02bc_.,/")


def is_invisible(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def _is_own_word(char: str) -> bool:
    """Chinese, Japanese and Korean characters: written without spaces, each read as a word."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
    )


# What a character is to the tokenizer.
_SEPARATOR, _LOWER, _UPPER, _LETTER, _DIGIT, _CARRIED, _OWN_WORD = range(7)


@lru_cache(maxsize=65536)
def _character(char: str) -> tuple[str, int]:
    """A character as (folded lower-case ASCII letters and digits, what it is)."""
    if is_invisible(char) or unicodedata.combining(char):
        return "", _CARRIED  # part of the word around it: accents, joiners, soft hyphens
    base = unicodedata.normalize("NFKC", char)
    if not base or unicodedata.category(base[0])[0] not in "LN":
        return "", _SEPARATOR
    text = base.casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(_LATIN_EXTRAS)
    if not text.isascii():
        text = anyascii(text).lower()
    folded = "".join(c for c in text if c.isascii() and c.isalnum())
    if not folded:
        return "", _SEPARATOR
    if _is_own_word(char):
        return folded, _OWN_WORD
    if folded.isdigit() and unicodedata.category(base[0])[0] == "N":
        return folded, _DIGIT
    return folded, _UPPER if base[0].isupper() else _LOWER if base[0].islower() else _LETTER


# Cyrillic and Greek letters drawn like Latin ones. In a word that mixes them with Latin letters
# ("Аvа Раtеl" typed to slip past a filter) they are read as the Latin letters they look like;
# a word wholly in Cyrillic or Greek is transliterated as usual ("Мария" is "mariya").
_LOOKALIKES = {
    **dict(zip("АВЕКМНОРСТХУаеорсухіјѕԁһӏ", "abekmhopctxyaeopcyxijsdhl", strict=True)),
    **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοκνρτυχι", "abezhikmnoptyxaokvptuxi", strict=True)),
}


def _unmask_lookalikes(run: list[list], text: str) -> None:
    originals = [text[unit[1]] for unit in run]
    if any(char in _LOOKALIKES for char in originals) and any(char.isascii() for char in originals):
        for unit, char in zip(run, originals, strict=True):
            if char in _LOOKALIKES:
                unit[0] = _LOOKALIKES[char]


def tokens(text: str) -> list[Token]:
    """The words of `text`, folded, with where each came from (see the module docstring)."""
    links = [match.span() for match in _LINK.finditer(text)] if ("://" in text or "www." in text) else []
    result: list[Token] = []
    # The current run of letters and digits: (folded, start, end, kind) per character.
    run: list[list] = []
    gap_start = 0

    def flush() -> None:
        nonlocal gap_start
        if not run:
            return
        start = run[0][1]
        gap = text[gap_start:start]
        tag = (
            gap.endswith(("#", "@"))
            or (bool(result) and result[-1].tag and bool(gap) and not any(char.isspace() for char in gap))
            or any(left <= start < right for left, right in links)
        )
        if result:
            stripped = gap.rstrip(" \t\u00a0\"'“”‘’()[]")
            starts_sentence = bool(stripped) and (stripped[-1] in _SENTENCE_END or "\n" in gap)
        else:
            starts_sentence = True
        if len(run) > 1:
            _unmask_lookalikes(run, text)
        pieces = [[run[0]]]
        for position in range(1, len(run)):
            previous, unit = run[position - 1], run[position]
            kind, before = unit[3], previous[3]
            camel = (before == _LOWER and kind == _UPPER) or (
                before == _UPPER and kind == _UPPER and position + 1 < len(run) and run[position + 1][3] == _LOWER
            )
            # Digits part words only in hashtags, handles and links ("@amara2024"): in prose,
            # "Amara2024" is a made-up word.
            if camel or (tag and (kind == _DIGIT) != (before == _DIGIT)):
                pieces.append([unit])
            else:
                pieces[-1].append(unit)
        for number, piece in enumerate(pieces):
            letters = [unit[3] for unit in piece if unit[3] != _DIGIT]
            result.append(
                Token(
                    text="".join(unit[0] for unit in piece),
                    start=piece[0][1],
                    end=piece[-1][2],
                    gap=gap if number == 0 else "",
                    capitalised=bool(letters) and letters[0] == _UPPER,
                    all_caps=len(letters) > 1 and all(kind == _UPPER for kind in letters),
                    tag=tag,
                    sentence_start=starts_sentence and number == 0,
                )
            )
        gap_start = run[-1][2]
        run.clear()

    for position, char in enumerate(text):
        folded, kind = _character(char)
        if kind == _SEPARATOR:
            if run:
                flush()
        elif kind == _CARRIED:
            if run:
                run[-1][2] = position + 1
        elif kind == _OWN_WORD:
            flush()
            run.append([folded, position, position + 1, kind])
            flush()
        else:
            run.append([folded, position, position + 1, kind])
    flush()
    return result


# What pupils can be called.


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# First names that are also everyday English words, so that "a rose", "the summer term" or
# "will you join us" do not read as names. Short names and the commonest words are added in
# `_is_everyday_word`.
EVERYDAY_NAMES = _words(
    """
    amber angel april art ash august autumn bay bear bill birch blossom bob brook brooke buddy candy
    chase cherry clay cliff crystal daisy dale dawn destiny drew duke earl faith fern flora forest
    fox frank gem ginger glen grace guy harmony hazel heath heather holly honey hope hunter iris ivy
    jack jasmine joy journey june king lark lavender liberty lily major mark max may melody
    mercy miles misty olive ocean pat patience pearl penny poppy price prince rain ray reed rich
    river robin rocky rose rowan rusty saffron sage sandy sky sonny star stone storm summer
    sunny sunshine sue violet wade will willow winter wolf wren
    """
)

# Common short forms of first names, so "Lizzie" is found for Elizabeth. Only forms that point
# back to one or two full names are listed; the register's own "other names" add the rest.
SHORT_FORMS = {
    "alexander": ("alex", "xander"),
    "alexandra": ("alex", "lexi"),
    "benjamin": ("ben", "benji"),
    "charles": ("charlie",),
    "charlotte": ("lottie", "charlie"),
    "christopher": ("chris",),
    "daniel": ("dan", "danny"),
    "edward": ("ed", "eddie", "ted"),
    "elizabeth": ("liz", "lizzie", "beth", "eliza", "libby"),
    "frederick": ("freddie", "fred"),
    "gabriel": ("gabe",),
    "harrison": ("harry",),
    "isabella": ("bella", "izzy"),
    "isabelle": ("izzy", "bella"),
    "jacob": ("jake",),
    "james": ("jamie", "jim"),
    "jennifer": ("jen", "jenny"),
    "jessica": ("jess",),
    "jonathan": ("jon", "jonny"),
    "joseph": ("joe",),
    "katherine": ("kate", "katie", "kat"),
    "catherine": ("kate", "katie", "cat"),
    "margaret": ("maggie", "meg"),
    "matthew": ("matt",),
    "michael": ("mike", "mikey"),
    "nathaniel": ("nathan", "nate"),
    "nicholas": ("nick",),
    "oliver": ("ollie",),
    "rebecca": ("becky", "bex"),
    "robert": ("rob", "robbie", "bob", "bobby"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam",),
    "sophia": ("sophie",),
    "theodore": ("theo", "ted"),
    "thomas": ("tom", "tommy"),
    "victoria": ("tori", "vicky"),
    "william": ("will", "billy", "bill", "liam"),
    "zachary": ("zach", "zak"),
}

# Two- and three-letter capitals that are school words, not a child's initials.
NOT_INITIALS = _words(
    """
    am an as at be by do dt eal eyfs fa fs go gp he hi ict id if in is it ks me mp ms mr my no of ok
    on or pa pe pm ps pta re rs sats sen so st ta to tv uk up us we yr pp dh ht slt bbc nhs fyi diy
    vip faq aka rip usa eu ai pc dj ad bc mfl pshe rse ks1 ks2 tbc ah eh ha hm oh oi ow ya ye yo ox
    ax ex lo ma nu xl
    """
)


def _is_everyday_word(word: str) -> bool:
    return word in EVERYDAY_NAMES or len(word) <= 2 or word in _english(50e-6)


@lru_cache(maxsize=4)
def _english(share: float) -> frozenset[str]:
    """English words at least this common (a share of all words in pyspellchecker's corpus):
    at 50 per million the commonest few hundred ("will", "may", "hope"), at 5 per million
    everyday nouns too ("grant", "brown", "king")."""
    frequency = SpellChecker(language="en").word_frequency
    threshold = frequency.total_words * share
    return frozenset(word for word, count in frequency.dictionary.items() if count >= threshold)


def name_words(name: str) -> tuple[str, ...]:
    return tuple(token.text for token in tokens(name))


# German and Scandinavian letters are also written spelt out ("Müller" as "Mueller").
_SPELT_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "å": "aa", "Å": "Aa"})


def _spellings(name: str) -> list[tuple[str, ...]]:
    """The name's words, and also with umlauts spelt out where it has any."""
    return [words for words in dict.fromkeys((name_words(name), name_words(name.translate(_SPELT_OUT)))) if words]


def _other_names(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;/]", value or "") if part.strip()]


def build_index(pupils: Iterable[tuple], classes: Iterable[tuple[int, str, int | None]]) -> IdentityIndex:
    """An index of what each pupil can be called.

    `pupils`: (id, class_group_id, year_group, first_name, preferred_name, other_names, surname,
    leaving_date); `classes`: (id, name, year_group).
    """
    index = IdentityIndex()
    run_together: dict[str, list[_Entry]] = {}
    hidden: set[int] = set()
    for pupil_id, class_group_id, year_group, first, preferred, other, surname, leaving_date in pupils:
        surname_words = name_words(surname)
        first_words = name_words(first)
        known_as = preferred or first
        short = f"{known_as} {surname[:1].upper()}." if surname else known_as
        initials = "".join(f"{word[0].upper()}." for word in (first_words[:1] + surname_words)[:3])
        index.pupils[pupil_id] = PupilEntry(pupil_id, class_group_id, year_group, leaving_date, short, initials)
        givens = [
            *_spellings(first),
            *_spellings(preferred),
            *(spelling for name in _other_names(other) for spelling in _spellings(name)),
        ]
        if len(first_words) > 1:
            givens.append(first_words[:1])  # "Anne" for Anne-Marie
        for word in first_words[:1]:
            givens += [(nickname,) for nickname in SHORT_FORMS.get(word, ())]
        givens = [given for given in dict.fromkeys(givens) if given]

        entries: list[_Entry] = []
        for given, surname_words in product(givens, _spellings(surname) or [()]):
            if not any(entry.words == given and entry.form == Form.GIVEN for entry in entries):
                entries.append(_Entry(given, Form.GIVEN, pupil_id, len(given) == 1 and _is_everyday_word(given[0])))
            if surname_words:
                # "will grant" is a phrase before it is Will Grant: a name made only of everyday
                # words needs a capital (or a hashtag); "rose taylor" is Rose Taylor in any case.
                everyday = all(_is_everyday_word(word) for word in given) and all(
                    _is_everyday_word(word) or word in _english(5e-6) for word in surname_words
                )
                entries.append(_Entry(given + surname_words, Form.FULL, pupil_id, everyday))
                entries.append(_Entry(surname_words + given, Form.FULL, pupil_id, everyday, len(surname_words)))
                entries.append(_Entry(given + (surname_words[0][0],), Form.SPECIFIC, pupil_id, everyday))
                if "-" in surname and len(surname_words) > 1:  # "Ava Smith" or "Ava Jones" for Ava Smith-Jones
                    entries.append(_Entry(given + surname_words[:1], Form.FULL, pupil_id, everyday))
                    entries.append(_Entry(given + surname_words[-1:], Form.FULL, pupil_id, everyday))
        for entry in entries:
            node = index.names
            for word in entry.words:
                node = node.setdefault(word, {})
            node.setdefault("", []).append(entry)
            if len(entry.words) > 1:
                joined = "".join(entry.words)
                run_together.setdefault(joined, []).append(entry)
                if entry.form == Form.FULL and len(joined) >= _SHORTEST_HIDDEN_NAME:
                    hidden.add(len(joined))
        if first_words and surname_words and not all(_is_everyday_word(word) for word in surname_words):
            # "A. Patel": the first name's initial and the surname (not after "Mr" or "Mrs").
            for given in dict.fromkeys((first_words, name_words(preferred))):
                if given:
                    entry = _Entry((given[0][0], *surname_words), Form.FULL, pupil_id, initial_first=True)
                    node = index.names
                    for word in entry.words:
                        node = node.setdefault(word, {})
                    node.setdefault("", []).append(entry)
        if first_words and surname_words:
            for given in (first_words, name_words(preferred)):
                if given:
                    letters = given[0][0] + "".join(word[0] for word in surname_words)
                    for key in dict.fromkeys((letters, letters[:2])):
                        index.initials.setdefault(key, []).append(_Entry((key,), Form.INITIALS, pupil_id))
    index.run_together = run_together
    index.hidden_lengths = tuple(sorted(hidden))
    for class_id, name, year_group in classes:
        words = name_words(name)
        if words:
            index.class_phrases.setdefault(words[0], []).append((words, frozenset({class_id})))
        index.class_years[class_id] = year_group
        if year_group is not None:
            index.classes_by_year[year_group] = index.classes_by_year.get(year_group, frozenset()) | {class_id}
    return index


# Finding names.


def _glue(previous: Token, token: Token) -> str | None:
    """What joins `previous` and `token` as two words of one name: "" (spaces, hyphens,
    apostrophes, underscores, a full stop after an initial), "," (the surname first, checked by
    the caller), or None when they cannot be one name."""
    rest = "".join(token.gap.split())
    if rest and len(rest) <= 16 and all(unicodedata.category(char)[0] == "S" or is_invisible(char) for char in rest):
        return ""  # emoji between the words of a name ("Ava🇬🇧Patel") still join them
    if len(rest) > 2 or not all(char in _NAME_GLUE for char in rest):
        return None
    if "." in rest and len(previous.text) != 1 and not (previous.tag and token.tag):
        return None
    return "," if "," in rest else ""


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "rev", "dame", "lady", "lord"})


def _initial_then_surname(toks: list[Token], position: int) -> bool:
    """ "A. Patel" or "A Patel" as a pupil's name: a capital initial, not after a title ("Mrs A. Patel")."""
    initial = toks[position]
    if len(initial.text) != 1 or not initial.capitalised or initial.text.isdigit():
        return False
    return position == 0 or toks[position - 1].text not in _TITLES


def _walk(toks: list[Token], position: int, node: dict) -> list[tuple[int, _Entry]]:
    """The names written from `position` on: (past the last word, entry) for each.

    `node` is the trie node after the word at `position`. A full name may have one word
    between its parts, a middle name or initial ("Ava J. Patel"); a comma may stand only
    where an entry puts the surname first ("Patel, Ava").
    """
    found = []
    stack = [(node, position + 1, 1, False, 0)]  # node, next token, words matched, skipped, comma at
    while stack:
        node, at, matched, skipped, comma_at = stack.pop()
        for entry in node.get("", ()):
            if (not skipped or entry.form == Form.FULL) and comma_at in (0, entry.comma_at):
                if entry.initial_first and not _initial_then_surname(toks, position):
                    continue
                found.append((at, entry))
        if at >= len(toks) or len(node) == ("" in node):
            continue
        token, previous = toks[at], toks[at - 1]
        glue = _glue(previous, token)
        if glue is None:
            continue
        comma = matched if glue == "," else 0
        if comma and comma_at:
            continue
        child = node.get(token.text)
        if child is not None:
            stack.append((child, at + 1, matched + 1, skipped, comma or comma_at))
        if not skipped and not comma and (len(token.text) == 1 or token.capitalised) and not token.text.isdigit():
            stack.append((node, at + 1, matched, True, comma_at))
    return found


def _initials_at(toks: list[Token], position: int) -> tuple[str, int] | None:
    """Initials written from `position`: "AP", "A.P.", "A. P." (capitals only). (letters, past the end)."""
    token = toks[position]
    if token.all_caps and len(token.text) == 2 and token.text.isalpha():
        return token.text, position + 1
    if len(token.text) != 1 or not token.capitalised:
        return None
    letters, at = token.text, position + 1
    dotted = False
    while at < len(toks) and len(letters) < 3:
        following = toks[at]
        if len(following.text) != 1 or not following.capitalised or following.gap.strip() not in (".", ""):
            break
        if following.gap.strip() == "." or "." in following.gap:
            dotted = True
        letters += following.text
        at += 1
    after = toks[at].gap if at < len(toks) else ""
    dotted = dotted or after.startswith(".")
    if len(letters) >= 2 and dotted:
        return letters, at
    return None


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
}  # fmt: skip
_YEAR_WORD = re.compile(r"(?:y|yr|year)(\d{1,2})")


def _class_mentions(toks: list[Token], index: IdentityIndex) -> list[tuple[int, int, frozenset[int], frozenset[int]]]:
    """Where the text names a class or a year: (first word, past the last, class ids, years)."""
    found = []
    for position, token in enumerate(toks):
        year = None
        joined = _YEAR_WORD.fullmatch(token.text)  # "Y5", "Yr5" written as one word
        if joined:
            year = int(joined.group(1))
            found.append((position, position + 1, index.classes_by_year.get(year, frozenset()), frozenset({year})))
        elif (
            token.text in ("year", "yr")
            and position + 1 < len(toks)
            and toks[position + 1].text in _NUMBER_WORDS
            and len(toks[position + 1].gap) <= 1
        ):
            year = _NUMBER_WORDS[toks[position + 1].text]
            found.append((position, position + 2, index.classes_by_year.get(year, frozenset()), frozenset({year})))
        elif token.text in ("year", "yr", "y") and position + 1 < len(toks) and toks[position + 1].text.isdigit():
            if len(toks[position + 1].gap) <= 1:
                year = int(toks[position + 1].text)
                found.append((position, position + 2, index.classes_by_year.get(year, frozenset()), frozenset({year})))
        elif token.text == "reception":
            found.append((position, position + 1, index.classes_by_year.get(0, frozenset()), frozenset({0})))
        for words, class_ids in index.class_phrases.get(token.text, ()):
            end = position + len(words)
            if end <= len(toks) and all(toks[position + k].text == words[k] for k in range(1, len(words))):
                found.append((position, end, class_ids, frozenset()))
    return found


def find_names(text: str, index: IdentityIndex, *, toks: list[Token] | None = None) -> list[NameMatch]:
    """Every place `text` names a pupil of the index, longest forms first ("Ava Patel" is one
    full name, not also the first name "Ava")."""
    if toks is None:
        toks = tokens(text)
    if not toks or not index.pupils:
        return []
    found: list[tuple[int, int, Form, list[_Entry]]] = []
    for position, token in enumerate(toks):
        by_end: dict[tuple[int, Form], list[_Entry]] = {}
        start = index.names.get(token.text)
        if start is not None:
            for end, entry in _walk(toks, position, start):
                by_end.setdefault((end, entry.form), []).append(entry)
        for entry in index.run_together.get(token.text, ()):
            by_end.setdefault((position + 1, entry.form), []).append(entry)
        if token.tag and index.hidden_lengths and len(token.text) <= _LONGEST_TAG_SEARCHED:
            for length in index.hidden_lengths:
                if length >= len(token.text):
                    break
                for offset in range(len(token.text) - length + 1):
                    for entry in index.run_together.get(token.text[offset : offset + length], ()):
                        if entry.form == Form.FULL:
                            by_end.setdefault((position + 1, Form.FULL), []).append(entry)
        initials = _initials_at(toks, position)
        if initials is not None and initials[0] not in NOT_INITIALS:
            for entry in index.initials.get(initials[0], ()):
                by_end.setdefault((initials[1], Form.INITIALS), []).append(entry)
        for (end, form), entries in by_end.items():
            found.append((position, end, form, entries))

    kept = _outermost(found)
    classes = _class_mentions(toks, index)
    matches = []
    for number, (first, end, form, entries) in enumerate(kept):
        pupil_ids = tuple(dict.fromkeys(entry.pupil_id for entry in entries))
        near = [
            mention
            for mention in classes
            if mention[0] < end + _CONTEXT_WORDS
            and mention[1] > first - _CONTEXT_WORDS
            and not (mention[0] < end and mention[1] > first)
        ]
        context_ids = frozenset().union(*(mention[2] for mention in near)) if near else frozenset()
        context_years = frozenset().union(*(mention[3] for mention in near)) if near else frozenset()
        everyday = all(entry.word_name for entry in entries)
        if everyday and form != Form.GIVEN:
            # With a surname or its initial, a capital (or a hashtag) is enough.
            if not (toks[first].capitalised or toks[first].tag):
                continue
            everyday = False
        name_like = (
            not everyday
            or any(_class_beside(toks, first, end, mention) for mention in near)
            or _capitalised_as_name(toks, first)
            or _joined_to_other_name(toks, kept, number)
        )
        matches.append(
            NameMatch(
                start=toks[first].start,
                end=toks[end - 1].end,
                form=form,
                pupil_ids=pupil_ids,
                in_tag=toks[first].tag,
                name_like=name_like,
                context_class_ids=context_ids,
                context_years=context_years,
            )
        )
    return matches


_RANK = {Form.FULL: 3, Form.SPECIFIC: 2, Form.INITIALS: 1, Form.GIVEN: 1}


def _outermost(found: list[tuple[int, int, Form, list[_Entry]]]) -> list[tuple[int, int, Form, list[_Entry]]]:
    """Drop matches inside a longer one; of equal spans keep the most telling form."""
    found.sort(key=lambda match: (match[0], -(match[1] - match[0]), -_RANK[match[2]]))
    kept: list[tuple[int, int, Form, list[_Entry]]] = []
    reach = -1
    for match in found:
        first, end = match[0], match[1]
        if end <= reach:
            if kept and kept[-1][0] == first and kept[-1][1] == end and kept[-1][2] == match[2]:
                kept[-1][3].extend(match[3])
            continue
        if kept and first < kept[-1][1]:
            continue  # overlaps a longer match that starts earlier
        kept.append((first, end, match[2], list(match[3])))
        reach = end
    return kept


# After a name at the start of a sentence, words that say it is somebody doing something
# ("Will painted", "Rose won"), where "Will you…" and "May the…" read as ordinary words.
_DOINGS = _words(
    """
    won wrote made drew sang read took ran built came gave got did said told showed shows loves
    likes led swam scored painted baked helped
    """
)


def _capitalised_as_name(toks: list[Token], position: int) -> bool:
    token = toks[position]
    if not token.capitalised or token.all_caps or token.tag:
        return False
    following = toks[position + 1] if position + 1 < len(toks) else None
    if token.sentence_start:
        return (
            following is not None
            and not following.capitalised
            and (following.text in _DOINGS or following.text.endswith("ed"))
        )
    # Before another capitalised word ("the Poppy Appeal", "our Summer Fair", "Rose Class") the
    # capital belongs to a title, not a name: a name with its surname is a full name anyway.
    return following is None or not (following.capitalised and following.text.isalpha())


def _class_beside(toks: list[Token], first: int, end: int, mention: tuple) -> bool:
    """Is the class or year written right beside the name, saying whose it is: "Rose (Y3)",
    "Rose from Year 3", "Rose in 3B", "Year 3's Rose"? ("Will Year 3 please…" is not.)"""
    start, stop = mention[0], mention[1]
    if start == end:
        return "(" in toks[start].gap
    if start == end + 1:
        return toks[end].text in ("from", "in", "of")
    if stop == first:
        return True
    return stop == first - 1 and toks[stop].text == "s"  # "Year 3's Rose"


def _joined_to_other_name(toks: list[Token], kept: list, number: int) -> bool:
    """Is this name listed with another ("Rose and Ava", "Ava, Rose & Sam")?"""
    first, end = kept[number][0], kept[number][1]
    for other_number in (number - 1, number + 1):
        if not 0 <= other_number < len(kept):
            continue
        other_first, other_end, _, other_entries = kept[other_number]
        if all(entry.word_name for entry in other_entries) and not (
            toks[first].capitalised and toks[other_first].capitalised
        ):
            continue  # "rose and joy" is two words; "Rose and Joy" two names
        left, right = (other_end, first) if other_number < number else (end, other_first)
        between = [token.text for token in toks[left:right]]
        gap = toks[right].gap if right < len(toks) else ""
        if between in ([], ["and"]) and (between or gap.strip() in (",", "&")):
            return True
    return False


# The index of each school, kept in memory.

_cache: OrderedDict[int, tuple[str, float, IdentityIndex]] = OrderedDict()
_cache_lock = threading.Lock()


def register_changed(*, school_id: int) -> str:
    """Tell every process that the school's pupils or classes changed (in the changing
    transaction). Returns the new token."""
    token = uuid.uuid4().hex
    if RegisterVersion.objects.filter(school_id=school_id).update(token=token):
        return token
    try:
        with transaction.atomic():
            RegisterVersion.objects.create(school_id=school_id, token=token)
    except IntegrityError:  # made by a concurrent change a moment ago
        RegisterVersion.objects.filter(school_id=school_id).update(token=token)
    return token


def index_for(school_id: int) -> IdentityIndex:
    """The school's index, rebuilt when its register changed (one query when it has not)."""
    token = RegisterVersion.objects.filter(school_id=school_id).values_list("token", flat=True).first()
    now = time.monotonic()
    if token is not None:
        with _cache_lock:
            cached = _cache.get(school_id)
            if cached is not None and cached[0] == token and now - cached[1] < REBUILD_AFTER_SECONDS:
                _cache.move_to_end(school_id)
                return cached[2]
    if token is None:
        token = register_changed(school_id=school_id)  # a school with no pupils yet, or an older one
    index = build_school_index(school_id)
    with _cache_lock:
        _cache[school_id] = (token, now, index)
        _cache.move_to_end(school_id)
        while len(_cache) > _SCHOOLS_KEPT:
            _cache.popitem(last=False)
    return index


def forget(school_id: int) -> None:
    with _cache_lock:
        _cache.pop(school_id, None)


def build_school_index(school_id: int) -> IdentityIndex:
    # Only names and where pupils are: never the never-publish flag or its reason.
    pupils = Pupil.objects.filter(school_id=school_id).values_list(
        "pk", "class_group_id", "year_group", "first_name", "preferred_name", "other_names", "surname", "leaving_date"
    )
    classes = ClassGroup.objects.filter(school_id=school_id).values_list("pk", "name", "year_group")
    return build_index(pupils, classes)
