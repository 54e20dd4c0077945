from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditEvent


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _event(
    *,
    action: str,
    actor=None,
    school=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        school=school,
        data=data or {},
        ip_address=_client_ip(request),
    )
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
        event.target_repr = str(target)[:255]
    return event


def record(
    *,
    action: str,
    actor=None,
    school=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """The one entry point to the audit trail. Call it inside the service's transaction."""
    entry = _event(action=action, actor=actor, school=school, target=target, data=data, request=request)
    entry.save()
    return entry


def record_many(events: list[dict[str, Any]]) -> int:
    """Many entries in a few INSERTs, for a service that changes thousands of rows at once (the
    MIS import). Each event takes the keyword arguments of `record`, and the entries keep the
    list's order. Call it inside the service's transaction. Returns the number written."""
    return len(AuditEvent.objects.bulk_create([_event(**event) for event in events], batch_size=500))
