"""The calendar's dates: which days a month, week or day view shows, where "previous", "next" and
"today" lead, and the moments that bound a view in the school's time zone.

Pure: no database and no request, so every awkward case (a month over six weeks, a week across
new year, the clocks changing in March and October, 29 February) has a unit test of its own.
Weeks start on Monday, as they do in UK schools.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

# The dates the calendar will show. Far wider than any school's posts, and narrow enough that
# moving a period on or back, or turning a day into moments, never leaves what `date` can hold.
FIRST_YEAR = 2000
LAST_YEAR = 2199

_MONTH_PARAM = re.compile(r"(\d{4})-(\d{2})")
_DAY_PARAM = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


class View(StrEnum):
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    LIST = "list"


# What the previous/next links say, and what "today" is called, per view.
_UNIT = {View.MONTH: "month", View.WEEK: "week", View.DAY: "day"}
_THIS = {View.MONTH: "This month", View.WEEK: "This week", View.DAY: "Today"}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(first: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `first`."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _in_range(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


@dataclass(frozen=True)
class Period:
    """What one calendar view shows: a month (as whole weeks), a week, or a day."""

    view: View
    start: date  # the first of the month, the Monday of the week, or the day itself

    @property
    def first_shown(self) -> date:
        """The first day on the page: a month's grid starts on the Monday of its first week."""
        return monday_of(self.start) if self.view != View.DAY else self.start

    @property
    def last_shown(self) -> date:
        if self.view == View.MONTH:
            last_of_month = self.start.replace(day=stdlib_calendar.monthrange(self.start.year, self.start.month)[1])
            return last_of_month + timedelta(days=6 - last_of_month.weekday())
        if self.view == View.WEEK:
            return self.start + timedelta(days=6)
        return self.start

    def days(self) -> list[date]:
        count = (self.last_shown - self.first_shown).days + 1
        return [self.first_shown + timedelta(days=offset) for offset in range(count)]

    def weeks(self) -> list[list[date]]:
        """The days shown, Monday to Sunday, a week at a time (a month has four to six)."""
        days = self.days()
        return [days[at : at + 7] for at in range(0, len(days), 7)]

    def in_period(self, day: date) -> bool:
        """Whether a day belongs to the period itself, not just to its grid (the days of the
        months before and after that fill a month's first and last weeks do not)."""
        if self.view == View.MONTH:
            return (day.year, day.month) == (self.start.year, self.start.month)
        return self.first_shown <= day <= self.last_shown

    def moved(self, steps: int) -> Period | None:
        """The period `steps` months, weeks or days on (back, when negative); None past the calendar's years."""
        if self.view == View.MONTH:
            index = self.start.year * 12 + self.start.month - 1 + steps
            if not FIRST_YEAR <= index // 12 <= LAST_YEAR:
                return None
            return Period(self.view, _add_months(self.start, steps))
        start = self.start + timedelta(days=steps * (7 if self.view == View.WEEK else 1))
        return Period(self.view, start) if _in_range(start) else None

    @property
    def previous(self) -> Period | None:
        return self.moved(-1)

    @property
    def next(self) -> Period | None:
        return self.moved(1)

    @property
    def param(self) -> str:
        """The period in the address: ?date=2026-12 for a month, ?date=2026-12-07 for a week or a day."""
        return f"{self.start:%Y-%m}" if self.view == View.MONTH else self.start.isoformat()

    @property
    def title(self) -> str:
        """As people write them: "December 2026", "7 to 13 December 2026", "28 December 2026 to
        3 January 2027", "Tuesday 8 December 2026"."""
        if self.view == View.MONTH:
            return f"{self.start:%B %Y}"
        if self.view == View.DAY:
            return day_name(self.start, year=True)
        first, last = self.first_shown, self.last_shown
        if first.year != last.year:
            return f"{first.day} {first:%B %Y} to {last.day} {last:%B %Y}"
        if first.month != last.month:
            return f"{first.day} {first:%B} to {last.day} {last:%B %Y}"
        return f"{first.day} to {last.day} {last:%B %Y}"

    @property
    def unit(self) -> str:
        return _UNIT[self.view]

    @property
    def this_label(self) -> str:
        return _THIS[self.view]

    def focus_day(self, today: date) -> date:
        """The day another view of this period opens on: today when it is in the period, else its first day."""
        return today if self.in_period(today) else self.start


def day_name(day: date, *, year: bool = False) -> str:
    """A day as UK staff write it, "Tuesday 8 December" (no leading zero), with the year if asked."""
    name = f"{day:%A} {day.day} {day:%B}"
    return f"{name} {day.year}" if year else name


def period_for(view: View, day: date) -> Period:
    """The month, week or day that holds `day`."""
    if view == View.MONTH:
        return Period(view, day.replace(day=1))
    if view == View.WEEK:
        return Period(view, monday_of(day))
    return Period(View.DAY, day)


@dataclass(frozen=True)
class Chosen:
    """The view and period the address asked for, and what to tell the person if it could not be read."""

    view: View
    period: Period
    problem: str = ""


def _read_date(value: str) -> date | None:
    """A date from ?date=: "2026-12" (the first of the month) or "2026-12-08"; None if not a date."""
    if match := _DAY_PARAM.fullmatch(value):
        parts = match.groups()
    elif match := _MONTH_PARAM.fullmatch(value):
        parts = (*match.groups(), "01")
    else:
        return None
    try:
        day = date(*(int(part) for part in parts))
    except ValueError:
        return None  # 2026-13, 2026-02-30, 2027-02-29
    return day if _in_range(day) else None


def choose(view: str | None, value: str | None, *, today: date) -> Chosen:
    """The period for ?view= and ?date=, defaulting to this month. Anything that cannot be read
    falls back to today's month (or week, or day) with a message: never an error page."""
    problem = ""
    try:
        chosen_view = View(view or View.MONTH)
    except ValueError:
        chosen_view = View.MONTH
        problem = "That calendar view does not exist, so the calendar shows this month."
    if chosen_view == View.LIST:
        return Chosen(chosen_view, period_for(View.MONTH, today), problem)
    day = today
    if value:
        read = _read_date(value.strip())
        if read is None:
            this = _THIS[chosen_view].lower()
            problem = (
                f"The calendar could not read the date “{value[:20]}”, so it shows {this}. "
                "Use the buttons to move between dates."
            )
        else:
            day = read
    return Chosen(chosen_view, period_for(chosen_view, day), problem)


def bounds(period: Period, tz: tzinfo) -> tuple[datetime, datetime]:
    """The moments a period's days cover in the school's time zone, as [start, end): from midnight
    on its first shown day to midnight after its last. Across a clock change a week is 167 or 169
    hours long, not 168, which is why this adds days to dates and never hours to moments.

    The moments are in UTC: two datetimes in one zone subtract by their clock faces, which would
    hide that lost or gained hour from anyone who measured them."""
    start = datetime.combine(period.first_shown, time.min, tzinfo=tz)
    end = datetime.combine(period.last_shown + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The school's calendar day of an aware moment."""
    return moment.astimezone(tz).date()


@dataclass
class Day(Generic[T]):
    """One day of a view with what happens on it (posts, here), in order."""

    day: date
    items: list[T] = field(default_factory=list)
    is_today: bool = False
    in_period: bool = True

    @property
    def name(self) -> str:
        return day_name(self.day)

    @property
    def count(self) -> int:
        return len(self.items)


def lay_out(period: Period, items: Iterable[T], *, day_of: Callable[[T], date], today: date) -> list[Day[T]]:
    """Every day of the period's grid, each with its items (kept in the order given). Items
    outside the grid are left out."""
    days = {day: Day(day, is_today=day == today, in_period=period.in_period(day)) for day in period.days()}
    for item in items:
        slot = days.get(day_of(item))
        if slot is not None:
            slot.items.append(item)
    return list(days.values())


def preview(items: list[T], limit: int) -> tuple[list[T], int]:
    """What a small space shows of a list: all of it if it fits in `limit` lines, else the first
    `limit - 1` and how many more there are (the last line says "+N more")."""
    if len(items) <= limit:
        return items, 0
    shown = items[: max(limit - 1, 0)]
    return shown, len(items) - len(shown)
