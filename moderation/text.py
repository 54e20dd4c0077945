"""One pass over a post's text that every rule reads: words, where they are, and what is special.

Words are case and compatibility forms folded, invisible characters dropped (as the identity
matcher, `consent.identity`, drops them), runs of letters and digits. Pupils' names are found by
the identity matcher itself; this analysis serves the other rules.

All the work is linear in the text: no regular expression here can backtrack (each is a single
character class repeated, or a fixed string).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from consent.identity import is_invisible

from .wordlists import ABBREVIATIONS

__all__ = ["Analysis", "Word", "WORD_GLUE", "analyse", "fold", "split_words"]

_APOSTROPHES = frozenset("'\u2019\u2018\u02bc")
_SENTENCE_ENDS_AND_ELLIPSIS = frozenset(".!?\u2026")
# Chunks are runs of anything but white space; a run can only grow, so this cannot backtrack.
_CHUNK = re.compile(r"\S+")
# "#" or "@" not glued to a word before it (so "a@b.com" is no mention), then word characters.
_HASHTAG = re.compile(r"(?<![\w&#])#(\w+)")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,50})(?:@([\w.-]{1,253}))?")
_TRAILING_PUNCTUATION = ".,;:!?)]}\"'\u2019\u201d>"
# Top-level domains a bare "example.com" is recognised by (networks link these automatically).
_LINK_TLDS = frozenset(
    {"com", "org", "net", "uk", "edu", "gov", "io", "co", "ly", "me", "info", "app", "ac", "tv", "social"}
)


@dataclass(frozen=True)
class Word:
    """A run of letters and digits: `text` folded, `start`/`end` in the original text."""

    index: int
    text: str
    start: int
    end: int
    original: str

    @property
    def is_capitalised(self) -> bool:
        return self.original[:1].isupper()

    @property
    def has_digit(self) -> bool:
        return any(char.isdigit() for char in self.text)


@dataclass(frozen=True)
class Special:
    """A hashtag, mention, link or email address: spans the other rules leave alone."""

    kind: str  # "hashtag" | "mention" | "link" | "email"
    value: str  # folded: the tag without "#", the handle without "@", the link's host
    start: int
    end: int


@dataclass
class Analysis:
    text: str
    folded: str
    origins: list[tuple[int, int]]
    words: list[Word]
    # For each pair of neighbouring words, the folded characters between them.
    gaps: list[str]
    specials: list[Special] = field(default_factory=list)

    def span(self, folded_start: int, folded_end: int) -> tuple[int, int]:
        """The original text's span for a span of the folded text."""
        return self.origins[folded_start][0], self.origins[folded_end - 1][1]

    def glued(self, left: int) -> bool:
        """Are word `left` and the next word parts of one name ("Mary-Jane", "Amara\\nOkafor")?"""
        return all(char.isspace() or char in WORD_GLUE for char in self.gaps[left])

    @cached_property
    def special_word_indexes(self) -> frozenset[int]:
        """Words inside a hashtag, mention, link or email address."""
        inside = set()
        if not self.specials:
            return frozenset()
        specials = sorted(self.specials, key=lambda special: special.start)
        position = 0
        for word in self.words:
            while position < len(specials) and specials[position].end <= word.start:
                position += 1
            if position < len(specials) and specials[position].start <= word.start < specials[position].end:
                inside.add(word.index)
        return frozenset(inside)

    @cached_property
    def sentence_starts(self) -> frozenset[int]:
        """Indexes of words that begin a sentence: the first word, and words after ". ", "! " or "? ".

        A full stop after a single letter ("J. K. Rowling", "e.g.") or a known abbreviation
        ("Mr.", "etc.") does not end a sentence, nor does an ellipsis.
        """
        if not self.words:
            return frozenset()
        starts = {0}
        for left, gap in enumerate(self.gaps):
            ender = _sentence_end(gap)
            if ender is None:
                continue
            word = self.words[left]
            if ender == "." and (len(word.text) == 1 or word.text in ABBREVIATIONS):
                continue
            starts.add(left + 1)
        return frozenset(starts)

    @cached_property
    def apostrophe_words(self) -> dict[int, tuple[str, int]]:
        """Words joined by an apostrophe ("don't", "children's"): first word index -> (joined, last index)."""
        joined = {}
        for left, gap in enumerate(self.gaps):
            if len(gap) == 1 and gap in _APOSTROPHES:
                joined[left] = (self.words[left].text + "'" + self.words[left + 1].text, left + 1)
        return joined


def _sentence_end(gap: str) -> str | None:
    """The mark that ends a sentence in the gap between two words ("." "!" "?"), if one does.

    The mark must be followed by white space ("3.5" and "e.g" are no ends); an ellipsis is no end.
    """
    first = next((position for position, char in enumerate(gap) if char in _SENTENCE_ENDS_AND_ELLIPSIS), None)
    if first is None:
        return None
    tail = gap[first:]
    if not any(char.isspace() for char in tail):
        return None
    marks = [char for char in tail if char in _SENTENCE_ENDS_AND_ELLIPSIS]
    if "\u2026" in marks or marks.count(".") > 1:
        return None
    return marks[-1]


# Hyphens and apostrophes as they come out of `fold`.
WORD_GLUE = frozenset("-\u2010'\u2019\u2018\u02bc")


def fold(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as the rules read it, and for each of its characters the span it came from.

    Case is folded and compatibility forms normalised (NFKC: "ﬁ", full-width and
    "mathematical bold" letters become plain ones), invisible characters removed. Each letter is
    folded with the combining marks that follow it, so every folded character maps back to a
    whole letter of the original.
    """
    if text.isascii():
        return text.lower(), [(position, position + 1) for position in range(len(text))]
    pieces = []
    origins: list[tuple[int, int]] = []
    start, length = 0, len(text)
    while start < length:
        end = start + 1
        while end < length and unicodedata.combining(text[end]):
            end += 1
        letter = text[start:end]
        if letter.isascii():
            piece = letter.lower()
        else:
            kept = "".join(char for char in letter if not is_invisible(char))
            piece = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", kept).casefold())
        pieces.append(piece)
        origins += [(start, end)] * len(piece)
        start = end
    return "".join(pieces), origins


def split_words(folded: str) -> list[tuple[str, int, int]]:
    """Runs of letters and digits, with the marks that belong to them, and where each run lies."""
    words = []
    start = None
    for position, char in enumerate(folded):
        kind = unicodedata.category(char)[0]
        if kind in "LN" or (kind == "M" and start is not None):
            if start is None:
                start = position
        elif start is not None:
            words.append((folded[start:position], start, position))
            start = None
    if start is not None:
        words.append((folded[start:], start, len(folded)))
    return words


def analyse(text: str) -> Analysis:
    folded, origins = fold(text)
    raw_words = split_words(folded)
    words = []
    for index, (word, start, end) in enumerate(raw_words):
        original_start, original_end = origins[start][0], origins[end - 1][1]
        words.append(Word(index, word, original_start, original_end, text[original_start:original_end]))
    gaps = [folded[left[2] : right[1]] for left, right in pairwise(raw_words)]
    analysis = Analysis(text=text, folded=folded, origins=origins, words=words, gaps=gaps)
    analysis.specials = _specials(analysis)
    return analysis


def _specials(analysis: Analysis) -> list[Special]:
    folded = analysis.folded
    specials = []
    # Characters of links and email addresses, where "#" and "@" are part of the address.
    taken = bytearray(len(folded))
    for chunk in _CHUNK.finditer(folded):
        if "." not in chunk.group():
            continue  # neither a link nor an email address
        value = chunk.group().lstrip("([{<\"'\u2018\u201c")
        start = chunk.end() - len(value)
        value = value.rstrip(_TRAILING_PUNCTUATION)
        if not value:
            continue
        end = start + len(value)
        unclosed = value.count("(") - value.count(")")
        while unclosed > 0 and folded[end : end + 1] == ")":  # a link ending in a bracket: ".../Oak_(tree)"
            end += 1
            unclosed -= 1
        value = folded[start:end]
        host = _link_host(value)
        if host is not None:
            specials.append(Special("link", host, *analysis.span(start, end)))
            taken[start:end] = b"\x01" * (end - start)
        elif "@" in value[1:] and not value.startswith("@") and "." in value.rsplit("@", 1)[1]:
            specials.append(Special("email", value, *analysis.span(start, end)))
            taken[start:end] = b"\x01" * (end - start)

    for match in _HASHTAG.finditer(folded):
        tag = match.group(1)
        if not taken[match.start()] and not tag.isdigit():
            specials.append(Special("hashtag", tag, *analysis.span(match.start(), match.end())))
    for match in _MENTION.finditer(folded):
        if not taken[match.start()]:
            handle = match.group(1) + (f"@{match.group(2)}" if match.group(2) else "")
            specials.append(Special("mention", handle, *analysis.span(match.start(), match.end())))
    specials.sort(key=lambda special: special.start)
    return specials


def _link_host(chunk: str) -> str | None:
    """The host of a link written in the text ("https://…", "www.…" or a bare "example.org/…")."""
    lowered = chunk.lower()
    if lowered.startswith(("http://", "https://")):
        rest = lowered.split("://", 1)[1]
    elif lowered.startswith("www."):
        rest = lowered
    else:
        if "@" in lowered or "." not in lowered:
            return None
        rest = lowered
        host = _host_part(rest)
        labels = host.split(".")
        if len(labels) < 2 or labels[-1] not in _LINK_TLDS or not all(_is_label(label) for label in labels):
            return None
        return host.removeprefix("www.")
    host = _host_part(rest)
    return host.removeprefix("www.") if host else None


def _host_part(rest: str) -> str:
    for separator in "/?#":
        rest = rest.split(separator, 1)[0]
    rest = rest.rsplit("@", 1)[-1]  # user:password@host
    return rest.split(":", 1)[0].strip(".")


def _is_label(label: str) -> bool:
    return bool(label) and len(label) <= 63 and all(char.isalnum() or char == "-" for char in label)
