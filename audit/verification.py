"""Walk a chain of the audit trail and say whether it is whole (reads only; audit.services stores
the result)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date

from .chain import FIELDS, GENESIS, fingerprint_of
from .models import AuditEvent, ChainCheck

CHUNK = 2000


@dataclass(frozen=True)
class Verdict:
    """What a walk found: how many entries were whole from the start, and the first break, if any."""

    school_id: int | None
    entries: int
    last_entry_id: int | None
    last_hash: str
    problem: str = ""
    broken_entry_id: int | None = None
    broken_entry_at: datetime | None = None
    message: str = ""

    @property
    def whole(self) -> bool:
        return not self.problem


def _when(moment: datetime) -> str:
    return format_date(timezone.localtime(moment), "j M Y, H:i:s")


def _entry(pk: int, moment: datetime) -> str:
    return f"entry {pk} (recorded {_when(moment)})"


def _Entry(pk: int, moment: datetime) -> str:  # noqa: N802 - the same words at the start of a sentence
    return f"Entry {pk} (recorded {_when(moment)})"


def _rows(school_id: int | None) -> Iterable:
    return (
        AuditEvent.objects.in_chain(school_id)
        .order_by("id")
        .only("id", "entry_hash", *FIELDS)
        .iterator(chunk_size=CHUNK)
    )


def _broken_link(school_id: int | None, entry, before) -> tuple[str, str]:
    """Why `entry` does not follow `before` (None: it is the chain's first)."""
    if before is None:
        return ChainCheck.Problem.MISSING, (
            f"{_Entry(entry.id, entry.created_at)} is the first in the trail, but it follows "
            "another entry that is no longer there: one or more of the earliest entries were removed."
        )
    later = (
        AuditEvent.objects.in_chain(school_id)
        .filter(id__gt=entry.id, entry_hash=entry.previous_hash)
        .values_list("id", flat=True)
        .first()
    )
    if later is not None:
        return ChainCheck.Problem.REORDERED, (
            f"{_Entry(entry.id, entry.created_at)} was written after entry {later}, "
            f"but now comes before it: entries were put out of order."
        )
    return ChainCheck.Problem.MISSING, (
        f"{_Entry(entry.id, entry.created_at)} does not follow {_entry(before.id, before.created_at)}: "
        "at least one entry between them was removed."
    )


def walk_chain(school_id: int | None, *, anchor: ChainCheck | None = None) -> Verdict:
    """Recompute every fingerprint of one chain in order and stop at the first break.

    `anchor`: an earlier check that found the chain whole. Its last entry must still be there with
    the same fingerprint, or entries at the end (which nothing follows) were removed."""
    before = None
    previous = GENESIS
    count = 0
    anchor_seen = anchor is None or anchor.last_entry_id is None

    def verdict(**problem) -> Verdict:
        """What was found: the entries whole so far, and the problem (if any) that stopped the walk."""
        return Verdict(
            school_id=school_id,
            entries=count,
            last_entry_id=before.id if before else None,
            last_hash=previous if before else "",
            **problem,
        )

    for entry in _rows(school_id):
        problem = message = ""
        if fingerprint_of(entry) != entry.entry_hash:
            problem, message = (
                ChainCheck.Problem.CHANGED,
                (
                    f"{_Entry(entry.id, entry.created_at)} no longer matches its fingerprint: "
                    "it was changed after it was written."
                ),
            )
        elif entry.previous_hash != previous:
            problem, message = _broken_link(school_id, entry, before)
        elif not anchor_seen and entry.id == anchor.last_entry_id:
            anchor_seen = True
            if entry.entry_hash != anchor.last_hash:
                problem, message = (
                    ChainCheck.Problem.CHANGED,
                    (
                        f"{_Entry(entry.id, entry.created_at)} has a different fingerprint from the one it had "
                        f"when the trail was checked on {_when(anchor.checked_at)}: the trail was rewritten "
                        "up to this entry."
                    ),
                )
        if problem:
            return verdict(problem=problem, broken_entry_id=entry.id, broken_entry_at=entry.created_at, message=message)
        count += 1
        before, previous = entry, entry.entry_hash
    if not anchor_seen:
        return verdict(
            problem=ChainCheck.Problem.MISSING,
            broken_entry_id=anchor.last_entry_id,
            message=(
                f"Entry {anchor.last_entry_id}, the last one when the trail was checked on "
                f"{_when(anchor.checked_at)}, is no longer there: the latest entries were removed."
            ),
        )
    return verdict()
