"""What the school can do about someone else's post that mentions it, finding by finding.

The rules engine's messages (`moderation.engine.Finding.message`) are advice to the author of a
school draft: "Remove it.", "Use initials instead." Nobody at the school can edit a parent's
reply or a stranger's mention, so the inbox shows what each finding found (`fact`) and its own
advice for each kind of finding (`code`), in terms of what the inbox offers: mark it fine, hide
the reply, mute or block the author, report it to the network, escalate it to an incident, or
reply from the school's account where the policy allows it.

Mentions screened before findings had a code keep only their rule: they get the advice for
their rule's main kind of finding, and their rule's name with the words found as the fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from moderation.rules import FindingCode, RuleType

_NOT_OURS_TO_CORRECT = (
    "How other people write is up to them: spelling, grammar and punctuation are checked only in the "
    "school's own posts. Nothing to do about this on its own."
)
_COMPLAINT = (
    "A complaint or criticism. If it is fair comment, mark it fine. The policy keeps the school out of "
    "public disputes, so do not argue on the network: if a parent has a real concern, the headteacher may "
    "reply once from the school's account asking them to contact the school office, or raise a concern so "
    "it is followed up. If it is abusive, hide it if you can and mute or block the author."
)

ADVICE_FOR_OTHERS: dict[FindingCode, str] = {
    FindingCode.OFFENSIVE_LANGUAGE: (
        "The school cannot change someone else's words, and the policy says it removes offensive replies "
        "and blocks the accounts that make them. Hide it if it is a reply to one of our posts, block the "
        "author, and report it to the network if it is abuse. Do not reply to it."
    ),
    FindingCode.PUPIL_FULL_NAME: (
        "It names a pupil in full in public. Report it to the network, hide it if it is a reply to one of "
        "our posts, and escalate it to an incident so the headteacher can decide whether to contact the "
        "author or the family. Never repeat the name in a reply."
    ),
    FindingCode.PUPIL_FIRST_NAME: (
        "It may identify a child. Check who it is about: if it could identify a pupil, hide it or report "
        "it, and escalate it to the headteacher. Never repeat the name in a reply."
    ),
    FindingCode.HASHTAG_TO_AVOID: (
        "The school avoids this hashtag in its own posts; other people may use it. Nothing to do unless "
        "the post is unsuitable for another reason. Do not repeat the hashtag in a reply."
    ),
    FindingCode.HASHTAG_MISSING: (
        "The hashtags the school's posts carry are for its own posts. Nothing to do about someone else's post."
    ),
    FindingCode.TOO_MANY_HASHTAGS: (
        "The limit on hashtags is for the school's own posts. Nothing to do about someone else's post."
    ),
    FindingCode.MENTION_NOT_LISTED: (
        "It tags other accounts as well as ours. Nothing to do unless those accounts are unsuitable; if "
        "they are, hide it if you can and mute or block the author. Do not tag them in a reply."
    ),
    FindingCode.LINK_NOT_TRUSTED: (
        "It links to a website the school has not checked. Do not open the link on a school device if the "
        "post looks like spam or a scam: hide it if it is a reply to one of our posts, and report it to the "
        "network as spam."
    ),
    FindingCode.TONE_NEGATIVE: _COMPLAINT,
    FindingCode.TONE_NEGATIVE_START: _COMPLAINT,
    FindingCode.TONE_OPINION: _COMPLAINT,
    FindingCode.TONE_WORD_TO_AVOID: (
        "It uses a word the school avoids in its own posts. Read it in context: mark it fine if it is "
        "harmless, or hide it if you can and mute the author if it is unsuitable."
    ),
    FindingCode.SENTENCE_CAPITAL: _NOT_OURS_TO_CORRECT,
    FindingCode.REPEATED_WORD: _NOT_OURS_TO_CORRECT,
    FindingCode.UNMATCHED_BRACKET: _NOT_OURS_TO_CORRECT,
    FindingCode.SHOUTING: (
        "Capitals read as shouting but are not against the policy on their own. Read what it says: mark it "
        "fine, or hide it if you can and mute the author if it is aggressive."
    ),
    FindingCode.AMERICAN_SPELLING: _NOT_OURS_TO_CORRECT,
    FindingCode.MISSPELT: _NOT_OURS_TO_CORRECT,
    FindingCode.NOT_IN_DICTIONARY: _NOT_OURS_TO_CORRECT,
    FindingCode.TOO_LONG: "Length limits are for the school's own posts. Nothing to do about someone else's post.",
}

# For a finding stored with its rule only: the kind of finding that rule mostly reports about
# other people's posts.
_MAIN_KIND: dict[RuleType, FindingCode] = {
    RuleType.OFFENSIVE_LANGUAGE: FindingCode.OFFENSIVE_LANGUAGE,
    RuleType.PUPIL_FULL_NAMES: FindingCode.PUPIL_FULL_NAME,
    RuleType.PUPIL_FIRST_NAMES: FindingCode.PUPIL_FIRST_NAME,
    RuleType.HASHTAGS: FindingCode.HASHTAG_TO_AVOID,
    RuleType.MENTIONS_AND_LINKS: FindingCode.LINK_NOT_TRUSTED,
    RuleType.TONE: FindingCode.TONE_NEGATIVE,
    RuleType.SPELLING: FindingCode.MISSPELT,
    RuleType.GRAMMAR: FindingCode.SENTENCE_CAPITAL,
    RuleType.LENGTH: FindingCode.TOO_LONG,
}


@dataclass(frozen=True)
class MentionFinding:
    """One finding about someone else's post, as the inbox shows it."""

    code: FindingCode
    fact: str
    advice: str


def kind_of(finding: dict) -> FindingCode:
    """A stored finding's kind: its code, or for one stored before codes, its rule's main kind."""
    try:
        return FindingCode(finding.get("code"))
    except ValueError:
        pass
    try:
        return _MAIN_KIND[RuleType(finding.get("rule"))]
    except ValueError:
        return FindingCode.OFFENSIVE_LANGUAGE  # a rule since removed: treat it as seriously as the worst


def fact_of(finding: dict, text: str) -> str:
    """What a stored finding found, without the advice written for the school's own drafts."""
    if finding.get("fact"):
        return str(finding["fact"])
    label = kind_of(finding).rule.label
    start, end = finding.get("start"), finding.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return f"{label}: “{text[start:end]}”."
    return f"{label}."


def for_others(finding: dict, text: str) -> MentionFinding:
    code = kind_of(finding)
    return MentionFinding(code=code, fact=fact_of(finding, text), advice=ADVICE_FOR_OTHERS[code])


def advice_for_mention(findings: list[dict], text: str) -> tuple[list[MentionFinding], list[str]]:
    """A mention's findings as the inbox shows them, and its advice, each piece once, in order."""
    shown = [for_others(finding, text) for finding in findings if isinstance(finding, dict)]
    return shown, list(dict.fromkeys(finding.advice for finding in shown))


def evidence_findings(findings: list[dict], text: str) -> list[dict[str, str]]:
    """Findings as a block's or an incident's evidence keeps them ([{code, message}], as the
    followers' screening does): what was found, not the advice for the school's own drafts."""
    return [
        {"code": str(kind_of(finding)), "message": fact_of(finding, text)}
        for finding in findings
        if isinstance(finding, dict)
    ]
