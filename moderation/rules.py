"""What each type of rule means, which settings it takes, and the defaults a new school gets.

Settings (`Rule.parameters`) are checked here, before a rule is saved, so the engine only ever
reads well-formed settings. Messages are written for the computing lead or headteacher who
typed the setting. Rules take words, hashtags, handles and web addresses, never patterns: a
regular expression typed into a settings page can take the engine down (catastrophic
backtracking) and is hard for a school to get right.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class RuleType(models.TextChoices):
    OFFENSIVE_LANGUAGE = "offensive_language", "Offensive language"
    PUPIL_FULL_NAMES = "pupil_full_names", "Pupils' full names"
    PUPIL_FIRST_NAMES = "pupil_first_names", "Pupils' first names with photos (class accounts)"
    HASHTAGS = "hashtags", "Hashtags"
    MENTIONS_AND_LINKS = "mentions_and_links", "Mentions and links"
    TONE = "tone", "Tone"
    SPELLING = "spelling", "Spelling"
    GRAMMAR = "grammar", "Grammar and punctuation"
    LENGTH = "length", "Length"


class Severity(models.TextChoices):
    BLOCK = "block", "Block the post"
    WARN = "warn", "Warn the author"


class Scope(models.TextChoices):
    ALL = "all", "All accounts"
    WHOLE_SCHOOL = "whole_school", "The whole-school account"
    CLASS = "class", "Class accounts"
    ACCOUNT = "account", "One account"


class FindingCode(models.TextChoices):
    """What kind of thing a finding is about, finer than its rule (tone: negative, opinion...).

    The engine's `Finding.message` is advice to the author of a school draft ("Remove it.").
    Other pages that show findings about text the school did not write (the mentions inbox)
    word their own advice for each code, so every code must stay stable once stored.
    """

    OFFENSIVE_LANGUAGE = "offensive_language", "Offensive language"
    PUPIL_FULL_NAME = "pupil_full_name", "A pupil's full name"
    PUPIL_FIRST_NAME = "pupil_first_name", "A pupil's first name with photos"
    HASHTAG_TO_AVOID = "hashtag_to_avoid", "A hashtag to avoid"
    HASHTAG_MISSING = "hashtag_missing", "A required hashtag is missing"
    TOO_MANY_HASHTAGS = "too_many_hashtags", "Too many hashtags"
    MENTION_NOT_LISTED = "mention_not_listed", "An account not on the list to mention"
    LINK_NOT_TRUSTED = "link_not_trusted", "A link to a website not on the trusted list"
    TONE_NEGATIVE = "tone_negative", "Negative words"
    TONE_NEGATIVE_START = "tone_negative_start", "A negative start"
    TONE_OPINION = "tone_opinion", "A personal opinion"
    TONE_WORD_TO_AVOID = "tone_word_to_avoid", "A word to avoid"
    SENTENCE_CAPITAL = "sentence_capital", "A sentence without a capital letter"
    REPEATED_WORD = "repeated_word", "A word twice"
    UNMATCHED_BRACKET = "unmatched_bracket", "A bracket or quotation mark not closed"
    SHOUTING = "shouting", "Capitals"
    AMERICAN_SPELLING = "american_spelling", "American spelling"
    MISSPELT = "misspelt", "A word that may be misspelt"
    NOT_IN_DICTIONARY = "not_in_dictionary", "A word not in the dictionary"
    TOO_LONG = "too_long", "Too long"

    @property
    def rule(self) -> "RuleType":
        return FINDING_RULES[self]


# The rule that reports each kind of finding.
FINDING_RULES = {
    FindingCode.OFFENSIVE_LANGUAGE: RuleType.OFFENSIVE_LANGUAGE,
    FindingCode.PUPIL_FULL_NAME: RuleType.PUPIL_FULL_NAMES,
    FindingCode.PUPIL_FIRST_NAME: RuleType.PUPIL_FIRST_NAMES,
    FindingCode.HASHTAG_TO_AVOID: RuleType.HASHTAGS,
    FindingCode.HASHTAG_MISSING: RuleType.HASHTAGS,
    FindingCode.TOO_MANY_HASHTAGS: RuleType.HASHTAGS,
    FindingCode.MENTION_NOT_LISTED: RuleType.MENTIONS_AND_LINKS,
    FindingCode.LINK_NOT_TRUSTED: RuleType.MENTIONS_AND_LINKS,
    FindingCode.TONE_NEGATIVE: RuleType.TONE,
    FindingCode.TONE_NEGATIVE_START: RuleType.TONE,
    FindingCode.TONE_OPINION: RuleType.TONE,
    FindingCode.TONE_WORD_TO_AVOID: RuleType.TONE,
    FindingCode.SENTENCE_CAPITAL: RuleType.GRAMMAR,
    FindingCode.REPEATED_WORD: RuleType.GRAMMAR,
    FindingCode.UNMATCHED_BRACKET: RuleType.GRAMMAR,
    FindingCode.SHOUTING: RuleType.GRAMMAR,
    FindingCode.AMERICAN_SPELLING: RuleType.SPELLING,
    FindingCode.MISSPELT: RuleType.SPELLING,
    FindingCode.NOT_IN_DICTIONARY: RuleType.SPELLING,
    FindingCode.TOO_LONG: RuleType.LENGTH,
}


MAX_LIST_ENTRIES = 500
MAX_ENTRY_LENGTH = 100
MAX_HASHTAGS = 30
MAX_LENGTH_LIMIT = 100_000


@dataclass(frozen=True)
class Setting:
    name: str
    label: str
    check: Callable[[Any, str], Any]  # (value, label) -> cleaned value, or raises ValidationError
    default: Any


def _words(value: Any, label: str) -> list[str]:
    entries = _list(value, label)
    cleaned = []
    for position, entry in enumerate(entries, start=1):
        word = " ".join(entry.split())
        if not word:
            raise ValidationError(f"{label}: entry {position} is empty. Type a word or remove the entry.")
        if not any(char.isalnum() for char in word):
            raise ValidationError(f"{label}: “{word}” has no letters or digits. Type the word itself.")
        cleaned.append(word)
    return list(dict.fromkeys(cleaned))


def _hashtags(value: Any, label: str) -> list[str]:
    cleaned = []
    for position, entry in enumerate(_list(value, label), start=1):
        tag = entry.strip().removeprefix("#").removeprefix("＃")
        if not tag:
            raise ValidationError(f"{label}: entry {position} is empty. Type a hashtag or remove the entry.")
        if not all(char.isalnum() or char == "_" for char in tag):
            raise ValidationError(
                f"{label}: “{entry.strip()}” is not a hashtag. Use letters, digits and _ only, with no spaces."
            )
        if tag.isdigit():
            raise ValidationError(f"{label}: “#{tag}” is only digits, which networks do not treat as a hashtag.")
        cleaned.append(tag)
    return list(dict.fromkeys(cleaned))


def _handles(value: Any, label: str) -> list[str]:
    cleaned = []
    for position, entry in enumerate(_list(value, label), start=1):
        handle = entry.strip().removeprefix("@")
        if not handle:
            raise ValidationError(f"{label}: entry {position} is empty. Type an account name or remove the entry.")
        user, _, server = handle.partition("@")
        if not user or len(user) > 50 or not all(char.isalnum() or char == "_" for char in user):
            raise ValidationError(
                f"{label}: “{entry.strip()}” is not an account name. Type it as it appears after the @, "
                "e.g. “bbcschools”."
            )
        if server and not _is_domain(server):
            raise ValidationError(f"{label}: “{entry.strip()}” does not end in a valid server name.")
        cleaned.append(handle)
    return list(dict.fromkeys(cleaned))


def _domains(value: Any, label: str) -> list[str]:
    cleaned = []
    for position, entry in enumerate(_list(value, label), start=1):
        domain = entry.strip().lower()
        for prefix in ("https://", "http://"):
            domain = domain.removeprefix(prefix)
        domain = domain.split("/", 1)[0].removeprefix("www.")
        if not domain:
            raise ValidationError(f"{label}: entry {position} is empty. Type a web address or remove the entry.")
        if not _is_domain(domain):
            raise ValidationError(
                f"{label}: “{entry.strip()}” is not a web address. Type the site's name, e.g. “gov.uk”."
            )
        cleaned.append(domain)
    return list(dict.fromkeys(cleaned))


def _is_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and len(domain) <= 253
        and all(
            0 < len(part) <= 63 and all(char.isalnum() or char == "-" for char in part) and part[0] != "-"
            for part in labels
        )
    )


def _list(value: Any, label: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ValidationError(f"{label} must be a list of words.")
    if len(value) > MAX_LIST_ENTRIES:
        raise ValidationError(f"{label}: at most {MAX_LIST_ENTRIES} entries.")
    for entry in value:
        if len(entry) > MAX_ENTRY_LENGTH:
            raise ValidationError(f"{label}: “{entry[:30]}…” is too long (at most {MAX_ENTRY_LENGTH} characters).")
    return value


def _switch(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{label} must be on or off.")
    return value


def _count(low: int, high: int) -> Callable[[Any, str], int | None]:
    def check(value: Any, label: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError(f"{label} must be a whole number from {low} to {high}, or empty.")
        return value

    return check


SETTINGS: dict[str, tuple[Setting, ...]] = {
    RuleType.OFFENSIVE_LANGUAGE: (
        Setting("use_standard_list", "Use the standard list", _switch, True),
        Setting("words", "The school's own words to refuse", _words, []),
        Setting("allowed_words", "Words the school allows", _words, []),
    ),
    RuleType.PUPIL_FULL_NAMES: (),
    RuleType.PUPIL_FIRST_NAMES: (),
    RuleType.HASHTAGS: (
        Setting("required", "Hashtags every post needs", _hashtags, []),
        Setting("forbidden", "Hashtags not to use", _hashtags, []),
        Setting("max_count", "Most hashtags in a post", _count(0, MAX_HASHTAGS), None),
    ),
    RuleType.MENTIONS_AND_LINKS: (
        Setting("allowed_handles", "Accounts posts may mention", _handles, []),
        Setting("allowed_domains", "Websites posts may link to", _domains, []),
    ),
    RuleType.TONE: (
        Setting("use_standard_list", "Use the standard list", _switch, True),
        Setting("words", "The school's own words to avoid", _words, []),
        Setting("allowed_words", "Words the school allows", _words, []),
    ),
    RuleType.SPELLING: (
        Setting("words", "The school's own words (places, people, names)", _words, []),
        Setting("american_spellings", "Point out American spellings", _switch, True),
    ),
    RuleType.GRAMMAR: (
        Setting("capitals", "Sentences start with a capital", _switch, True),
        Setting("repeated_words", "Repeated words", _switch, True),
        Setting("brackets", "Brackets and quotation marks closed", _switch, True),
        Setting("shouting", "Words in capitals", _switch, True),
    ),
    RuleType.LENGTH: (Setting("max_length", "Longest post (characters)", _count(1, MAX_LENGTH_LIMIT), None),),
}


def clean_parameters(rule_type: str, parameters: Any) -> dict[str, Any]:
    """The settings with defaults filled in; ValidationError with a readable message if any is wrong."""
    if rule_type not in SETTINGS:
        raise ValidationError(f"“{rule_type}” is not a type of rule.")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise ValidationError("The rule's settings must be a set of named values.")
    settings = SETTINGS[rule_type]
    known = {setting.name for setting in settings}
    unknown = sorted(set(parameters) - known)
    if unknown:
        label = RuleType(rule_type).label.lower()
        raise ValidationError(f"A rule about {label} has no setting called “{unknown[0]}”.")
    return {
        setting.name: setting.check(parameters[setting.name], setting.label)
        if setting.name in parameters
        else setting.default
        for setting in settings
    }


# The rules a new school starts with: the policy's defaults, which the computing lead and the
# headteacher then adjust. Each is (type, severity, scope, parameters, policy paragraph).
DEFAULT_RULES: tuple[tuple[str, str, str, dict[str, Any], str], ...] = (
    (RuleType.OFFENSIVE_LANGUAGE, Severity.BLOCK, Scope.ALL, {}, "language"),
    (RuleType.PUPIL_FULL_NAMES, Severity.BLOCK, Scope.ALL, {}, "pupil-names"),
    (RuleType.PUPIL_FIRST_NAMES, Severity.WARN, Scope.CLASS, {}, "pupil-names"),
    (RuleType.HASHTAGS, Severity.WARN, Scope.ALL, {"max_count": 3}, "hashtags"),
    (
        RuleType.MENTIONS_AND_LINKS,
        Severity.WARN,
        Scope.ALL,
        {"allowed_domains": ["gov.uk", "sch.uk", "nhs.uk"]},
        "mentions-and-links",
    ),
    (RuleType.TONE, Severity.WARN, Scope.ALL, {}, "tone"),
    (RuleType.SPELLING, Severity.WARN, Scope.ALL, {}, "spelling"),
    (RuleType.GRAMMAR, Severity.WARN, Scope.ALL, {}, "spelling"),
    (RuleType.LENGTH, Severity.BLOCK, Scope.ALL, {}, "length"),
)
