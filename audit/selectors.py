from .models import AuditEvent


def audit_events_for_school(*, school, limit: int = 200):
    return AuditEvent.objects.for_school(school).select_related("actor")[:limit]
