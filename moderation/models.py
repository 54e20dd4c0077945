from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .rules import RuleType, Scope, Severity, clean_parameters


class Rule(models.Model):
    """One of the school's wording rules: what to look for, how serious it is, which accounts it covers.

    Changed only through `moderation.services` (permission check and audit entry). Saving runs
    the full validation, so a rule with settings the engine cannot use never reaches the database.
    """

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="moderation_rules")
    type = models.CharField(max_length=32, choices=RuleType.choices)
    parameters = models.JSONField(default=dict, blank=True, help_text="The rule's settings; see moderation.rules.")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.ALL)
    account = models.ForeignKey(
        "accounts.SocialAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="moderation_rules",
        help_text="Only for a rule about one account.",
    )
    enabled = models.BooleanField(default=True)
    policy_paragraph = models.SlugField(
        max_length=64, blank=True, help_text="The paragraph of the school's policy this rule puts into practice."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school", "type", "pk"]
        indexes = [models.Index(fields=["school", "enabled"])]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=RuleType.values), name="moderation_rule_known_type"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="moderation_rule_known_severity"),
            models.CheckConstraint(condition=Q(scope__in=Scope.values), name="moderation_rule_known_scope"),
            models.CheckConstraint(
                condition=(Q(scope="account") & Q(account__isnull=False))
                | (~Q(scope="account") & Q(account__isnull=True)),
                name="moderation_rule_account_matches_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.get_severity_display().lower()}, {self.scope_label.lower()})"

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        if self.scope == Scope.ACCOUNT and self.account_id is not None:
            return f"@{self.account.handle}"
        return self.get_scope_display()

    def clean(self) -> None:
        errors = {}
        if self.type in RuleType.values:
            try:
                self.parameters = clean_parameters(self.type, self.parameters)
            except ValidationError as error:
                errors["parameters"] = error.messages
        if self.scope == Scope.ACCOUNT:
            if self.account_id is None:
                errors["account"] = ["Choose the account this rule is about."]
            elif self.school_id is not None and self.account.school_id != self.school_id:
                errors["account"] = ["That account belongs to another school."]
        elif self.account_id is not None:
            errors["account"] = ["Only a rule about one account names an account."]
        if errors:
            raise ValidationError(errors)


class RulebookVersion(models.Model):
    """Changes whenever anything the rules engine reads for a school changes: its rules, pupils,
    classes, accounts or name. The engine keeps each school's prepared word lists in memory
    and rebuilds them when this token differs from the one they were built from, so every
    process (web and workers) sees a change at its next check.
    """

    school = models.OneToOneField(
        "accounts.School", primary_key=True, on_delete=models.CASCADE, related_name="rulebook_version"
    )
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rulebook version {self.token} of school {self.school_id}"


class PolicyVersion(models.Model):
    """One version of the school's social media policy: a draft until the headteacher signs it off.

    The current policy is the signed-off version with the highest number. A school has at most
    one draft at a time, so the headteacher always knows which text they are signing off.
    Changed only through `moderation.services`.
    """

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="policy_versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Plain text: paragraphs separated by blank lines, headings start with “## ”.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    adopted_on = models.DateField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    review_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["school", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="policy_version_unique_number"),
            models.UniqueConstraint(
                fields=["school"], condition=Q(signed_off_at__isnull=True), name="policy_version_one_draft"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="policy_version_number_positive"),
            # Signed off means all of: who, when, adopted on, review due; a draft has none of them.
            models.CheckConstraint(
                condition=(
                    Q(signed_off_at__isnull=True)
                    & Q(signed_off_by__isnull=True)
                    & Q(adopted_on__isnull=True)
                    & Q(review_due__isnull=True)
                )
                | (
                    Q(signed_off_at__isnull=False)
                    & Q(signed_off_by__isnull=False)
                    & Q(adopted_on__isnull=False)
                    & Q(review_due__gt=models.F("adopted_on"))
                ),
                name="policy_version_signed_off_completely",
            ),
        ]

    def __str__(self) -> str:
        state = "" if self.is_signed_off else " (draft)"
        return f"Social media policy version {self.number}{state}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class PolicyAcknowledgement(models.Model):
    """A member of staff confirming they have read one version of the policy."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_acknowledgements")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="policy_acknowledgement_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user} read version {self.version.number}"


# Mentions, concerns and incidents (issue 7) live in their own module.
from .models_inbox import *  # noqa: E402,F403

# The audience (issue 7): who follows the school's accounts, whom the school has blocked, and
# whom it follows. Changed only through `moderation.audience` (permission check, audit entry).
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
        constraints = [models.UniqueConstraint(fields=["account", "kind"], name="audience_sync_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of @{self.account.handle}"
