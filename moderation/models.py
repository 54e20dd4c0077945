from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

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
