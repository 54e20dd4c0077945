import hashlib
from urllib.parse import urlsplit

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
    """The tenant: every row a user can reach belongs to one school.

    The website feed (posts.feeds, issue 17) is on unless the headteacher turns it off: it shows
    only posts that are already public on the school's own accounts, with the photos and words
    the approver let out, so it tells nobody anything new; it is the easy way to put those posts
    on the school's website, and a school that does not want them there turns it off once.
    """

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    website_url = models.URLField(
        "school website",
        blank=True,
        help_text="The address of the school's own website, which may show the list of posts in a frame.",
    )
    public_feed = models.BooleanField(
        "website feed on",
        default=True,
        help_text="Off: the feed, the list of posts and their photos answer “not found” to everyone.",
    )
    # Approval in more than one step (accounts.approval_chains): how long a post may wait at one
    # step before its approvers are reminded, and before the headteacher is asked to decide it.
    approval_reminder_hours = models.PositiveSmallIntegerField(
        "remind approvers after (hours)",
        default=48,
        help_text="A post waiting this long at one step: its approvers are reminded once.",
    )
    approval_escalation_hours = models.PositiveSmallIntegerField(
        "ask the headteacher after (hours)",
        default=96,
        help_text="A post waiting this long at one step: the headteacher is told and may decide that step.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_escalation_hours__gt=models.F("approval_reminder_hours")),
                name="school_escalation_after_reminder",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def website_origin(self) -> str:
        """The scheme, host and port of the school's website ("" when unset): what a browser
        compares with a frame's parent page, which is all CSP's frame-ancestors can name."""
        if not self.website_url:
            return ""
        parts = urlsplit(self.website_url)
        return f"{parts.scheme}://{parts.netloc}".lower()


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
    BLUESKY = "bluesky", "Bluesky"
    MASTODON = "mastodon", "Mastodon"


class DeviceCheck(models.TextChoices):
    """What a social account does with a photo not uploaded from one of the school's devices."""

    WARN = "warn", "Warn the approver"
    BLOCK = "block", "Refuse the photo"
    OFF = "off", "Don't check"


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
    # What the network told us about this account that is not secret and that the compose page
    # needs (a Mastodon server's address and its length and photo limits, a Bluesky account's
    # DID and PDS): read when the account is connected and on each connection check.
    network_settings = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    device_check = models.CharField(
        "photos from elsewhere than a school device",
        max_length=8,
        choices=DeviceCheck.choices,
        default=DeviceCheck.WARN,
        help_text="“Photos are only taken on school iPads”: what happens to a photo not uploaded from one.",
    )
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


class Delegation(models.Model):
    """Trip mode: the headteacher lets a named member of staff post for the whole-school account
    without waiting for approval, between two school days (both included), e.g. on a residential.

    The delegate's posts still go through every check; only the wait for an approver is skipped,
    and the headteachers are emailed about each one. Revoked, never deleted, so history keeps it.
    """

    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="delegations")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True, help_text="What it is for, e.g. “Year 6 residential”.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "posts_delegation"  # born in posts; moved here with its table (accounts 0007)
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["account", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"Trip mode for {self.delegate} on @{self.account.handle}, {self.starts_on} to {self.ends_on}"


class SchoolDevice(models.Model):
    """An iPad (or other device) the school owns, enrolled once through a link opened on it.

    Enrolling leaves a long-lived signed cookie in that device's browser holding the device's id
    and a secret; only hashes of the enrolment token, its short code and the secret are stored.
    Revoked, never deleted, so the photos uploaded from it keep saying where they came from.
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="devices")
    name = models.CharField(max_length=100, help_text="As the school knows it, e.g. “Year 3 iPad 2”.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    enrolment_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    enrolment_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    enrolment_expires_at = models.DateTimeField(null=True, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["school", "enrolment_code_hash"])]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_secret(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()

    @property
    def is_enrolled(self) -> bool:
        """Enrolled and not revoked: its photos count as taken on a school device."""
        return self.enrolled_at is not None and self.revoked_at is None

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.enrolled_at:
            return "enrolled"
        if self.enrolment_expires_at and self.enrolment_expires_at > timezone.now():
            return "waiting"
        return "expired"


class StaffHandle(models.Model):
    """One of a member of staff's own accounts on a network, recorded by them (issue 18).

    The policy asks staff who follow the school's accounts to keep their own accounts private.
    Recording a handle lets the follower review recognise them, and lets the portal remind the
    person (and only them) when the network reports the account as public. Scoped to the school
    through the membership: the same person at another school records their handles there.
    """

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="staff_handles")
    network = models.CharField(max_length=16, choices=Network.choices)
    handle = models.CharField(max_length=200, help_text="As the network writes it, without a leading @, in lower case.")
    created_at = models.DateTimeField(default=timezone.now)
    # What the last look at the account found: None when the network does not say (or not yet).
    is_private = models.BooleanField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    check_note = models.CharField(max_length=300, blank=True, help_text="What the last check could not tell.")
    # A reminder stands while the account is seen public; it clears when the account is seen private.
    reminder_open = models.BooleanField(default=False)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the last reminder email was sent.")

    class Meta:
        ordering = ["network", "handle"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "network", "handle"], name="staff_handle_once_per_member"),
            models.CheckConstraint(condition=Q(network__in=Network.values), name="staff_handle_known_network"),
            models.CheckConstraint(condition=~Q(handle=""), name="staff_handle_not_empty"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.get_network_display()})"


class ApprovalStep(models.Model):
    """One step of an account's approval chain (accounts.approval_chains). An account with no
    steps keeps the single step every approver may decide.

    `mode` says whether any one of the step's people decides it, or all of them must approve;
    the people are the memberships named and everyone holding one of the roles named (the
    post's author never counts)."""

    class Mode(models.TextChoices):
        ANY = "any", "Any one of"
        ALL = "all", "All of"

    account = models.ForeignKey(SocialAccount, on_delete=models.CASCADE, related_name="approval_steps")
    position = models.PositiveSmallIntegerField()
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ANY)
    people = models.ManyToManyField(Membership, blank=True, related_name="approval_steps")

    class Meta:
        ordering = ["account", "position"]
        constraints = [
            models.UniqueConstraint(fields=["account", "position"], name="approval_step_unique_position"),
            models.CheckConstraint(condition=Q(mode__in=["any", "all"]), name="approval_step_known_mode"),
        ]

    def __str__(self) -> str:
        return f"Step {self.position + 1} for @{self.account.handle}"

    @property
    def roles(self) -> list[str]:
        """The role names, from the prefetch cache when there is one."""
        held = {row.role for row in self.step_roles.all()}
        return [role for role in Role.values if role in held]

    @property
    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles]


class ApprovalStepRole(models.Model):
    """A role whose holders belong to an approval step (a row each, so a queue can ask in SQL)."""

    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="step_roles")
    role = models.CharField(max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "role"], name="approval_step_role_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="approval_step_role_known_role"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class ApprovalCover(models.Model):
    """While an approver is away (`starts_on` to `ends_on`, both included, school days), another
    member of staff decides the approval steps they could, recorded as "X for Y". Not trip mode
    (Delegation), which lends an account to an author. Revoked, never deleted."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="approval_covers")
    absent = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="covered_by")
    delegate = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="covering_for")
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="approval_cover_ends_after_start"
            ),
            models.CheckConstraint(condition=~Q(absent=models.F("delegate")), name="approval_cover_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegate.user} for {self.absent.user}, {self.starts_on} to {self.ends_on}"
