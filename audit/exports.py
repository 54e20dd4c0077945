"""The audit trail as a CSV file, written a batch at a time so that a trail of any length streams."""

import csv
from collections.abc import Iterator

from django.db.models import QuerySet

from .describe import describe_events
from .models import AuditEvent
from .selectors import in_batches

COLUMNS = ["When", "Who", "What happened", "Kind", "Object"]

# A spreadsheet runs a cell that starts with one of these as a formula (a tab or a carriage return
# can hide one): such a cell is written with an apostrophe first, which makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """A value for a CSV cell that a spreadsheet shows as text, never runs (the consent import takes
    the apostrophe off again)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """csv.writer writes into this and gets the line back, so each row can be streamed."""

    def write(self, line: str) -> str:
        return line


def trail_csv(events: QuerySet[AuditEvent], *, school, viewer) -> Iterator[str]:
    """The lines of the CSV for `events` (from `selectors.trail_for_school`): a byte-order mark so that
    Excel reads UTF-8, the header, then one row per entry, newest first. Times are the school's."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(COLUMNS)
    for batch in in_batches(events):
        for entry in describe_events(batch, school=school, viewer=viewer):
            yield writer.writerow(
                spreadsheet_safe(value)
                for value in (
                    entry.when.isoformat(timespec="seconds"),
                    entry.who,
                    entry.text,
                    entry.event.action,
                    entry.subject,
                )
            )
