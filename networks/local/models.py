"""The built-in local network's rows: posts and images the local adapter publishes, and the
simulated members of the public who follow, mention and reply to a school's local accounts.

They were born in `accounts` and keep its table names (`db_table`), so moving them here changed
no database table (see networks/migrations/0001_initial.py).
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import SocialAccount


class ReplyControl(models.TextChoices):
    """Who may reply to a post (the values `Network.set_reply_controls` takes)."""

    EVERYONE = "everyone", "Everyone"
    MENTIONED = "mentioned", "Only accounts the post mentions"
    FOLLOWING = "following", "Only accounts the school's account follows"
    NOBODY = "nobody", "Nobody"


class LocalNetworkPost(models.Model):
    """A post published on the portal's built-in network (`networks.local.adapter`).

    Its pk is the post's external id, and ids grow with time (like X's), so "newest first" is
    by id. Deleting on the network keeps the row and sets `deleted_at`.
    """

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="local_posts")
    text = models.TextField(blank=True)
    quote_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="quoted_by")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    idempotency_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="Sent by the publisher so a retried publish returns this post instead of posting twice.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    reply_controls = models.CharField(max_length=16, choices=ReplyControl.choices, default=ReplyControl.EVERYONE)
    # A repost (issue 18): the account shares this post without words of its own.
    repost_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reposted_by")

    class Meta:
        db_table = "accounts_localnetworkpost"
        ordering = ["-pk"]
        constraints = [
            # As on the big networks, an account reposts a post once while the repost stands.
            models.UniqueConstraint(
                fields=["account", "repost_of"],
                condition=Q(repost_of__isnull=False, deleted_at__isnull=True),
                name="local_post_one_live_repost",
            ),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="local_post_idempotency_key_not_empty"),
            models.CheckConstraint(
                condition=Q(reply_controls__in=ReplyControl.values), name="local_post_known_reply_controls"
            ),
        ]

    def __str__(self) -> str:
        return f"Local post {self.pk} by @{self.account.handle}"


def local_media_path(instance: "LocalNetworkMedia", filename: str) -> str:
    return f"local-network/{instance.account_id}/{uuid.uuid4().hex}.jpg"


class LocalNetworkMedia(models.Model):
    """An image uploaded to the built-in network. Uploaded first (with its alt text), then
    attached to a post when that post is published, as on X."""

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="local_media")
    post = models.ForeignKey(LocalNetworkPost, null=True, blank=True, on_delete=models.PROTECT, related_name="media")
    position = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=local_media_path, blank=True)
    alt_text = models.TextField(blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_localnetworkmedia"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="local_media_unique_position_per_post"),
        ]

    def __str__(self) -> str:
        return f"Local image {self.pk} of @{self.account.handle}"


# The local network's other people (issue 7): simulated members of the public who follow, mention
# and reply to the school's local accounts, so followers, blocks and the mentions inbox work
# end to end with no credentials. The local adapter is their only writer besides the demo.


class LocalNetworkUser(models.Model):
    """Someone on the local network who is not one of a school's accounts. Its pk is its user id."""

    handle = models.CharField(max_length=64, unique=True, help_text="Without the @.")
    display_name = models.CharField(max_length=100, blank=True)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    is_private = models.BooleanField(
        default=False, help_text="Only the followers they approve see their posts (X's protected, Mastodon's locked)."
    )

    class Meta:
        db_table = "accounts_localnetworkuser"
        ordering = ["handle"]

    def __str__(self) -> str:
        return f"@{self.handle} (local network)"


class LocalNetworkFollow(models.Model):
    """One follow between a person and a school's account, in either direction."""

    class Direction(models.TextChoices):
        USER_FOLLOWS_ACCOUNT = "user_follows_account", "follows the account"
        ACCOUNT_FOLLOWS_USER = "account_follows_user", "is followed by the account"

    user = models.ForeignKey(LocalNetworkUser, on_delete=models.CASCADE, related_name="follows")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="local_follows")
    direction = models.CharField(max_length=24, choices=Direction.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_localnetworkfollow"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account", "direction"], name="local_follow_once"),
            models.CheckConstraint(
                condition=Q(direction__in=["user_follows_account", "account_follows_user"]),
                name="local_follow_known_direction",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.user.handle} {self.get_direction_display()} @{self.account.handle}"


class LocalNetworkMention(models.Model):
    """A post by a person that mentions a school's account, possibly as a reply to one of its posts.

    Its pk is the mention's id on the network (ids grow with time, so "after `since`" is by id).
    `conversation_root` is the post that started the thread: replies can be hidden only in the
    account's own conversations, as on X.
    """

    author = models.ForeignKey(LocalNetworkUser, on_delete=models.CASCADE, related_name="mentions")
    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="local_mentions")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    in_reply_to = models.ForeignKey(
        LocalNetworkPost, null=True, blank=True, on_delete=models.SET_NULL, related_name="local_replies"
    )
    conversation_root = models.ForeignKey(
        LocalNetworkPost, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_localnetworkmention"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Mention {self.pk} of @{self.account.handle} by @{self.author.handle}"


class LocalNetworkRelation(models.Model):
    """A school's account muting or blocking a person on the local network."""

    class Kind(models.TextChoices):
        MUTE = "mute", "Muted"
        BLOCK = "block", "Blocked"

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="local_relations")
    user = models.ForeignKey(LocalNetworkUser, on_delete=models.CASCADE, related_name="relations")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_localnetworkrelation"
        constraints = [
            models.UniqueConstraint(fields=["account", "user", "kind"], name="local_relation_once"),
            models.CheckConstraint(condition=Q(kind__in=["mute", "block"]), name="local_relation_known_kind"),
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle}: {self.get_kind_display().lower()} @{self.user.handle}"


class LocalNetworkReport(models.Model):
    """A school's account reporting a person (and some of their posts) to the local network's
    moderators. Nobody moderates the local network: the row is what a report would have sent."""

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="local_reports")
    user = models.ForeignKey(LocalNetworkUser, on_delete=models.CASCADE, related_name="reports")
    reason = models.TextField()
    post_ids = models.JSONField(default=list, blank=True, help_text="The reported mentions' ids.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="local_report_has_reason")]

    def __str__(self) -> str:
        return f"@{self.account.handle} reported @{self.user.handle}"


class LocalNetworkDirectMessage(models.Model):
    """A private message between a school's account and a person on the local network (issue 18).

    Its pk is the message's id on the network (ids grow with time, so "after `since`" is by id).
    """

    class Direction(models.TextChoices):
        TO_ACCOUNT = "to_account", "sent to the account"
        FROM_ACCOUNT = "from_account", "sent by the account"

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="local_direct_messages")
    person = models.ForeignKey(LocalNetworkUser, on_delete=models.CASCADE, related_name="direct_messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="Sent by the portal so a retried send returns this message instead of sending twice.",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["to_account", "from_account"]), name="local_dm_known_direction"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="local_dm_has_text"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} between @{self.account.handle} and @{self.person.handle}"
