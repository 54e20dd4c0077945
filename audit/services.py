from typing import Any

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .chain import GENESIS, chain_lock_keys, fingerprint_of
from .models import AuditEvent, ChainCheck
from .selectors import latest_whole_check
from .verification import walk_chain


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
        created_at=timezone.now(),
    )
    if target is not None:
        event.target_type = target._meta.label_lower
        event.target_id = str(target.pk)
        event.target_repr = str(target)[:255]
    return event


def _take_chains(school_ids: set[int | None]) -> dict[int | None, str]:
    """Hold the chains of these schools until the transaction ends, and give each one's last
    fingerprint. Call inside a transaction.

    PostgreSQL: a transaction advisory lock per chain, taken in a fixed order so two writers of the
    same chains never wait on each other in a circle; the last entry is read after the lock, so it
    is the last committed one. SQLite: the portal's transactions begin IMMEDIATE (settings), so the
    writer already holds the database's only write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for school_id in sorted(school_ids, key=lambda pk: pk or 0):
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", chain_lock_keys(school_id))
    last = {}
    for school_id in school_ids:
        last[school_id] = (
            AuditEvent.objects.in_chain(school_id).order_by("-id").values_list("entry_hash", flat=True).first()
            or GENESIS
        )
    return last


def _link(entries: list[AuditEvent]) -> None:
    """Give each entry, in order, its place in its school's chain."""
    last = _take_chains({entry.school_id for entry in entries})
    for entry in entries:
        entry.previous_hash = last[entry.school_id]
        entry.entry_hash = last[entry.school_id] = fingerprint_of(entry)


def record(
    *,
    action: str,
    actor=None,
    school=None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """The one entry point to the audit trail. Call it inside the service's transaction: the
    school's chain stays held until that transaction ends."""
    entry = _event(action=action, actor=actor, school=school, target=target, data=data, request=request)
    # No savepoint inside the caller's transaction (two more queries for every entry): an INSERT
    # that fails fails the service's transaction, as it should.
    with transaction.atomic(savepoint=False):
        _link([entry])
        entry.save()
    return entry


def record_many(events: list[dict[str, Any]]) -> int:
    """Many entries in a few INSERTs, for a service that changes thousands of rows at once (the
    MIS import). Each event takes the keyword arguments of `record`, and the entries keep the
    list's order, in their chains too. Call it inside the service's transaction. Returns the
    number written."""
    entries = [_event(**event) for event in events]
    if not entries:
        return 0
    with transaction.atomic(savepoint=False):
        _link(entries)
        return len(AuditEvent.objects.bulk_create(entries, batch_size=500))


def check_chain(*, school_id: int | None) -> ChainCheck:
    """Verify one chain from its first entry and store the result for the audit page. The last
    check that found the chain whole is the anchor: entries removed from the end show too."""
    anchor = latest_whole_check(school_id=school_id)
    verdict = walk_chain(school_id, anchor=anchor)
    return ChainCheck.objects.create(
        school_id=school_id,
        checked_at=timezone.now(),
        entries=verdict.entries,
        last_entry_id=verdict.last_entry_id,
        last_hash=verdict.last_hash,
        whole=verdict.whole,
        problem=verdict.problem,
        broken_entry_id=verdict.broken_entry_id,
        broken_entry_at=verdict.broken_entry_at,
        message=verdict.message,
    )
