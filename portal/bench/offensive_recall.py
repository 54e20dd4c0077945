"""How much of a public list of English offensive words the offensive-language rule catches
(`manage.py bench --only offensive_recall`), and how often it flags innocent words.

The list measured against is glin-profanity's English dictionary (MIT licence, from PyPI), kept
beside the list in use: a development dependency pinned in requirements-dev.txt and read where pip
installed it, never copied into the project. Each entry counts as caught when the rule flags it
on its own and inside an ordinary sentence. Entries that are ordinary words in a school's week
are left out on purpose (`wordlists.REFERENCE_ENTRIES_LEFT_OUT`, by reason); recall is measured
on the rest. False alarms are counted on the innocent words the rule must never flag and on the
benchmarks' ordinary class posts. Nothing touches the database.
"""

import json
from importlib import metadata

from moderation.profanity import OffensiveMatcher, standard_list
from moderation.text import analyse
from moderation.wordlists import INNOCENT_WORDS, LIBRARY_WORDS_NOT_OFFENSIVE, REFERENCE_ENTRIES_LEFT_OUT

from .rules import _POST
from .trust_data import _TEXTS

REFERENCE_PACKAGE = "glin-profanity"
REFERENCE_LICENCE = "MIT"
_REFERENCE_FILE = "glin_profanity/data/dictionaries/english.json"
# The share of the list's school-offensive entries the rule must catch (tests fail below it).
RECALL_GOAL_PERCENT = 95.0
# An ordinary sentence each entry is put in; the rule flags nothing in it without the entry.
_BEFORE, _AFTER = "Year 4 wrote ", " on the whiteboard after lunch."


class ReferenceListMissing(Exception):
    """The package with the reference list is not installed here."""


def reference_list() -> tuple[str, list[str]]:
    """The package's version and its English entries, lower case, as listed."""
    try:
        distribution = metadata.distribution(REFERENCE_PACKAGE)
    except metadata.PackageNotFoundError:
        raise ReferenceListMissing(
            f"{REFERENCE_PACKAGE} is not installed: pip install -r requirements-dev.txt (or make install)."
        ) from None
    path = distribution.locate_file(_REFERENCE_FILE)
    try:
        words = json.loads(path.read_text(encoding="utf-8"))["words"]
    except (OSError, ValueError, KeyError) as error:
        raise ReferenceListMissing(
            f"{REFERENCE_PACKAGE} {distribution.version} has no readable {_REFERENCE_FILE}: {error}"
        ) from error
    return distribution.version, sorted({word.strip().lower() for word in words if word.strip()})


def left_out_reasons() -> dict[str, str]:
    """Entry -> why it is left out."""
    return {entry: reason for reason, entries in REFERENCE_ENTRIES_LEFT_OUT.items() for entry in entries}


def innocent_texts() -> dict[str, list[str]]:
    """The texts the rule must never flag: single words, and whole ordinary posts."""
    return {
        "innocent_words": sorted(INNOCENT_WORDS | LIBRARY_WORDS_NOT_OFFENSIVE),
        "school_posts": [_POST] + [text.format(klass=klass) for text in _TEXTS for klass in ("Year 3", "Reception")],
    }


def measure(matcher: OffensiveMatcher | None = None) -> dict:
    """Recall on the reference list and false alarms on innocent texts, for the rule as it stands."""
    version, entries = reference_list()
    matcher = matcher or OffensiveMatcher(standard_list())
    reasons = left_out_reasons()
    english = [entry for entry in entries if any("a" <= char <= "z" for char in entry)]
    left_out = [entry for entry in entries if entry in reasons]
    measured = [entry for entry in english if entry not in reasons]
    alone = {entry for entry in measured if matcher.find(analyse(entry))}
    in_sentence = {entry for entry in measured if _flagged_in_sentence(matcher, entry)}
    caught = alone & in_sentence
    false_alarms = {name: _false_alarms(matcher, texts) for name, texts in innocent_texts().items()}
    return {
        "package": REFERENCE_PACKAGE,
        "version": version,
        "licence": REFERENCE_LICENCE,
        "entries": len(entries),
        "english_entries": len(english),
        "left_out": len(left_out),
        "measured": len(measured),
        "flagged_alone": len(alone),
        "flagged_in_sentence": len(in_sentence),
        "caught": len(caught),
        "recall_percent": _percent(len(caught), len(measured)),
        "recall_of_all_english_entries_percent": _percent(len(caught), len(english)),
        "goal_percent": RECALL_GOAL_PERCENT,
        "met": _percent(len(caught), len(measured)) >= RECALL_GOAL_PERCENT,
        "missed": sorted(set(measured) - caught),
        "left_out_by_reason": {
            reason: sorted(entry for entry in left_out if reasons[entry] == reason)
            for reason in REFERENCE_ENTRIES_LEFT_OUT
            if any(reasons[entry] == reason for entry in left_out)
        },
        **false_alarms,
    }


def _flagged_in_sentence(matcher: OffensiveMatcher, entry: str) -> bool:
    start, end = len(_BEFORE), len(_BEFORE) + len(entry)
    return any(match.start < end and start < match.end for match in matcher.find(analyse(_BEFORE + entry + _AFTER)))


def _false_alarms(matcher: OffensiveMatcher, texts: list[str]) -> dict:
    flagged = [text for text in texts if matcher.find(analyse(text))]
    return {
        "checked": len(texts),
        "false_alarms": len(flagged),
        "percent": _percent(len(flagged), len(texts)),
        "flagged": flagged,
    }


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def bench_offensive_recall() -> dict:
    """The figures, or why they could not be measured here."""
    try:
        return measure()
    except ReferenceListMissing as error:
        return {"package": REFERENCE_PACKAGE, "skipped": str(error)}
