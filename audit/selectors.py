"""Reads of the audit trail: always one school's entries, newest first."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEvent, ChainCheck

# The "person" who did what nobody did by hand: workers, the beat, commands.
THE_PORTAL = "portal"


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the school's time (the portal's time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def trail_for_school(
    *,
    school,
    person: str = "",
    actions: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The school's entries, newest first, narrowed to one person (a user id, or THE_PORTAL), some
    kinds of event, and days from `since` to `until`, both included."""
    events = AuditEvent.objects.for_school(school).select_related("actor")
    if person == THE_PORTAL:
        events = events.filter(actor__isnull=True)
    elif person:
        events = events.filter(actor_id=int(person))
    if actions is not None:
        events = events.filter(action__in=actions)
    if since is not None:
        events = events.filter(created_at__gte=_start_of(since))
    if until is not None:
        events = events.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return events.order_by("-created_at", "-id")


def people_in_trail(*, school) -> list:
    """Everyone who has done something at the school, staff who have left included, by name."""
    acted = AuditEvent.objects.for_school(school).filter(actor__isnull=False).values("actor_id")
    return list(
        get_user_model()
        .objects.filter(pk__in=acted)
        .only("id", "first_name", "last_name", "email")
        .order_by("first_name", "last_name", "email")
    )


def in_batches(events: QuerySet[AuditEvent], *, size: int = 500) -> Iterator[list[AuditEvent]]:
    """The entries of `trail_for_school`, `size` at a time. Each batch is one query that starts where
    the last one ended, so a long export neither holds a cursor open nor skips an ever larger OFFSET."""
    after = None
    while True:
        batch = events
        if after is not None:
            batch = batch.filter(Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, pk__lt=after.pk))
        rows = list(batch[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = rows[-1]


def chains(*, school_id: int | None = None) -> list[int | None]:
    """The chains to verify: every school's (by id, with or without entries), then the entries
    with no school if there are any; or only the one school's."""
    if school_id is not None:
        return [school_id]
    schools = AuditEvent._meta.get_field("school").related_model
    ids: list[int | None] = list(schools.objects.order_by("id").values_list("id", flat=True))
    if AuditEvent.objects.filter(school__isnull=True).exists():
        ids.append(None)
    return ids


def latest_check(*, school_id: int | None) -> ChainCheck | None:
    return ChainCheck.objects.filter(school_id=school_id).order_by("-checked_at", "-id").first()


def latest_whole_check(*, school_id: int | None) -> ChainCheck | None:
    return ChainCheck.objects.filter(school_id=school_id, whole=True).order_by("-checked_at", "-id").first()


def entries_since(check: ChainCheck) -> int:
    """Entries recorded in the check's chain after the last one it found whole."""
    later = AuditEvent.objects.in_chain(check.school_id)
    if check.last_entry_id is not None:
        later = later.filter(id__gt=check.last_entry_id)
    return later.count()
