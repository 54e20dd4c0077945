"""The rules engine: `check_text` reads a post's text against the school's rules.

Fast enough to run at every pause in typing. The text is analysed once (`moderation.text`)
and every rule reads that analysis with dictionary and set lookups, so the work is linear in
the text and does not grow with the size of the school's register. What depends on the school
(its rules, prepared word lists, pupils' names) is built once into a `Rulebook`, kept in the
process's memory, and rebuilt when the school's `RulebookVersion` token changes, or after
`REBUILD_AFTER_SECONDS` in case a change bypassed the token (a bulk update). The one database
query per check reads that token.

Findings never say anything about a pupil beyond what the text itself says: no consent state,
and never a never-publish reason (the pupils' query does not even load it).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ClassGroup, School, SocialAccount
from consent import identity
from consent.models import Pupil
from networks import text as network_text
from networks.limits import capabilities_for

from . import spelling
from .matching import PhraseIndex, phrase_words
from .models import Rule
from .profanity import OffensiveMatcher, standard_list
from .rules import DEFAULT_RULES, FindingCode, RuleType, Scope, clean_parameters
from .selectors import rulebook_token
from .text import Analysis, analyse, fold
from .wordlists import (
    ABBREVIATIONS,
    ALLOWED_REPEATS,
    NEGATIVE_FRAMING,
    NEGATIVE_WORDS,
    OPINION_PHRASES,
    SCHOOL_ACRONYMS,
)

if TYPE_CHECKING:
    from accounts.models import School, SocialAccount

__all__ = ["Finding", "Rulebook", "check_text", "rulebook_for"]

REBUILD_AFTER_SECONDS = 120
# Schools whose rulebooks one process keeps (a trust's deployment serves many schools).
_SCHOOLS_KEPT = 256
# New spelling suggestions worked out per check; more unknown words are pointed out without one.
_NEW_SUGGESTIONS_PER_CHECK = 5
# Findings one rule reports for one text, so a pasted essay does not make a page of warnings.
_FINDINGS_PER_RULE = 100


@dataclass(frozen=True)
class Finding:
    """Something a rule found. `start`/`end` index the original text (Python str indices).

    `message` is written for the author of a school draft, advice included ("Remove it.").
    `fact` says only what was found, true of anyone's text, and `code` says what kind of thing
    it is (`FindingCode`), so a page showing findings about someone else's post (the mentions
    inbox) can give its own advice instead of the author's.
    """

    rule: str
    severity: str
    message: str
    start: int
    end: int
    suggestion: str | None = None
    rule_id: int | None = None
    policy_paragraph: str = ""
    code: str = ""
    fact: str = ""


@dataclass(frozen=True)
class CompiledRule:
    id: int | None
    type: str
    severity: str
    scope: str
    account_id: int | None
    policy_paragraph: str
    settings: dict[str, Any]
    prepared: Any = None

    def applies_to(self, account: SocialAccount | None) -> bool:
        if self.scope == Scope.ALL:
            return True
        if account is None:
            return False
        if self.scope == Scope.ACCOUNT:
            return account.pk == self.account_id
        return account.kind == self.scope


@dataclass(frozen=True)
class Rulebook:
    """Everything about one school the engine needs, prepared for lookups."""

    rules: tuple[CompiledRule, ...]
    school_id: int | None = None
    known_words: frozenset[str] = frozenset()
    school_handles: frozenset[str] = frozenset()


@dataclass
class _Check:
    analysis: Analysis
    rulebook: Rulebook
    account: SocialAccount | None
    has_images: bool

    def __post_init__(self) -> None:
        # Characters already explained by a more serious finding, which spelling leaves alone.
        self.claimed = bytearray(len(self.analysis.text))

    @property
    def text(self) -> str:
        return self.analysis.text

    def claim(self, start: int, end: int) -> None:
        self.claimed[start:end] = b"\x01" * (end - start)

    def is_claimed(self, start: int, end: int) -> bool:
        return any(self.claimed[start:end])

    @cached_property
    def names_found(self) -> list[identity.NameMatch]:
        """Pupils' names in the text, as the consent check finds them (`consent.identity`)."""
        if self.rulebook.school_id is None:
            return []
        return identity.find_names(self.text, self.register)

    @cached_property
    def register(self) -> identity.IdentityIndex:
        return identity.index_for(self.rulebook.school_id)


def check_text(
    text: str, *, school: School | None = None, account: SocialAccount | None = None, has_images: bool = False
) -> list[Finding]:
    """The findings of the school's rules (the default rules without a school) about `text`.

    `account` is the account the post is for (rules can be about one account or one kind);
    `has_images` says the post carries photos, which makes a class's first names identifying.
    """
    if not isinstance(text, str):
        raise TypeError(f"check_text() needs a str, not {type(text).__name__}.")
    school_id = account.school_id if account is not None else None
    if school is not None:
        if school_id is not None and school.pk != school_id:
            raise ValueError("The account belongs to another school.")
        school_id = school.pk
    rulebook = rulebook_for(school_id) if school_id is not None else default_rulebook()
    check = _Check(analyse(text), rulebook, account, has_images)

    findings: list[Finding] = []
    for rule in rulebook.rules:
        if not rule.applies_to(account):
            continue
        found = _CHECKERS[rule.type](rule, check)[:_FINDINGS_PER_RULE]
        if rule.type in _CLAIMING:
            for finding in found:
                check.claim(finding.start, finding.end)
        findings += found
    findings.sort(key=lambda finding: (finding.start, finding.end))
    return findings


# The rulebook cache.

_cache: OrderedDict[int, tuple[str, float, Rulebook]] = OrderedDict()
_cache_lock = threading.Lock()


def rulebook_for(school_id: int) -> Rulebook:
    """The school's prepared rulebook, rebuilt if anything it depends on changed."""
    token = rulebook_token(school_id=school_id)
    if token is None:
        return build_rulebook(school_id)  # a school made without its token: nothing to know it is current by
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(school_id)
        if cached is not None and cached[0] == token and now - cached[1] < REBUILD_AFTER_SECONDS:
            _cache.move_to_end(school_id)
            return cached[2]
    rulebook = build_rulebook(school_id)
    with _cache_lock:
        _cache[school_id] = (token, now, rulebook)
        _cache.move_to_end(school_id)
        while len(_cache) > _SCHOOLS_KEPT:
            _cache.popitem(last=False)
    return rulebook


def forget_rulebook(school_id: int) -> None:
    """Drop a school's rulebook from this process's memory (the benchmark's school is rolled back)."""
    with _cache_lock:
        _cache.pop(school_id, None)


def build_rulebook(school_id: int, *, on: date | None = None) -> Rulebook:
    on = on or timezone.localdate()
    rules = tuple(
        _compile(rule.pk, rule.type, rule.severity, rule.scope, rule.account_id, rule.policy_paragraph, rule.parameters)
        for rule in Rule.objects.filter(school_id=school_id, enabled=True).order_by("pk")
    )
    rules = _in_order(rule for rule in rules if rule is not None)
    # Pupils' names are words the spelling rule knows (the names themselves are matched by
    # `consent.identity`). Only the names: never the never-publish flag or its reason.
    known = set()
    for names in Pupil.objects.filter(school_id=school_id).values_list(
        "first_name", "preferred_name", "other_names", "surname"
    ):
        for name in names:
            known.update(phrase_words(name.replace(",", " ")))
    school_name = School.objects.filter(pk=school_id).values_list("name", flat=True).first() or ""
    known.update(phrase_words(school_name))
    for class_name in ClassGroup.objects.filter(school_id=school_id).values_list("name", flat=True):
        known.update(phrase_words(class_name))
    handles = set()
    for handle, display_name in SocialAccount.objects.filter(school_id=school_id).values_list("handle", "display_name"):
        handles.add(handle.lower())
        known.update(phrase_words(display_name))
    return Rulebook(rules=rules, school_id=school_id, known_words=frozenset(known), school_handles=frozenset(handles))


@cache
def default_rulebook() -> Rulebook:
    """The default rules, for a check made without a school."""
    rules = (
        _compile(None, rule_type, severity, scope, None, paragraph, parameters)
        for rule_type, severity, scope, parameters, paragraph in DEFAULT_RULES
    )
    return Rulebook(rules=_in_order(rule for rule in rules if rule is not None))


def _in_order(rules: Iterable[CompiledRule]) -> tuple[CompiledRule, ...]:
    """Rules in the order they run: spelling after the rules whose findings it leaves alone."""
    return tuple(sorted(rules, key=lambda rule: _ORDER.index(rule.type)))


def _compile(
    rule_id: int | None,
    rule_type: str,
    severity: str,
    scope: str,
    account_id: int | None,
    policy_paragraph: str,
    parameters: Any,
) -> CompiledRule | None:
    try:
        settings = clean_parameters(rule_type, parameters)
    except ValidationError:
        return None  # a row edited by hand past the model's validation must not stop every other rule
    prepared = _PREPARE.get(rule_type, lambda settings: None)(settings)
    return CompiledRule(
        rule_id, str(rule_type), str(severity), str(scope), account_id, policy_paragraph, settings, prepared
    )


def _finding(
    rule: CompiledRule,
    code: FindingCode,
    message: str,
    start: int,
    end: int,
    suggestion: str | None = None,
    *,
    fact: str | None = None,
) -> Finding:
    """A finding; `fact` is needed only where `message` gives advice (without it, the message is the fact)."""
    return Finding(
        rule.type,
        rule.severity,
        message,
        start,
        end,
        suggestion,
        rule.id,
        rule.policy_paragraph,
        str(code),
        message if fact is None else fact,
    )


# Offensive language.


@lru_cache(maxsize=64)
def _offensive_matcher(use_standard_list: bool, words: tuple[str, ...], allowed: tuple[str, ...]) -> OffensiveMatcher:
    entries = set(standard_list()) if use_standard_list else set()
    return OffensiveMatcher(entries | {word.lower() for word in words}, allowed=allowed)


def _prepare_offensive(settings: dict) -> OffensiveMatcher:
    return _offensive_matcher(
        settings["use_standard_list"], tuple(sorted(settings["words"])), tuple(sorted(settings["allowed_words"]))
    )


def _check_offensive(rule: CompiledRule, check: _Check) -> list[Finding]:
    return [
        _finding(
            rule,
            FindingCode.OFFENSIVE_LANGUAGE,
            f"“{check.text[match.start : match.end]}” is offensive or unsuitable language for a school post. "
            "Remove it.",
            match.start,
            match.end,
            fact=f"“{check.text[match.start : match.end]}” is offensive or unsuitable language.",
        )
        for match in rule.prepared.find(check.analysis)
    ]


# Pupils' names.


def _check_full_names(rule: CompiledRule, check: _Check) -> list[Finding]:
    findings = []
    for match in check.names_found:
        if match.form != identity.Form.FULL:
            continue
        initials = check.register.pupils[match.pupil_ids[0]].initials
        findings.append(
            _finding(
                rule,
                FindingCode.PUPIL_FULL_NAME,
                f"“{check.text[match.start : match.end]}” is a pupil's full name. Posts never give a pupil's full "
                f"name: use initials, e.g. “{initials}”.",
                match.start,
                match.end,
                initials,
                fact=f"“{check.text[match.start : match.end]}” is the full name of a pupil at the school.",
            )
        )
    return findings


def _check_first_names(rule: CompiledRule, check: _Check) -> list[Finding]:
    account = check.account
    if not check.has_images or account is None or account.kind != Scope.CLASS:
        return []
    findings = []
    today = timezone.localdate()
    for match in check.names_found:
        if match.form not in (identity.Form.GIVEN, identity.Form.SPECIFIC) or not match.name_like:
            continue
        pupils = check.register.pupils
        if not any(
            pupils[pupil_id].class_group_id == account.class_group_id and pupils[pupil_id].on_roll(today)
            for pupil_id in match.pupil_ids
        ):
            continue
        initial = f"{check.text[match.start].upper()}."
        findings.append(
            _finding(
                rule,
                FindingCode.PUPIL_FIRST_NAME,
                f"“{check.text[match.start : match.end]}” is the name of a child in this class. With photos on a "
                f"class account, a name could identify the child: use initials instead, e.g. “{initial}”.",
                match.start,
                match.end,
                initial,
                fact=f"“{check.text[match.start : match.end]}” is the name of a child in this class.",
            )
        )
    return findings


# Hashtags, mentions and links.


def _prepare_hashtags(settings: dict) -> dict:
    return {
        "required": {fold(tag)[0]: tag for tag in settings["required"]},
        "forbidden": frozenset(fold(tag)[0] for tag in settings["forbidden"]),
    }


def _check_hashtags(rule: CompiledRule, check: _Check) -> list[Finding]:
    tags = [special for special in check.analysis.specials if special.kind == "hashtag"]
    findings = []
    for tag in tags:
        if tag.value in rule.prepared["forbidden"]:
            findings.append(
                _finding(
                    rule,
                    FindingCode.HASHTAG_TO_AVOID,
                    f"{check.text[tag.start : tag.end]} is on the school's list of hashtags not to use.",
                    tag.start,
                    tag.end,
                )
            )
    used = {tag.value for tag in tags}
    end = len(check.text)
    for folded, tag in rule.prepared["required"].items():
        if folded not in used:
            findings.append(
                _finding(
                    rule,
                    FindingCode.HASHTAG_MISSING,
                    f"Posts on this account include #{tag}. Add it to the post.",
                    end,
                    end,
                    f"#{tag}",
                    fact=f"It does not include #{tag}, which the school's posts on this account carry.",
                )
            )
    most = rule.settings["max_count"]
    if most is not None and len(tags) > most:
        findings.append(
            _finding(
                rule,
                FindingCode.TOO_MANY_HASHTAGS,
                f"This post has {len(tags)} hashtags; the school's guidance is at most {most}. "
                "Keep the ones that matter most.",
                tags[most].start,
                tags[-1].end,
                fact=f"It has {len(tags)} hashtags; the school's own posts have at most {most}.",
            )
        )
    return findings


def _prepare_mentions(settings: dict) -> dict:
    return {
        "handles": frozenset(handle.lower() for handle in settings["allowed_handles"]),
        "domains": tuple(settings["allowed_domains"]),
    }


def _check_mentions(rule: CompiledRule, check: _Check) -> list[Finding]:
    findings = []
    allowed_handles = rule.prepared["handles"] | check.rulebook.school_handles
    for special in check.analysis.specials:
        written = check.text[special.start : special.end]
        if check.is_claimed(special.start, special.end):
            continue
        if special.kind == "mention" and special.value not in allowed_handles:
            findings.append(
                _finding(
                    rule,
                    FindingCode.MENTION_NOT_LISTED,
                    f"{written} is not on the school's list of accounts to mention. Check with the computing "
                    "lead before tagging another account.",
                    special.start,
                    special.end,
                    fact=f"{written} is not on the school's list of accounts to mention.",
                )
            )
        elif special.kind == "link" and not any(
            special.value == domain or special.value.endswith("." + domain) for domain in rule.prepared["domains"]
        ):
            findings.append(
                _finding(
                    rule,
                    FindingCode.LINK_NOT_TRUSTED,
                    f"The link to {special.value} is not to one of the school's trusted websites. Check that "
                    "it is safe and suitable for families before posting it.",
                    special.start,
                    special.end,
                    fact=f"The link to {special.value} is not to one of the school's trusted websites.",
                )
            )
    return findings


# Tone.

_NEGATIVE, _FRAMING, _OPINION, _SCHOOL_WORD = "negative", "framing", "opinion", "school"


@lru_cache(maxsize=64)
def _tone_index(use_standard_list: bool, words: tuple[str, ...], allowed: tuple[str, ...]) -> tuple:
    kinds: dict[tuple[str, ...], str] = {}
    if use_standard_list:
        for entries, kind in ((NEGATIVE_WORDS, _NEGATIVE), (NEGATIVE_FRAMING, _FRAMING), (OPINION_PHRASES, _OPINION)):
            kinds.update({phrase_words(entry): kind for entry in entries})
    kinds.update({phrase_words(word): _SCHOOL_WORD for word in words})
    for word in allowed:
        kinds.pop(phrase_words(word), None)
    kinds.pop((), None)
    return PhraseIndex(kinds), kinds


def _prepare_tone(settings: dict) -> tuple:
    return _tone_index(
        settings["use_standard_list"], tuple(sorted(settings["words"])), tuple(sorted(settings["allowed_words"]))
    )


# For each kind of tone finding: its code, the fact, and the advice to the author of a school draft.
_TONE = {
    _NEGATIVE: (
        FindingCode.TONE_NEGATIVE,
        "“{}” sounds negative.",
        "Posts describe what happened in positive, factual words.",
    ),
    _FRAMING: (
        FindingCode.TONE_NEGATIVE_START,
        "“{}” starts on a negative note.",
        "Say what is happening plainly, e.g. “The trip is now on Friday.”",
    ),
    _OPINION: (
        FindingCode.TONE_OPINION,
        "“{}” gives a personal opinion.",
        "Posts speak for the school: say what happened, not what you think.",
    ),
    _SCHOOL_WORD: (FindingCode.TONE_WORD_TO_AVOID, "“{}” is on the school's list of words to avoid in posts.", ""),
}


def _check_tone(rule: CompiledRule, check: _Check) -> list[Finding]:
    index, kinds = rule.prepared
    analysis = check.analysis
    words = analysis.words
    findings = []
    for first, end in index.find(analysis):
        if first in analysis.special_word_indexes:
            continue
        start, stop = words[first].start, words[end - 1].end
        code, fact, advice = _TONE[kinds[tuple(word.text for word in words[first:end])]]
        fact = fact.format(check.text[start:stop])
        findings.append(_finding(rule, code, f"{fact} {advice}".strip(), start, stop, fact=fact))
    return findings


# Grammar and punctuation.

_OPENERS = {"(": ")", "[": "]", "{": "}", "\u201c": "\u201d"}
_CLOSERS = {closer: opener for opener, closer in _OPENERS.items()}
_FACES = frozenset(":;=")


def _check_grammar(rule: CompiledRule, check: _Check) -> list[Finding]:
    findings = []
    if rule.settings["capitals"]:
        findings += _capitals(rule, check)
    if rule.settings["repeated_words"]:
        findings += _repeated_words(rule, check)
    if rule.settings["brackets"]:
        findings += _brackets(rule, check)
    if rule.settings["shouting"]:
        findings += _shouting(rule, check)
    return findings


def _capitals(rule: CompiledRule, check: _Check) -> list[Finding]:
    analysis = check.analysis
    findings = []
    for index in sorted(analysis.sentence_starts):
        if len(findings) >= _FINDINGS_PER_RULE:
            break
        word = analysis.words[index]
        first = word.original[:1]
        if (
            index in analysis.special_word_indexes
            or not first.islower()
            or word.original[1:] != word.original[1:].lower()
        ):
            continue
        if _is_abbreviation(analysis, index):
            continue  # "e.g. …", "etc."
        suggestion = first.upper() + word.original[1:]
        findings.append(
            _finding(
                rule,
                FindingCode.SENTENCE_CAPITAL,
                f"Start the sentence with a capital letter: “{suggestion}”.",
                word.start,
                word.end,
                suggestion,
                fact=f"A sentence starts without a capital letter: “{word.original}”.",
            )
        )
    return findings


def _is_abbreviation(analysis: Analysis, index: int) -> bool:
    word = analysis.words[index]
    followed_by_stop = index < len(analysis.gaps) and analysis.gaps[index].startswith(".")
    return followed_by_stop and (len(word.text) == 1 or word.text in ABBREVIATIONS)


def _repeated_words(rule: CompiledRule, check: _Check) -> list[Finding]:
    analysis = check.analysis
    words = analysis.words
    specials = analysis.special_word_indexes
    findings = []
    for left, gap in enumerate(analysis.gaps):
        if len(findings) >= _FINDINGS_PER_RULE:
            break
        word, following = words[left], words[left + 1]
        if (
            word.text == following.text
            and gap.isspace()
            and word.text.isalpha()
            and word.text not in ALLOWED_REPEATS
            and left not in specials
            and left + 1 not in specials
        ):
            findings.append(
                _finding(
                    rule,
                    FindingCode.REPEATED_WORD,
                    f"“{word.original} {following.original}”: the word is there twice.",
                    word.start,
                    following.end,
                    word.original,
                )
            )
    return findings


def _brackets(rule: CompiledRule, check: _Check) -> list[Finding]:
    text = check.text
    inside_special = bytearray(len(text))
    for special in check.analysis.specials:
        inside_special[special.start : special.end] = b"\x01" * (special.end - special.start)
    stack: list[tuple[str, int]] = []
    unmatched: list[tuple[int, str]] = []
    straight_quotes = []
    for position, char in enumerate(text):
        if char not in _OPENERS and char not in _CLOSERS and char != '"':
            continue
        if inside_special[position]:
            continue
        if char == '"':
            straight_quotes.append(position)
        elif _is_face(text, position):
            continue
        elif char in _OPENERS:
            stack.append((char, position))
        elif stack and stack[-1][0] == _CLOSERS[char]:
            stack.pop()
        elif not _is_list_marker(text, position):
            unmatched.append((position, f"This “{char}” has no “{_CLOSERS[char]}” before it."))
    unmatched += [
        (position, f"This “{char}” is not closed with “{_OPENERS[char]}”.")
        for char, position in stack[:_FINDINGS_PER_RULE]
    ]
    if len(straight_quotes) % 2:
        unmatched.append((straight_quotes[-1], 'This quotation mark (") is not closed.'))
    return [
        _finding(rule, FindingCode.UNMATCHED_BRACKET, message, position, position + 1)
        for position, message in sorted(unmatched)[:_FINDINGS_PER_RULE]
    ]


def _is_face(text: str, position: int) -> bool:
    """An emoticon (":)", ";-(") rather than a bracket."""
    if text[position] not in "()":
        return False
    before = text[position - 1] if position > 0 else ""
    if before == "-" and position > 1:
        before = text[position - 2]
    return before in _FACES


def _is_list_marker(text: str, position: int) -> bool:
    """A closing bracket that numbers a list ("1)", "a)") rather than closing one."""
    before = text[position - 1] if position > 0 else ""
    return (
        text[position] == ")"
        and before.isalnum()
        and (position < 2 or text[position - 2].isspace())
        and (position + 1 == len(text) or text[position + 1].isspace())
    )


def _shouting(rule: CompiledRule, check: _Check) -> list[Finding]:
    analysis = check.analysis
    specials = analysis.special_word_indexes
    findings = []
    run: list[int] = []

    def close_run() -> None:
        if len(findings) >= _FINDINGS_PER_RULE:
            return
        loud = [index for index in run if _is_loud(analysis.words[index])]
        if len(loud) >= 3:
            first, last = analysis.words[loud[0]], analysis.words[loud[-1]]
            findings.append(
                _finding(
                    rule,
                    FindingCode.SHOUTING,
                    "Writing in capitals reads as shouting. Use capitals only to start sentences and names.",
                    first.start,
                    last.end,
                    _calmed(check.text, [analysis.words[index] for index in loud], first.start, last.end),
                    fact="It is written in capitals, which reads as shouting.",
                )
            )

    for word in analysis.words:
        if word.index not in specials and word.original.isupper():
            run.append(word.index)
            continue
        close_run()
        run = []
    close_run()
    return findings


def _is_loud(word) -> bool:
    """A word in capitals that is not an acronym ("PE", "KS2", "NHS")."""
    letters = sum(char.isalpha() for char in word.original)
    if word.has_digit or word.text in SCHOOL_ACRONYMS:
        return False
    return letters > 4 or spelling.is_word(word.text)


def _calmed(text: str, loud: list, start: int, end: int) -> str:
    pieces = []
    position = start
    for word in loud:
        pieces.append(text[position : word.start])
        pieces.append(word.original.lower())
        position = word.end
    pieces.append(text[position:end])
    calmed = "".join(pieces)
    return calmed[:1].upper() + calmed[1:]


# Spelling.


def _prepare_spelling(settings: dict) -> frozenset[str]:
    return frozenset(word for entry in settings["words"] for word in phrase_words(entry))


def _check_spelling(rule: CompiledRule, check: _Check) -> list[Finding]:
    analysis = check.analysis
    words = analysis.words
    known = rule.prepared | check.rulebook.known_words
    skipped = analysis.special_word_indexes
    american, unknown = [], []
    checked = 0
    consumed_until = -1
    for word in words:
        if word.index <= consumed_until:
            continue
        spelt, last = analysis.apostrophe_words.get(word.index, (word.text, word.index))
        consumed_until = last
        end = words[last].end
        original = check.text[word.start : end]
        if not _worth_checking(word, original, skipped, analysis) or check.is_claimed(word.start, end):
            continue
        spelt = spelt.replace("\u2019", "'").replace("\u02bc", "'").replace("\u2018", "'")
        checked += 1
        if spelt in known or word.text in known:
            continue
        british = spelling.british_for(spelt) if rule.settings["american_spellings"] else None
        if british is not None:
            american.append((word.start, end, original, british))
        elif not spelling.is_word(spelt):
            unknown.append((word, word.start, end, original, spelt))

    findings = [
        _finding(
            rule,
            FindingCode.AMERICAN_SPELLING,
            f"“{original}” is the American spelling. British English spells it “{_same_case(british, original)}”.",
            start,
            end,
            _same_case(british, original),
            fact=f"“{original}” is the American spelling.",
        )
        for start, end, original, british in american
    ]
    # A text that is mostly unknown words is another language (Welsh, French): not misspelt.
    if checked >= 4 and len(unknown) * 2 > checked:
        return findings
    new_lookups = 0
    for word, start, end, original, spelt in unknown:
        if len(findings) >= _FINDINGS_PER_RULE:
            break
        suggestion, common = None, False
        if spelling.is_cached(spelt) or new_lookups < _NEW_SUGGESTIONS_PER_CHECK:
            new_lookups += not spelling.is_cached(spelt)
            suggestion, common = spelling.suggestion(spelt)
        if word.is_capitalised and not common:
            continue  # a capitalised word close to no common word is most likely a name or a place
        if suggestion is not None:
            suggestion = _same_case(suggestion, original)
            code, fact = FindingCode.MISSPELT, f"“{original}” may be misspelt."
            message = f"{fact} Did you mean “{suggestion}”?"
        else:
            code, fact = FindingCode.NOT_IN_DICTIONARY, f"“{original}” is not in the dictionary."
            message = f"{fact} Check the spelling, or ask for it to be added."
        findings.append(_finding(rule, code, message, start, end, suggestion, fact=fact))
    return sorted(findings, key=lambda finding: finding.start)


def _worth_checking(word, original: str, skipped: frozenset[int], analysis: Analysis) -> bool:
    """Words a spelling check can judge: not numbers, names, acronyms, addresses or other scripts."""
    if word.index in skipped or len(word.text) < 2 or word.has_digit or not word.text.isascii():
        return False
    if not word.text.isalpha() or any(char.isupper() for char in original[1:]):
        return False  # "iPad", "McDonald", "KS2", "NHS"
    return not (word.is_capitalised and word.index not in analysis.sentence_starts)  # a name or a place


def _same_case(word: str, like: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


# Length.


def _network_limits(account: SocialAccount) -> tuple[int, str, int]:
    """The account's length limit, how its network counts, and what a link counts as there
    (from its adapter, or the networks' published limits where the adapter is not set up)."""
    capabilities = capabilities_for(account)
    return capabilities.max_length, str(capabilities.length_rule), capabilities.url_length


def _check_length(rule: CompiledRule, check: _Check) -> list[Finding]:
    limits = []
    length_rule, url_length = "characters", 23
    if check.account is not None:
        network_max, length_rule, url_length = _network_limits(check.account)
        limits.append(network_max)
    if rule.settings["max_length"] is not None:
        limits.append(rule.settings["max_length"])
    if not limits:
        return []
    limit = min(limits)
    unit = network_text.unit(length_rule)

    def count(value: str) -> int:
        return network_text.count(value, length_rule, url_length=url_length)

    text = check.text
    length = count(text)
    if length <= limit:
        return _check_text_bytes(rule, check)
    return [
        _finding(
            rule,
            FindingCode.TOO_LONG,
            f"The post is {length} {unit} long and the limit is {limit}. Shorten it by {length - limit}.",
            _longest_beginning(text, lambda value: count(value) <= limit),
            len(text),
            fact=f"It is {length} {unit} long; the limit for the school's posts is {limit}.",
        )
    ]


def _longest_beginning(text: str, fits: Callable[[str], bool]) -> int:
    """Where the longest beginning of `text` that fits ends: everything after it is over."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _check_text_bytes(rule: CompiledRule, check: _Check) -> list[Finding]:
    """A network that also caps the text's size in bytes (Bluesky's 3,000): within the length
    limit, emoji can still make it too big."""
    if check.account is None:
        return []
    capabilities = capabilities_for(check.account)
    message = network_text.bytes_message(check.text, capabilities)
    if not message:
        return []
    cap = capabilities.max_text_bytes
    return [
        _finding(
            rule,
            FindingCode.TOO_LONG,
            message,
            _longest_beginning(check.text, lambda value: len(value.encode("utf-8")) <= cap),
            len(check.text),
            fact=message.split(":")[0] + ".",
        )
    ]


_ORDER = (
    RuleType.OFFENSIVE_LANGUAGE,
    RuleType.PUPIL_FULL_NAMES,
    RuleType.PUPIL_FIRST_NAMES,
    RuleType.HASHTAGS,
    RuleType.MENTIONS_AND_LINKS,
    RuleType.TONE,
    RuleType.GRAMMAR,
    RuleType.SPELLING,
    RuleType.LENGTH,
)
_CLAIMING = frozenset({RuleType.OFFENSIVE_LANGUAGE, RuleType.PUPIL_FULL_NAMES, RuleType.PUPIL_FIRST_NAMES})
_PREPARE: dict[str, Callable[[dict], Any]] = {
    RuleType.OFFENSIVE_LANGUAGE: _prepare_offensive,
    RuleType.HASHTAGS: _prepare_hashtags,
    RuleType.MENTIONS_AND_LINKS: _prepare_mentions,
    RuleType.TONE: _prepare_tone,
    RuleType.SPELLING: _prepare_spelling,
}
_CHECKERS: dict[str, Callable[[CompiledRule, _Check], list[Finding]]] = {
    RuleType.OFFENSIVE_LANGUAGE: _check_offensive,
    RuleType.PUPIL_FULL_NAMES: _check_full_names,
    RuleType.PUPIL_FIRST_NAMES: _check_first_names,
    RuleType.HASHTAGS: _check_hashtags,
    RuleType.MENTIONS_AND_LINKS: _check_mentions,
    RuleType.TONE: _check_tone,
    RuleType.GRAMMAR: _check_grammar,
    RuleType.SPELLING: _check_spelling,
    RuleType.LENGTH: _check_length,
}
