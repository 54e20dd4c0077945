from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

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
