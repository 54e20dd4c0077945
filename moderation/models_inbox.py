"""Mentions of the school's accounts, and concerns and incidents.

Nothing here is ever deleted: rows are kept as the record of what was seen and decided, every
foreign key protects what it points at, and the admin shows these rows without delete buttons.
State changes only in `moderation.inbox` and `moderation.incidents`, which check permission and
write the audit trail.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = [
    "Concern",
    "EntryKind",
    "Incident",
    "IncidentEntry",
    "IncidentSeverity",
    "IncidentStatus",
    "MentionItem",
    "MentionStatus",
    "MentionSync",
]


class MentionStatus(models.TextChoices):
    NEW = "new", "New"
    OK = "ok", "Seen, fine"
    HIDDEN = "hidden", "Reply hidden"
    AUTHOR_MUTED = "author_muted", "Author muted"
    AUTHOR_BLOCKED = "author_blocked", "Author blocked"
    REPORTED = "reported", "Reported to the network"
    ESCALATED = "escalated", "Escalated to an incident"


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
    """A post on a network that mentions, or replies to, one of the school's accounts, as fetched."""

    Status = MentionStatus

    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="mention_items")
    network_id = models.CharField(max_length=64, help_text="The post's id on its network.")
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
        "moderation.Incident", null=True, blank=True, on_delete=models.PROTECT, related_name="mentions"
    )

    class Meta:
        ordering = ["-flagged", "-created_at", "-pk"]
        indexes = [models.Index(fields=["account", "status", "-flagged", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["account", "network_id"], name="mention_item_unique_per_account"),
            models.CheckConstraint(condition=Q(status__in=MentionStatus.values), name="mention_item_known_status"),
        ]

    def __str__(self) -> str:
        preview = self.text[:40] + ("…" if len(self.text) > 40 else "")
        return f"@{self.author_handle}: {preview}"

    @property
    def is_reply(self) -> bool:
        return is_reply(self.network_id, self.in_reply_to, self.conversation_id)

    def snapshot(self) -> dict:
        """The mention as it was seen, for an incident's evidence (the network may lose it)."""
        return {
            "kind": "mention",
            "account": self.account.handle,
            "network": self.account.network,
            "id": self.network_id,
            "author_id": self.author_id,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "text": self.text,
            "url": self.url,
            "posted_at": self.created_at.isoformat(),
            "findings": [finding.get("message", "") for finding in self.findings],
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
