import hashlib
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .fields import EncryptedJSONField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their own email address. `is_staff` means Django admin access."""

    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class School(models.Model):
    """The tenant: every row a user can reach belongs to one school."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClassGroup(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="class_groups")
    name = models.CharField(max_length=100, help_text="As the school says it, e.g. “Year 3 Oak”.")
    year_group = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["year_group", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="class_group_unique_name_per_school")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    SENIOR_LEADER = "senior_leader", "Senior leader"
    CLASS_TEACHER = "class_teacher", "Class teacher"
    TEACHING_ASSISTANT = "teaching_assistant", "Teaching assistant"
    COMPUTING_LEAD = "computing_lead", "Computing lead"
    OFFICE_ADMIN = "office_admin", "Office admin"


class ApprovalEmails(models.TextChoices):
    """How an approver hears about posts waiting for them."""

    IMMEDIATE = "immediate", "An email for each post, as it is sent"
    DIGEST = "digest", "One email each morning listing what is waiting"
    OFF = "off", "No emails: I check the portal myself"


class Membership(models.Model):
    """A person's place on a school's staff. Deactivated, never deleted, so history keeps its names."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="memberships")
    class_groups = models.ManyToManyField(ClassGroup, blank=True, related_name="staff")
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    approval_emails = models.CharField(max_length=16, choices=ApprovalEmails.choices, default=ApprovalEmails.IMMEDIATE)

    class Meta:
        ordering = ["user__last_name", "user__first_name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "school"], name="membership_unique_user_school")]

    def __str__(self) -> str:
        return f"{self.user} at {self.school}"

    @property
    def roles(self) -> frozenset[str]:
        """The role names, from the prefetch cache when there is one."""
        return frozenset(assignment.role for assignment in self.role_assignments.all())

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in Role.values if role in self.roles]


class RoleAssignment(models.Model):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="role_assignment_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_assignment_known_role"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class Invitation(models.Model):
    """An emailed, single-use, expiring link that lets one person join a school's staff.

    Only a hash of the token is stored, so a leaked database cannot be used to join.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField()
    roles = models.JSONField(default=list)
    class_groups = models.ManyToManyField(ClassGroup, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the portal's operator invited the school's first headteacher.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in Role.values if role in self.roles]


class Network(models.TextChoices):
    LOCAL = "local", "Local (built in)"
    X = "x", "X (Twitter)"


class SocialAccount(models.Model):
    """A school's account on a network. Credentials are encrypted and never shown to staff."""

    class Kind(models.TextChoices):
        WHOLE_SCHOOL = "whole_school", "Whole-school account"
        CLASS = "class", "Class account"

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        NOT_CONNECTED = "not_connected", "Not connected"
        ERROR = "error", "Needs attention"
        DISABLED = "disabled", "Disabled"

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="social_accounts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    class_group = models.ForeignKey(
        ClassGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="social_accounts"
    )
    network = models.CharField(max_length=16, choices=Network.choices, default=Network.LOCAL)
    handle = models.CharField(max_length=64, help_text="The account's name on the network, without the @.")
    display_name = models.CharField(max_length=100)
    credentials = EncryptedJSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "display_name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="class") & Q(class_group__isnull=False))
                | (Q(kind="whole_school") & Q(class_group__isnull=True)),
                name="social_account_class_group_matches_kind",
            ),
            models.UniqueConstraint(fields=["network", "handle"], name="social_account_unique_handle_per_network"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.get_network_display()})"


class LocalNetworkPost(models.Model):
    """A post published on the portal's built-in network (`accounts.networks.local`).

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

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="local_post_idempotency_key_not_empty"),
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

    class Meta:
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
        constraints = [
            models.UniqueConstraint(fields=["account", "user", "kind"], name="local_relation_once"),
            models.CheckConstraint(condition=Q(kind__in=["mute", "block"]), name="local_relation_known_kind"),
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle}: {self.get_kind_display().lower()} @{self.user.handle}"
