"""The mentions inbox: fetch what mentions the school's accounts, screen it with the school's
rules, and record what the office admin or headteacher decided about each.

Network calls happen outside any database transaction (claim, call, record): an action first
checks permission and what the network allows, then calls the network, then records the outcome
and its audit entry in one transaction. A network that refuses gives a message staff can read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, SocialAccount
from accounts.permissions import Perm, has_perm
from audit.services import record
from moderation.engine import check_text
from moderation.rules import RuleType
from networks.base import DirectMessage, Mention, Network, NetworkError, NetworkUser
from networks.registry import get_network
from posts.models import Post

from . import audience, capabilities, incidents, mention_advice
from .capabilities import Action
from .copyright import CopyrightClaim, reason_with_claim
from .models import Follower, InboxKind, Incident, MentionItem, MentionStatus, MentionSync, is_reply

logger = logging.getLogger(__name__)

# The rules that say something about someone else's post. The others are about how the school
# writes (spelling, grammar, length, required hashtags, which accounts we mention) and would
# find something in nearly every mention: every mention of us names our account, for one.
SCREENING_RULES = frozenset(
    {RuleType.OFFENSIVE_LANGUAGE, RuleType.PUPIL_FULL_NAMES, RuleType.PUPIL_FIRST_NAMES, RuleType.TONE}
)

# How many of the account's own recent posts are read to recognise its conversations.
_OWN_POSTS_LOOKED_AT = 100


class MentionActionRefused(Exception):
    """The action cannot be done on this mention (or the network refused it); `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Screening.


def screen_mention(text: str, *, school) -> tuple[list[dict], bool]:
    """The findings worth showing about a mention, and whether it needs attention first: anything
    the school's rules would block, or any offensive language at all.

    Each is stored with its `code` and `fact` (what it found), from which the inbox gives advice
    for someone else's post (`community.mention_advice`); the `message` is the engine's advice to
    the author of a school draft, kept for the record, never shown as advice here."""
    findings = [finding for finding in check_text(text, school=school) if finding.rule in SCREENING_RULES]
    flagged = any(finding.severity == "block" or finding.rule == RuleType.OFFENSIVE_LANGUAGE for finding in findings)
    stored = [
        {
            "rule": finding.rule,
            "code": finding.code,
            "severity": finding.severity,
            "fact": finding.fact,
            "message": finding.message,
            "start": finding.start,
            "end": finding.end,
        }
        for finding in findings
    ]
    return stored, flagged


# Fetching.


def fetch_mentions(account: SocialAccount) -> int:
    """Fetch the account's new mentions from its network, screen them and add them to the inbox.
    Returns how many were new. A network that cannot give mentions (not offered, not on the
    school's plan, a broken connection) leaves its message on the account's MentionSync and
    returns 0: this runs from beat, where an exception helps nobody."""
    sync, _ = MentionSync.objects.get_or_create(account=account)
    started = timezone.now()
    try:
        network = get_network(account)
        mentions = network.mentions(since=sync.since_id or None)
        ours = _our_conversations(account, network, mentions)
    except NetworkError as error:
        sync.last_run_at = started
        sync.last_error = error.message
        sync.unsupported = error.permanent
        sync.save(update_fields=["last_run_at", "last_error", "unsupported"])
        logger.info("Mentions of @%s not fetched: %s", account.handle, error.message)
        return 0

    created = 0
    with transaction.atomic():
        # Two fetches of one account at once (beat and the "check now" button) take turns here,
        # so the second finds the first's mentions stored instead of colliding with them.
        sync = MentionSync.objects.select_for_update().get(pk=sync.pk)
        for mention in mentions:
            created += _store(account, mention, ours)
        if mentions:
            sync.since_id = mentions[-1].id
        sync.last_run_at = sync.last_success_at = started
        sync.last_error = ""
        sync.unsupported = False
        sync.save(update_fields=["since_id", "last_run_at", "last_success_at", "last_error", "unsupported"])
    return created


def _our_conversations(account: SocialAccount, network: Network, mentions: list[Mention]) -> set[str]:
    """Which of the mentions' conversations our account started: the portal's own published
    posts first, then (for posts made outside the portal) the account's recent posts."""
    wanted = {
        mention.conversation_id
        for mention in mentions
        if is_reply(mention.id, mention.in_reply_to, mention.conversation_id)
    }
    if not wanted:
        return set()
    ours = set(Post.objects.filter(account=account, external_id__in=wanted).values_list("external_id", flat=True))
    if wanted - ours:
        try:
            ours |= {post.id for post in network.recent_own_posts(limit=_OWN_POSTS_LOOKED_AT)} & wanted
        except NetworkError as error:
            logger.info("Could not read @%s's own posts: %s", account.handle, error.message)
    return ours


def _store(account: SocialAccount, mention: Mention, ours: set[str]) -> int:
    if MentionItem.objects.filter(account=account, kind=InboxKind.MENTION, network_id=mention.id).exists():
        return 0
    findings, flagged = screen_mention(mention.text, school=account.school)
    author = mention.author
    MentionItem.objects.create(
        account=account,
        network_id=mention.id,
        author_id=author.id,
        author_handle=author.handle,
        author_name=author.display_name,
        author_url=author.url,
        text=mention.text,
        url=mention.url,
        created_at=mention.created_at,
        in_reply_to=mention.in_reply_to or "",
        conversation_id=mention.conversation_id or "",
        is_reply_to_our_conversation=is_reply(mention.id, mention.in_reply_to, mention.conversation_id)
        and mention.conversation_id in ours,
        findings=findings,
        flagged=flagged,
    )
    return 1


def fetch_messages(account: SocialAccount) -> int:
    """Fetch the private messages sent to the account since the last fetch, screen them like
    mentions and add them to the inbox as messages. Returns how many were new. A network (or a
    tier) that cannot give messages leaves its reason on the account's MentionSync, and the
    inbox says so; this runs from beat, where an exception helps nobody."""
    sync, _ = MentionSync.objects.get_or_create(account=account)
    started = timezone.now()
    try:
        network = get_network(account)
        caps = network.limits
        if not caps.supports_direct_messages:
            raise NetworkError(
                caps.direct_messages_note or "This network does not let the portal read private messages.",
                permanent=True,
            )
        received = network.direct_messages(since=sync.messages_since_id or None)
    except NetworkError as error:
        MentionSync.objects.filter(pk=sync.pk).update(
            messages_last_error=error.message, messages_unsupported=error.permanent
        )
        logger.info("Messages of @%s not fetched: %s", account.handle, error.message)
        return 0

    created = 0
    with transaction.atomic():
        sync = MentionSync.objects.select_for_update().get(pk=sync.pk)
        for message in received:
            created += _store_message(account, message)
        if received:
            sync.messages_since_id = received[-1].id
        sync.last_run_at = started
        sync.messages_last_error = ""
        sync.messages_unsupported = False
        sync.save(update_fields=["messages_since_id", "last_run_at", "messages_last_error", "messages_unsupported"])
    return created


def _store_message(account: SocialAccount, message: DirectMessage) -> int:
    if MentionItem.objects.filter(account=account, kind=InboxKind.MESSAGE, network_id=message.id).exists():
        return 0
    findings, flagged = screen_mention(message.text, school=account.school)
    sender = message.sender
    MentionItem.objects.create(
        account=account,
        kind=InboxKind.MESSAGE,
        network_id=message.id,
        author_id=sender.id,
        author_handle=sender.handle,
        author_name=sender.display_name,
        author_url=sender.url,
        text=message.text,
        url=message.url,
        created_at=message.created_at,
        conversation_id=message.conversation_id,
        findings=findings,
        flagged=flagged,
    )
    return 1


# What the network allows, for the page to offer only what will work.


@dataclass(frozen=True)
class ActionCheck:
    allowed: bool
    reason: str = ""


# Who may reply, as `Network.set_reply_controls` takes it, in the words the inbox offers.
REPLY_CONTROLS = [
    ("mentioned", "Only accounts the school's post mentions"),
    ("following", "Only accounts the school's account follows"),
    ("nobody", "Nobody"),
    ("everyone", "Everyone again"),
]


_NOT_FOR_MESSAGES = "A private message has no replies to hide or limit: block or report its sender instead."


def hide_reply_check(mention: MentionItem) -> ActionCheck:
    if mention.is_message:
        return ActionCheck(False, _NOT_FOR_MESSAGES)
    refused = capabilities.refusal(mention.account, Action.HIDE_REPLY)
    if refused:
        return ActionCheck(False, refused)
    if not mention.is_reply:
        return ActionCheck(False, "This is not a reply, so there is nothing to hide it from.")
    if not mention.is_reply_to_our_conversation:
        return ActionCheck(
            False, f"Only replies in conversations @{mention.account.handle} started can be hidden. This one is not."
        )
    return ActionCheck(True)


def limit_replies_check(mention: MentionItem) -> ActionCheck:
    """Replies can be limited on the school's own post that started the mention's conversation."""
    if mention.is_message:
        return ActionCheck(False, _NOT_FOR_MESSAGES)
    refused = capabilities.refusal(mention.account, Action.LIMIT_REPLIES)
    if refused:
        return ActionCheck(False, refused)
    if not (mention.is_reply_to_our_conversation and mention.conversation_id):
        return ActionCheck(
            False,
            f"This is not a reply to a conversation @{mention.account.handle} started, so there is no post of "
            "the school's to limit replies on.",
        )
    return ActionCheck(True)


# Actions.


def _check(actor: Membership, mention: MentionItem) -> None:
    if mention.account.school_id != actor.school_id or not has_perm(actor, Perm.REVIEW_AUDIENCE):
        raise PermissionDenied("Only the headteacher and the office admin work the mentions inbox.")


def _decide(
    actor: Membership,
    mention: MentionItem,
    *,
    status: str,
    action: str,
    note: str = "",
    data: dict | None = None,
    request=None,
    **fields,
) -> MentionItem:
    with transaction.atomic():
        current = MentionItem.objects.select_for_update().get(pk=mention.pk)
        previous = current.status
        current.status = status
        current.decided_by = actor.user
        current.decided_at = timezone.now()
        current.note = note.strip()
        for name, value in fields.items():
            setattr(current, name, value)
        current.save(update_fields=["status", "decided_by", "decided_at", "note", *fields])
        record(
            action=f"mention.{action}",
            actor=actor.user,
            school=actor.school,
            target=current,
            data={
                "account": current.account.handle,
                "author": current.author_handle,
                "from": previous,
                "note": current.note,
                **(data or {}),
            },
            request=request,
        )
    mention.refresh_from_db()
    return mention


def mention_mark_ok(*, actor: Membership, mention: MentionItem, note: str = "", request=None) -> MentionItem:
    _check(actor, mention)
    return _decide(actor, mention, status=MentionStatus.OK, action="mark_ok", note=note, request=request)


def mention_hide_reply(*, actor: Membership, mention: MentionItem, note: str = "", request=None) -> MentionItem:
    _check(actor, mention)
    allowed = hide_reply_check(mention)
    if not allowed.allowed:
        raise MentionActionRefused(allowed.reason)
    try:
        get_network(mention.account).hide_reply(mention.network_id)
    except NetworkError as error:
        raise MentionActionRefused(f"The reply was not hidden: {error.message}") from error
    return _decide(actor, mention, status=MentionStatus.HIDDEN, action="hide_reply", note=note, request=request)


def _follower(mention: MentionItem):
    """The author as one of the account's followers, when they are one (community.audience)."""
    return Follower.objects.filter(account=mention.account, network_user_id=mention.author_id).first()


def mention_mute_author(*, actor: Membership, mention: MentionItem, note: str = "", request=None) -> MentionItem:
    """Mute the author through the network: their posts stop reaching the account's timeline
    (their mentions still reach this inbox). An author who follows the account is muted through
    the followers queue's service, so the queue shows them muted too."""
    _check(actor, mention)
    refused = capabilities.refusal(mention.account, Action.MUTE)
    if refused:
        raise MentionActionRefused(refused)
    follower = _follower(mention)
    try:
        if follower is not None:
            audience.follower_mute(
                actor=actor, follower=follower, reason=note or "Muted from the mentions inbox.", request=request
            )
        else:
            get_network(mention.account).mute(mention.author_id)
    except audience.AudienceError as error:
        raise MentionActionRefused(error.message) from error
    except NetworkError as error:
        raise MentionActionRefused(f"@{mention.author_handle} was not muted: {error.message}") from error
    return _decide(actor, mention, status=MentionStatus.AUTHOR_MUTED, action="mute_author", note=note, request=request)


def mention_block_author(
    *, actor: Membership, mention: MentionItem, reason: str, copyright: CopyrightClaim | None = None, request=None
):
    """Block the author, on the same blocked-accounts list as blocked followers
    (`community.audience.block_user`): through the network where it allows, otherwise muted
    there, recorded here, and left for the admin to block by hand at the link given. Returns the
    mention and the audience service's BlockOutcome (the block, and what the admin reads next)."""
    _check(actor, mention)
    reason = reason_with_claim(reason, copyright)
    if not reason:
        raise ValidationError({"reason": "Say why you are blocking this account: the reason is kept with the block."})
    user = NetworkUser(
        id=mention.author_id, handle=mention.author_handle, display_name=mention.author_name, url=mention.author_url
    )
    post = {
        "id": mention.network_id,
        "text": mention.text,
        "url": mention.url,
        "created_at": mention.created_at.isoformat(),
    }
    try:
        outcome = audience.block_user(
            actor=actor,
            account=mention.account,
            user=user,
            reason=reason,
            evidence={"posts": [post], "findings": mention_advice.evidence_findings(mention.findings, mention.text)},
            follower=_follower(mention),
            copyright=copyright,
            request=request,
        )
    except audience.AudienceError as error:
        raise MentionActionRefused(error.message) from error
    blocked = outcome.blocked
    data = {"blocked_account": blocked.pk, "how": blocked.how, "block_url": blocked.block_url}
    if copyright is not None:
        data["copyright"] = copyright.as_evidence()
    mention = _decide(
        actor,
        mention,
        status=MentionStatus.AUTHOR_BLOCKED,
        action="block_author",
        note=reason,
        data=data,
        request=request,
    )
    return mention, outcome


def mention_report_author(
    *,
    actor: Membership,
    mention: MentionItem,
    reason: str,
    include_post: bool = True,
    copyright: CopyrightClaim | None = None,
    request=None,
) -> tuple[MentionItem, str]:
    """Report the author to the network's moderators with a reason, with this post of theirs
    attached unless `include_post` is off. Returns the mention and the message to show."""
    _check(actor, mention)
    user = NetworkUser(
        id=mention.author_id, handle=mention.author_handle, display_name=mention.author_name, url=mention.author_url
    )
    posts = [audience.ReportedPost(id=mention.network_id, text=mention.text, url=mention.url)] if include_post else []
    try:
        message = audience.report_user(
            actor=actor,
            account=mention.account,
            user=user,
            reason=reason,
            posts=posts,
            target=mention,
            copyright=copyright,
            request=request,
        )
    except audience.AudienceError as error:
        raise MentionActionRefused(error.message) from error
    data = {"post_attached": include_post, "url": mention.url}
    if copyright is not None:
        data.update(copyright=copyright.as_evidence(), snapshot=mention.snapshot())
    mention = _decide(
        actor,
        mention,
        status=MentionStatus.REPORTED,
        action="report_author",
        note=reason_with_claim(reason, copyright),
        data=data,
        request=request,
        reported_at=timezone.now(),
    )
    return mention, message


def mention_limit_replies(*, actor: Membership, mention: MentionItem, allow: str, request=None) -> str:
    """Limit who may reply to the school's post that started the mention's conversation. The
    mention itself stays as it was (hide it, or mark it fine, as well); returns the message."""
    _check(actor, mention)
    labels = dict(REPLY_CONTROLS)
    if allow not in labels:
        raise MentionActionRefused("Choose who may reply: the accounts the post mentions, those we follow, or nobody.")
    allowed = limit_replies_check(mention)
    if not allowed.allowed:
        raise MentionActionRefused(allowed.reason)
    try:
        get_network(mention.account).set_reply_controls(mention.conversation_id, allow)
    except NetworkError as error:
        raise MentionActionRefused(f"Who may reply was not changed: {error.message}") from error
    record(
        action="mention.limit_replies",
        actor=actor.user,
        school=actor.school,
        target=mention,
        data={
            "account": mention.account.handle,
            "post": mention.conversation_id,
            "allow": allow,
            "allow_label": labels[allow],
        },
        request=request,
    )
    if allow == "everyone":
        return f"Everyone may reply again to the conversation @{mention.account.handle} started."
    return f"Who may reply to the conversation @{mention.account.handle} started: {labels[allow].lower()}."


def mention_mark_reported(*, actor: Membership, mention: MentionItem, note: str = "", request=None) -> MentionItem:
    """Record that a member of staff reported the post on the network by hand (where the
    network does not let the portal report it, `mention_report_author`)."""
    _check(actor, mention)
    return _decide(
        actor,
        mention,
        status=MentionStatus.REPORTED,
        action="mark_reported",
        note=note,
        data={"url": mention.url},
        request=request,
        reported_at=timezone.now(),
    )


def mention_escalate(
    *,
    actor: Membership,
    mention: MentionItem,
    title: str,
    severity: str,
    note: str = "",
    copyright: CopyrightClaim | None = None,
    request=None,
) -> Incident:
    """Open an incident for the headteacher with the mention, as it is now, as its evidence (with
    the copyright claim beside it, when that is why)."""
    _check(actor, mention)
    if mention.incident_id is not None:
        raise MentionActionRefused("This mention is already part of an incident.")
    with transaction.atomic():
        incident = incidents.open_incident_for_mention(
            actor=actor,
            mention=mention,
            title=title,
            severity=severity,
            note=note,
            copyright=copyright.as_evidence() if copyright is not None else None,
            request=request,
        )
        _decide(
            actor,
            mention,
            status=MentionStatus.ESCALATED,
            action="escalate",
            note=reason_with_claim(note, copyright),
            data={"incident": incident.pk},
            request=request,
            incident=incident,
        )
    return incident
