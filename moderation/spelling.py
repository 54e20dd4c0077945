"""British English spelling, offline: pyspellchecker's English dictionary plus our British list.

pyspellchecker's "en" dictionary is American ("color", "organize", "center" are in it;
"colour", "organise", "centre" are not), so British spellings are added from
`wordlists` and the "-ise"/"-yse" forms are accepted wherever the "-ize"/"-yze" form is a word.
American spellings are known too, so they can be told apart from typing slips and answered
with the British form.

The dictionary loads once per process (about a quarter of a second), on first use.
Suggestions are edits of one letter only (two letters would take seconds on a long word), and
remembered, so a word typed again costs a dictionary lookup.
"""

import threading

from spellchecker import SpellChecker

from .wordlists import BRITISH_AND_SCHOOL_WORDS, IZE_BOTH_WAYS, british_spellings

# Words longer than this get no suggestion: nobody mistypes them, and edits of them are many.
_LONGEST_SUGGESTED = 20
_SUGGESTION_CACHE_SIZE = 20_000

_lock = threading.Lock()
_checker: SpellChecker | None = None
_british: dict[str, str] = british_spellings()
# word -> (the suggestion or None, whether the suggestion is a common word)
_suggestions: dict[str, tuple[str | None, bool]] = {}
# How often a word must occur (per word of the dictionary's corpus) to count as common: "because"
# and "their" do, first names such as "Mara" and "Hayden" do not.
_COMMON = 1e-6


def _dictionary() -> SpellChecker:
    global _checker
    if _checker is None:
        with _lock:
            if _checker is None:
                checker = SpellChecker(language="en", distance=1)
                checker.word_frequency.load_words(sorted(BRITISH_AND_SCHOOL_WORDS | set(_british.values())))
                _checker = checker
    return _checker


def load() -> None:
    """Load the dictionary now (the benchmark and a worker's start call this)."""
    _dictionary()


def is_word(word: str) -> bool:
    """Is this folded word (or "word's") spelt as British English spells it?"""
    known = _dictionary().word_frequency.dictionary
    if word in known or _british_ise(word) in known:
        return True
    for suffix in ("'s", "s'", "'"):
        if word.endswith(suffix) and len(word) > len(suffix):
            stem = word[: -len(suffix)]
            if stem in known or _british_ise(stem) in known:
                return True
    return False


def british_for(word: str) -> str | None:
    """The British spelling of an American one ("color" -> "colour", "organize" -> "organise")."""
    if word in _british:
        return _british[word]
    for american, british in (("yze", "yse"), ("yzed", "ysed"), ("yzing", "ysing"), ("yzes", "yses")):
        if word.endswith(american) and word in _dictionary().word_frequency.dictionary:
            return word[: -len(american)] + british
    for ending in ("ize", "izes", "ized", "izing", "ization", "izations", "izer", "izers"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            if stem + "ize" in IZE_BOTH_WAYS or word in IZE_BOTH_WAYS:
                return None
            if word in _dictionary().word_frequency.dictionary:
                return stem + "is" + ending[2:]
    return None


def suggestion(word: str) -> tuple[str | None, bool]:
    """The likeliest British word one edit away (or None), and whether it is a common word. Remembered."""
    if word in _suggestions:
        return _suggestions[word]
    found, common = None, False
    if len(word) <= _LONGEST_SUGGESTED:
        checker = _dictionary()
        found = checker.correction(word)
        if found == word:
            found = None
        if found is not None:
            common = checker.word_usage_frequency(found) >= _COMMON
            found = british_for(found) or found
    if len(_suggestions) >= _SUGGESTION_CACHE_SIZE:
        _suggestions.clear()
    _suggestions[word] = (found, common)
    return found, common


def is_cached(word: str) -> bool:
    return word in _suggestions


def _british_ise(word: str) -> str:
    """The "-ize"/"-yze" form of a British "-ise"/"-yse" word, to look up in the American list."""
    for british, american in (("isation", "ization"), ("ise", "ize"), ("ised", "ized"), ("ising", "izing")):
        if word.endswith(british):
            return word[: -len(british)] + american
    for british, american in (("isations", "izations"), ("ises", "izes"), ("iser", "izer"), ("isers", "izers")):
        if word.endswith(british):
            return word[: -len(british)] + american
    for british, american in (("yse", "yze"), ("ysed", "yzed"), ("ysing", "yzing"), ("yses", "yzes")):
        if word.endswith(british):
            return word[: -len(british)] + american
    return word
