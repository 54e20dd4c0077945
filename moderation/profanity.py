"""Offensive language: a maintained list, the school's own words, and the usual disguises.

The standard list is better-profanity's word list (MIT licence, works offline), read as data:
its own matcher censors text but cannot say where a word is in the original, and needs no
help from us to be fooled by Unicode. Entries that are ordinary words in a school's posts are
taken out (see `wordlists.LIBRARY_WORDS_NOT_OFFENSIVE`) and British words it lacks added.

Matching is on whole words, so "Scunthorpe", "assembly", "cocktail" and "therapist" are never
flagged for the words inside them. Disguises found: letters as digits or symbols ("sh1t",
"a$$"), masked letters ("f*ck"), stretched letters ("fuuuck"), spaced or dotted letters
("f u c k", "s.h.i.t"), accents and look-alike letters from other alphabets ("fück", Cyrillic
"с"), and invisible characters (dropped when the text is folded).
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .matching import PhraseIndex, phrase_words
from .text import Analysis
from .wordlists import (
    EXTRA_OFFENSIVE_WORDS,
    EXTRA_SEXUAL_WORDS,
    EXTRA_SLURS_AND_INSULTS,
    INNOCENT_AFTER,
    INNOCENT_BEFORE,
    LEET,
    LEET_ALTERNATIVES,
    LIBRARY_WORDS_NOT_OFFENSIVE,
    LOOKALIKES,
    MASKS,
    ROOT_FOUND_INSIDE_WORDS,
    STRONG_ROOT_ENDINGS,
    STRONG_ROOTS,
)

# Spaced-out words are looked for in runs of single letters up to this long.
_LONGEST_SPACED_WORD = 12
# One character and two repeats of it: a fixed-length pattern, so it cannot backtrack.
_STRETCH = re.compile(r"(.)\1\1")
# Runs of anything but white space.
_CHUNK = re.compile(r"\S+")
# Between spaced-out letters: a few separators on one line ("f u c k", "f.u.c.k", "f - u").
_SPACING = frozenset(" \t.-_*|~")


@cache
def standard_list() -> frozenset[str]:
    """better-profanity's list without the school-innocent entries, plus British and measured additions.

    An entry is left out if it reads as a left-out word once undisguised ("h0m0" goes with "homo").
    """
    text = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    listed = {line.strip().lower() for line in text.splitlines() if line.strip()}
    innocent = {_entry_words(entry) for entry in LIBRARY_WORDS_NOT_OFFENSIVE}
    kept = {entry for entry in listed if _entry_words(entry) not in innocent}
    return frozenset(kept | EXTRA_OFFENSIVE_WORDS | EXTRA_SEXUAL_WORDS | EXTRA_SLURS_AND_INSULTS)


def _entry_words(entry: str) -> tuple[str, ...]:
    """A listed entry as words; entries written in disguise ("sh!+", "p.u.s.s.y.") are undisguised.

    A number stays a number, alone or in a phrase ("2 girls 1 cup")."""
    undisguised = " ".join(
        part if part.isdigit() else "".join(LEET.get(char, char) for char in part if char not in MASKS)
        for part in entry.split(" ")
    )
    if any(char in LEET for char in entry) and " " not in entry:
        return (undisguised.replace(".", "").replace("-", "").replace("_", ""),)
    return phrase_words(undisguised)


@dataclass(frozen=True)
class Match:
    start: int  # in the original text
    end: int


class OffensiveMatcher:
    """Listed words and phrases (`entries`), except those the school allows (`allowed`)."""

    def __init__(self, entries: Iterable[str], *, allowed: Iterable[str] = ()):
        allowed_words = {_entry_words(entry) for entry in allowed}
        entry_words = {words for words in map(_entry_words, entries) if words and words not in allowed_words}
        self.single = {words[0] for words in entry_words if len(words) == 1}
        self.single |= {root + ending for root in STRONG_ROOTS & self.single for ending in STRONG_ROOT_ENDINGS}
        self.single -= {words[0] for words in allowed_words if len(words) == 1}
        entry_words |= {(word,) for word in self.single}
        self.phrases = PhraseIndex(entry_words)
        # Every beginning of a listed word, so a run of spaced-out letters is read only as far as
        # it could still spell one.
        self.beginnings = {word[:length] for word in self.single for length in range(1, len(word) + 1)}
        # Masked words ("f*ck") are compared with listed words of the same length and first letter.
        self.by_shape: dict[tuple[int, str], list[str]] = {}
        for word in self.single:
            self.by_shape.setdefault((len(word), word[0]), []).append(word)

    def find(self, analysis: Analysis) -> list[Match]:
        words = analysis.words
        spans: list[tuple[int, int]] = []
        for first, end in self.phrases.find(analysis):
            if not _innocent_here(analysis, first, end):
                spans.append((words[first].start, words[end - 1].end))
        for word in words:
            if word.text not in self.single and (self._listed(word.text) or self._disguised(word.text)):
                spans.append((word.start, word.end))
        spans += self._in_chunks(analysis)
        spans += self._spaced_out(analysis)
        return [Match(start, end) for start, end in _outermost(spans)]

    def _listed(self, candidate: str) -> bool:
        return candidate in self.single or (
            ROOT_FOUND_INSIDE_WORDS in candidate and ROOT_FOUND_INSIDE_WORDS in self.single
        )

    def _disguised(self, word: str) -> bool:
        """Is this word a listed word in disguise (digits, stretched letters, accents, look-alikes)?"""
        if word.isascii() and word.isalpha() and not _has_stretch(word):
            return False  # the common case, answered without building candidates
        return any(self._listed(candidate) for candidate in _undisguised(word))

    def _in_chunks(self, analysis: Analysis) -> list[tuple[int, int]]:
        """Words that symbols split or hide: "a$$", "sh!t", "f*ck", "@rse"."""
        spans = []
        folded = analysis.folded
        for start, end in _symbol_chunks(folded):
            core = folded[start:end]
            if sum(char.isalpha() for char in _leet_variants(core)[0]) < 2:
                continue
            if any(char in MASKS for char in core) and self._masked(core):
                spans.append(analysis.span(start, end))
                continue
            for variant in _leet_variants(core):
                if self._listed(variant) or self._disguised(variant):
                    spans.append(analysis.span(start, end))
                    break
        return spans

    def _masked(self, core: str) -> bool:
        if core[0] in MASKS:
            return False
        shape = "".join(LEET.get(char, char) if char not in MASKS else "*" for char in core)
        visible = sum(char != "*" for char in shape)
        if visible < 2 or visible * 2 < len(shape):
            return False
        return any(
            all(mask == "*" or mask == letter for mask, letter in zip(shape, word, strict=True))
            for word in self.by_shape.get((len(shape), shape[0]), ())
        )

    def _spaced_out(self, analysis: Analysis) -> list[tuple[int, int]]:
        """Single letters spaced out into a word: "f u c k", "s.h.i.t"."""
        words = analysis.words
        spans = []
        run: list[int] = []
        for index, word in enumerate(words):
            single = len(word.text) == 1 and word.text.isalpha()
            if single and run and _spacing(analysis.gaps[index - 1]):
                run.append(index)
                continue
            spans += self._spelt_in(analysis, run)
            run = [index] if single else []
        spans += self._spelt_in(analysis, run)
        return spans

    def _spelt_in(self, analysis: Analysis, run: list[int]) -> list[tuple[int, int]]:
        if len(run) < 3:
            return []
        letters = "".join(analysis.words[index].text for index in run)
        spans = []
        for first in range(len(letters)):
            for last in range(first + 1, min(len(letters), first + _LONGEST_SPACED_WORD) + 1):
                candidate = letters[first:last]
                if candidate not in self.beginnings:
                    break
                if last - first >= 3 and candidate in self.single:
                    spans.append((analysis.words[run[first]].start, analysis.words[run[last - 1]].end))
        return spans


def _undisguised(word: str) -> set[str]:
    """The ways a word might read once its disguises are taken off (not including the word itself)."""
    candidates = set()
    plain = word
    if not word.isascii():
        plain = _latin(word)
        candidates.add(plain)
    if any(char.isdigit() for char in plain) and any(char.isalpha() for char in plain):
        candidates |= set(_leet_variants(plain))
    for candidate in list(candidates) + [plain]:
        if _has_stretch(candidate):
            candidates |= {_squeeze(candidate, 1), _squeeze(candidate, 2)}
    candidates.discard(word)
    return candidates


def _latin(word: str) -> str:
    """Accents removed and look-alike letters replaced, for words that mix in Latin letters."""
    stripped = "".join(char for char in unicodedata.normalize("NFD", word) if not unicodedata.combining(char))
    if any("a" <= char <= "z" for char in stripped):
        stripped = stripped.translate(LOOKALIKES)
    return stripped


def _leet_variants(core: str) -> list[str]:
    """The core with digits and symbols read as letters, other punctuation dropped."""
    read = "".join(LEET.get(char, char) for char in core if char.isalnum() or char in LEET)
    variants = [read]
    if any(char in LEET_ALTERNATIVES for char in core):
        variants.append("".join(LEET_ALTERNATIVES.get(char, LEET.get(char, char)) for char in core if char.isalnum()))
    return variants


def _has_stretch(word: str) -> bool:
    """Three or more of one letter in a row, which no English word has ("fuuuck")."""
    return _STRETCH.search(word) is not None


def _squeeze(word: str, longest: int) -> str:
    """Runs of one letter cut down to `longest`."""
    out = []
    for char in word:
        if len(out) >= longest and all(previous == char for previous in out[-longest:]):
            continue
        out.append(char)
    return "".join(out)


_SYMBOLS = MASKS | {char for char in LEET if not char.isalnum()}


def _symbol_chunks(folded: str) -> Iterable[tuple[int, int]]:
    """Spans of the folded text with letters and symbols mixed ("a$$", "f*ck", "sh!t", "@rse").

    Only chunks between white space that contain a symbol are looked at letter by letter.
    """
    for chunk in _CHUNK.finditer(folded):
        if _SYMBOLS.isdisjoint(chunk.group()):
            continue
        start = None
        for position in range(chunk.start(), chunk.end()):
            char = folded[position]
            if char.isalnum() or char in _SYMBOLS or char in "._-":
                if start is None:
                    start = position
                continue
            if start is not None:
                yield from _trimmed(folded, start, position, _SYMBOLS)
                start = None
        if start is not None:
            yield from _trimmed(folded, start, chunk.end(), _SYMBOLS)


def _trimmed(folded: str, start: int, end: int, symbols: frozenset[str]) -> Iterable[tuple[int, int]]:
    """The chunk without trailing full stops and exclamation marks, if it has symbols inside a word."""
    while end > start and folded[end - 1] in ".!_-":
        end -= 1
    while start < end and folded[start] in "._-":
        start += 1
    inner = folded[start:end]
    if any(char in symbols for char in inner) and any(char.isalpha() for char in inner):
        yield start, end


def _spacing(gap: str) -> bool:
    return 0 < len(gap) <= 3 and all(char in _SPACING for char in gap)


def _innocent_here(analysis: Analysis, first: int, end: int) -> bool:
    """A listed word innocent next to this neighbour ("blue tit", "Dick Whittington")."""
    if end - first != 1:
        return False
    words = analysis.words
    word = words[first].text
    if first > 0 and words[first - 1].text in INNOCENT_AFTER.get(word, ()) and analysis.glued(first - 1):
        return True
    return end < len(words) and words[end].text in INNOCENT_BEFORE.get(word, ()) and analysis.glued(first)


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in order, dropping any inside (or overlapping) one already kept."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept
