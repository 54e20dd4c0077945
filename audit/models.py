from django.conf import settings
from django.db import connections, models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone


def now():
    """timezone.now, looked up at each call (tests that fix the time patch it)."""
    return timezone.now()


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit entries cannot be deleted.")

    def for_school(self, school):
        return self.filter(school=school)

    def in_chain(self, school_id: int | None):
        """One chain's entries (entries with no school are chain 0), read in id order from an index:
        PostgreSQL's audit_chain; on SQLite the school's own index, which ends in the rowid (the id),
        and which cannot match audit_chain's COALESCE when the 0 is a query parameter."""
        if connections[self.db].vendor == "sqlite":
            return self.filter(school_id=school_id)
        return self.alias(chain=Coalesce("school", Value(0))).filter(chain=school_id or 0)


class AuditEvent(models.Model):
    """One thing that happened, who did it and to what. Written only by audit.services.record.

    Append-only three times over: this model refuses updates and deletes, the admin is
    read-only, and database triggers (migration 0004) refuse UPDATE, DELETE and TRUNCATE except
    through audit.maintenance.maintenance_door. Tamper-evident: each entry carries the fingerprint
    of the entry before it in its school's chain and its own (audit.chain), which
    `manage.py audit_verify` recomputes.
    """

    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Set by audit.services before the fingerprint is worked out (auto_now_add would set it after).
    created_at = models.DateTimeField(default=now, editable=False, db_index=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The trail page: a school's entries in the page's order (newest first, then the later
            # entry of the same moment), alone or narrowed to one person or one kind of event, so a
            # page of a 100,000-entry trail is read straight from one index without sorting.
            models.Index(fields=["school", "-created_at", "-id"], name="audit_school_time"),
            models.Index(fields=["school", "actor", "-created_at", "-id"], name="audit_school_actor_time"),
            models.Index(fields=["school", "action", "-created_at", "-id"], name="audit_school_action_time"),
            models.Index(fields=["target_type", "target_id"]),
            # A chain's last entry (read by every record) and its walk in order (audit_verify). On the
            # chain's key rather than the school, so the trail page's plans keep their own indexes.
            models.Index(Coalesce("school", Value(0)), F("id"), name="audit_chain"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditTrailIsAppendOnly("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit entries cannot be deleted.")


class ChainCheck(models.Model):
    """One verification of one school's chain (or of the entries with no school): when, how far, and
    whether it was whole. Written by audit.services.check_chain; the audit page shows the latest."""

    class Problem(models.TextChoices):
        CHANGED = "changed", "an entry was changed after it was written"
        MISSING = "missing", "an entry was removed"
        REORDERED = "reordered", "entries were put out of order"

    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField(default=now)
    entries = models.PositiveIntegerField(help_text="Entries found whole, from the first of the chain.")
    last_entry_id = models.BigIntegerField(null=True, blank=True, help_text="The last entry found whole.")
    last_hash = models.CharField(max_length=64, blank=True)
    whole = models.BooleanField()
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    broken_entry_id = models.BigIntegerField(null=True, blank=True)
    broken_entry_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["school", "-checked_at", "-id"], name="audit_check_latest")]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'whole' if self.whole else self.problem}"
