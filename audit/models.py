from django.conf import settings
from django.db import models


class AuditTrailIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit entries cannot be deleted.")

    def for_school(self, school):
        return self.filter(school=school)


class AuditEvent(models.Model):
    """One thing that happened, who did it and to what. Written only by audit.services.record.

    Append-only three times over: this model refuses updates and deletes, the admin is
    read-only, and database triggers (see the migrations) refuse UPDATE and, on PostgreSQL,
    DELETE.
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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

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
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditTrailIsAppendOnly("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit entries cannot be deleted.")
