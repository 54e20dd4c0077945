"""The school's community on the networks: who follows its accounts, whom it has blocked and
whom it follows; mentions of its accounts; concerns and incidents.

Nothing here is ever deleted: rows are kept as the record of what was seen and decided, every
foreign key protects what it points at, and the admin shows these rows without delete buttons.
State changes only in `community.audience`, `community.inbox` and `community.incidents`, which
check permission and write the audit trail.

They were born in `moderation` and keep its table names (`db_table`), so moving them here changed
no database table (see community/migrations/0001_initial.py).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .mention_advice import evidence_findings


class MentionStatus(models.TextChoices):
    NEW = "new", "New"
    OK = "ok", "Seen, fine"
    HIDDEN = "hidden", "Reply hidden"
    AUTHOR_MUTED = "author_muted", "Author muted"
    AUTHOR_BLOCKED = "author_blocked", "Author blocked"
    REPORTED = "reported", "Reported to the network"
    ESCALATED = "escalated", "Escalated to an incident"


class InboxKind(models.TextChoices):
    """What an inbox item is: a public post that mentions the account, or a private message to it."""

    MENTION = "mention", "Mention"
    MESSAGE = "message", "Private message"


class IncidentSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class EntryKind(models.TextChoices):
    NOTE = "note", "Note"
    ACTION = "action", "Action taken"
    STATUS = "status", "Status change"
    REFERRAL = "referral", "Referral"


def is_reply(post_id: str, in_reply_to: str | None, conversation_id: str | None) -> bool:
    """A reply says what it replies to, or (X does not always say) belongs to a conversation that
    another post started: the post that starts a conversation gives it its id."""
    return bool(in_reply_to) or bool(conversation_id and conversation_id != post_id)


class MentionItem(models.Model):
    """A post on a network that mentions, or replies to, one of the school's accounts, as fetched;
    or (issue 18, `kind` = message) a private message someone sent to the account. Messages share
    the inbox's screening, actions and evidence; only hiding and limiting replies do not apply."""

    Status = MentionStatus
    Kind = InboxKind

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="mention_items")
    kind = models.CharField(max_length=8, choices=InboxKind.choices, default=InboxKind.MENTION)
    network_id = models.CharField(max_length=64, help_text="The post's (or message's) id on its network.")
    author_id = models.CharField(max_length=64)
    author_handle = models.CharField(max_length=100)
    author_name = models.CharField(max_length=200, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(help_text="When it was posted on the network.")
    fetched_at = models.DateTimeField(auto_now_add=True)
    in_reply_to = models.CharField(max_length=64, blank=True)
    conversation_id = models.CharField(max_length=64, blank=True)
    is_reply_to_our_conversation = models.BooleanField(
        default=False, help_text="A reply in a conversation one of our posts started: only these can be hidden."
    )
    findings = models.JSONField(default=list, blank=True)
    flagged = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "community.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="mentions"
    )

    class Meta:
        db_table = "moderation_mentionitem"
        ordering = ["-flagged", "-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "status", "-flagged", "-created_at"])]
        constraints = [
            # A network numbers messages apart from posts, so one id can be both.
            models.UniqueConstraint(
                fields=["account", "kind", "network_id"], name="mention_item_unique_per_account_and_kind"
            ),
            models.CheckConstraint(condition=Q(status__in=MentionStatus.values), name="mention_item_known_status"),
            models.CheckConstraint(condition=Q(kind__in=InboxKind.values), name="mention_item_known_kind"),
        ]

    def __str__(self) -> str:
        preview = self.text[:40] + ("…" if len(self.text) > 40 else "")
        return f"@{self.author_handle}: {preview}"

    @property
    def is_reply(self) -> bool:
        return self.kind == InboxKind.MENTION and is_reply(self.network_id, self.in_reply_to, self.conversation_id)

    @property
    def is_message(self) -> bool:
        return self.kind == InboxKind.MESSAGE

    def snapshot(self) -> dict:
        """The mention as it was seen, for an incident's evidence (the network may lose it)."""
        return {
            "kind": self.kind,
            "account": self.account.handle,
            "network": self.account.network,
            "id": self.network_id,
            "author_id": self.author_id,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "text": self.text,
            "url": self.url,
            "posted_at": self.created_at.isoformat(),
            "findings": [finding["message"] for finding in evidence_findings(self.findings, self.text)],
        }


class MentionSync(models.Model):
    """Where fetching an account's mentions got to, and why it last stopped (shown on the inbox)."""

    account = models.OneToOneField("accounts.SocialAccount", on_delete=models.PROTECT, related_name="mention_sync")
    since_id = models.CharField(max_length=64, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    unsupported = models.BooleanField(
        default=False, help_text="The network (or the school's plan with it) does not let the portal read mentions."
    )
    # Private messages (issue 18): their own cursor, since a network numbers them apart from posts.
    messages_since_id = models.CharField(max_length=64, blank=True)
    messages_last_error = models.TextField(blank=True)
    messages_unsupported = models.BooleanField(
        default=False, help_text="The network (or the school's plan with it) does not let the portal read messages."
    )

    class Meta:
        db_table = "moderation_mentionsync"

    def __str__(self) -> str:
        return f"Mentions of @{self.account.handle}"


class Incident(models.Model):
    """Something serious enough to be handled and recorded: severity, actions, referral, timeline."""

    Severity = IncidentSeverity
    Status = IncidentStatus

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    evidence = models.JSONField(
        default=list, blank=True, help_text="Snapshots of the posts involved, as they were when the incident opened."
    )
    referred_to_outside_authority = models.BooleanField(default=False)
    referred_to = models.CharField(max_length=200, blank=True, help_text="e.g. the police, the LADO, the network.")
    referred_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_summary = models.TextField(blank=True)

    class Meta:
        db_table = "moderation_incident"
        ordering = ["status", "-opened_at", "-pk"]
        indexes = [models.Index(fields=["school", "status", "-opened_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=IncidentSeverity.values), name="incident_known_severity"),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_known_status"),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(closed_at__isnull=False) & ~Q(closing_summary="")),
                name="incident_closed_has_summary",
            ),
            models.CheckConstraint(
                condition=Q(referred_to_outside_authority=False) | ~Q(referred_to=""),
                name="incident_referral_names_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class IncidentEntry(models.Model):
    """One line of an incident's timeline. Entries are added, never changed."""

    Kind = EntryKind

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="entries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "moderation_incidententry"
        ordering = ["created_at", "pk"]
        verbose_name_plural = "incident entries"
        constraints = [models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="incident_entry_known_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.incident}"


class Concern(models.Model):
    """A member of staff's worry about a post (ours, or one mentioning us), sent to the headteacher.

    The headteacher either opens an incident from it (or adds it to an open one), or closes it
    with a note saying why nothing more is needed.
    """

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="concerns")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey("posts.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="concerns")
    mention = models.ForeignKey(MentionItem, null=True, blank=True, on_delete=models.PROTECT, related_name="concerns")
    url = models.URLField(max_length=500, blank=True)
    description = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="concerns")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        db_table = "moderation_concern"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False) | Q(mention__isnull=False) | ~Q(url=""),
                name="concern_is_about_something",
            ),
        ]

    def __str__(self) -> str:
        return f"Concern raised by {self.raised_by} on {self.created_at:%d %b %Y}"

    @property
    def is_new(self) -> bool:
        return self.incident_id is None and self.resolved_at is None


# The audience (issue 7): who follows the school's accounts, whom the school has blocked, and
# whom it follows. Changed only through `community.audience` (permission check, audit entry).
# Nothing here is deleted: a lifted block keeps its row, a follower who leaves keeps theirs.


class FollowerStatus(models.TextChoices):
    NEW = "new", "Waiting for review"
    ACCEPTED = "accepted", "Accepted"
    WATCHED = "watched", "Watched"
    MUTED = "muted", "Muted"
    BLOCKED = "blocked", "Blocked"


class Follower(models.Model):
    """Someone who follows (or followed) one of the school's accounts, as the last sync saw them."""

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="followers")
    network_user_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    network_created_at = models.DateTimeField(null=True, blank=True)
    followers_count = models.PositiveIntegerField(null=True, blank=True)
    following_count = models.PositiveIntegerField(null=True, blank=True)
    posts_count = models.PositiveIntegerField(null=True, blank=True)
    is_private = models.BooleanField(
        null=True, blank=True, help_text="Whether the network reports their account private (None: it does not say)."
    )
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    still_following = models.BooleanField(default=True)
    findings = models.JSONField(default=list, blank=True, help_text="What screening noticed: [{code, message}].")
    flagged = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=FollowerStatus.choices, default=FollowerStatus.NEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        db_table = "moderation_follower"
        ordering = ["-flagged", "first_seen", "pk"]
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "network_user_id"], name="follower_once_per_account"),
            models.CheckConstraint(condition=Q(status__in=FollowerStatus.values), name="follower_known_status"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} following @{self.account.handle}"


class BlockedAccount(models.Model):
    """A decision to block someone from one of the school's accounts, with the evidence for it.

    `how` says where the block stands on the network: done through its API, or (where the API
    cannot block, e.g. X outside Enterprise) waiting for the admin to block by hand at
    `block_url`, then confirmed. Lifting keeps the row and says who lifted it and why.
    """

    class How(models.TextChoices):
        API = "api", "Blocked through the network's API"
        MANUAL_PENDING = "manual_pending", "Waiting to be blocked by hand"
        MANUAL_DONE = "manual_done", "Blocked by hand on the network"

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="blocked_accounts")
    follower = models.ForeignKey(Follower, null=True, blank=True, on_delete=models.PROTECT, related_name="blocks")
    network_user_id = models.CharField(max_length=64)
    handle = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    evidence = models.JSONField(default=dict, blank=True, help_text="The profile and posts as seen, and when.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    how = models.CharField(max_length=16, choices=How.choices)
    muted_via_api = models.BooleanField(default=False)
    network_error = models.TextField(blank=True, help_text="What the network said when blocking or muting failed.")
    block_url = models.URLField(max_length=500, blank=True)
    manual_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    manual_done_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        db_table = "moderation_blockedaccount"
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "network_user_id"],
                condition=Q(lifted_at__isnull=True),
                name="blocked_account_one_active_block",
            ),
            models.CheckConstraint(
                condition=Q(how__in=["api", "manual_pending", "manual_done"]), name="blocked_account_known_how"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="blocked_account_has_reason"),
            models.CheckConstraint(
                condition=(Q(lifted_at__isnull=True) & Q(lifted_by__isnull=True) & Q(lift_reason=""))
                | (Q(lifted_at__isnull=False) & Q(lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="blocked_account_lifted_completely",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} blocked from @{self.account.handle}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    @property
    def evidence_seen_at(self):
        """When the evidence was captured (a datetime), from the snapshot's ISO timestamp."""
        seen_at = (self.evidence or {}).get("seen_at")
        return parse_datetime(seen_at) if isinstance(seen_at, str) else None


class FollowRequest(models.Model):
    """A proposal that one of the school's accounts follows someone, decided by the headteacher.

    The portal follows through the network only after approval; the request then records
    whether that worked (`followed`) or what went wrong (`failed`, with `error`). When the
    headteacher stops following, the row stays as history (`unfollowed`, with who, when and why).
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for the headteacher"
        APPROVED = "approved", "Approved, following…"
        DECLINED = "declined", "Declined"
        FOLLOWED = "followed", "Following"
        FAILED = "failed", "Approved, but following failed"
        UNFOLLOWED = "unfollowed", "No longer followed"

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="follow_requests")
    handle = models.CharField(max_length=64)
    network_user_id = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    why = models.TextField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    followed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    unfollowed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unfollowed_at = models.DateTimeField(null=True, blank=True)
    unfollow_reason = models.TextField(blank=True)

    class Meta:
        db_table = "moderation_followrequest"
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "declined", "followed", "failed", "unfollowed"]),
                name="follow_request_known_status",
            ),
            # Stopped following means all of: who, when and why; nothing else has any of them.
            models.CheckConstraint(
                condition=(
                    Q(status="unfollowed")
                    & Q(unfollowed_by__isnull=False)
                    & Q(unfollowed_at__isnull=False)
                    & ~Q(unfollow_reason="")
                )
                | (
                    ~Q(status="unfollowed")
                    & Q(unfollowed_by__isnull=True)
                    & Q(unfollowed_at__isnull=True)
                    & Q(unfollow_reason="")
                ),
                name="follow_request_unfollowed_completely",
            ),
            # One open request per handle per account, so the same proposal is not decided twice.
            models.UniqueConstraint(
                fields=["account", "handle"],
                condition=Q(status__in=["proposed", "approved", "followed"]),
                name="follow_request_one_open_per_handle",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle} to follow @{self.handle}"


class AudienceSync(models.Model):
    """Where the periodic reading of an account's followers stands: when it last ran, what went
    wrong, and (when the network or its tier does not offer it) the network's own explanation."""

    class Kind(models.TextChoices):
        FOLLOWERS = "followers", "Followers"

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.CASCADE, related_name="audience_syncs")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FOLLOWERS)
    last_run = models.DateTimeField(null=True, blank=True)
    last_success = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    unsupported = models.TextField(blank=True, help_text="Set when the network cannot list followers at all.")
    cursor = models.CharField(max_length=200, blank=True, help_text="Where the next run resumes a long list.")
    pass_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "moderation_audiencesync"
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="audience_sync_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of @{self.account.handle}"


# Private messages the school sends (issue 18): written by someone who may draft for the account,
# approved by someone else who may approve for it, sent by a worker. Changed only through
# `community.messages`, which checks permission and writes the audit trail.


class MessagePurpose(models.TextChoices):
    """The policy: private messages are only for organising visits, visitors and learning."""

    VISIT = "visit", "Organising a visit"
    VISITOR = "visitor", "Organising a visitor"
    EDUCATIONAL = "educational", "Something educational"


class OutgoingMessageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPROVED = "approved", "Approved, waiting to be sent"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    UNKNOWN = "unknown", "Sending may have worked: check before trying again"
    FAILED = "failed", "Not sent"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"


class OutgoingMessage(models.Model):
    """A private message from one of the school's accounts to one person on its network."""

    Status = OutgoingMessageStatus
    Purpose = MessagePurpose

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="outgoing_messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_handle = models.CharField(max_length=100, help_text="Without the @.")
    purpose = models.CharField(max_length=16, choices=MessagePurpose.choices)
    purpose_detail = models.CharField(
        max_length=200, blank=True, help_text="Which visit, visitor or piece of learning it is about."
    )
    text = models.TextField()
    status = models.CharField(max_length=20, choices=OutgoingMessageStatus.choices, default=OutgoingMessageStatus.DRAFT)
    findings = models.JSONField(default=list, blank=True, help_text="The rules' and consent check's last findings.")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # Sending: claimed (status sending) before the network is called, the outcome recorded after.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    network_message_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OutgoingMessageStatus.values), name="outgoing_message_known_status"
            ),
            models.CheckConstraint(condition=Q(purpose__in=MessagePurpose.values), name="outgoing_message_has_purpose"),
            models.CheckConstraint(condition=~Q(recipient_handle=""), name="outgoing_message_has_recipient"),
            models.CheckConstraint(condition=~Q(text=""), name="outgoing_message_has_text"),
            models.CheckConstraint(
                condition=~Q(status="sent") | (Q(sent_at__isnull=False) & ~Q(network_message_id="")),
                name="outgoing_message_sent_has_id",
            ),
            # Nobody approves their own message.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=models.F("author")),
                name="outgoing_message_not_reviewed_by_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Message from @{self.account.handle} to @{self.recipient_handle}"

    @property
    def is_editable(self) -> bool:
        return self.status in {OutgoingMessageStatus.DRAFT, OutgoingMessageStatus.CHANGES_REQUESTED}
