"""The calendar's dates (posts.calendar): which days a view shows, where its links lead, and the
moments that bound it in the school's time zone. No database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from posts.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    Period,
    View,
    bounds,
    choose,
    day_name,
    lay_out,
    local_day,
    period_for,
    preview,
)

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 12, 8)  # a Tuesday


def month(year: int, number: int) -> Period:
    return period_for(View.MONTH, date(year, number, 1))


# A month as whole weeks, Monday first.


def test_a_month_over_six_weeks_shows_six_whole_weeks_from_a_monday():
    august = month(2026, 8)  # 1 August 2026 is a Saturday; the 31st is a Monday

    weeks = august.weeks()

    assert len(weeks) == 6 and all(len(week) == 7 for week in weeks)
    assert weeks[0][0] == date(2026, 7, 27) and weeks[0][0].weekday() == 0
    assert weeks[-1][-1] == date(2026, 9, 6) and weeks[-1][-1].weekday() == 6
    assert weeks[0][5] == date(2026, 8, 1)


def test_a_february_that_starts_on_a_monday_fills_exactly_four_weeks():
    february = month(2027, 2)

    assert [week[0] for week in february.weeks()] == [date(2027, 2, d) for d in (1, 8, 15, 22)]
    assert february.last_shown == date(2027, 2, 28)


def test_leap_years_give_february_its_29th():
    assert month(2028, 2).days()[-1] >= date(2028, 2, 29)
    assert month(2028, 2).in_period(date(2028, 2, 29))
    assert not month(2027, 2).in_period(date(2027, 3, 1))
    # 2100 is not a leap year (divisible by 100, not by 400); 2000 was.
    assert choose("week", "2100-02-29", today=TODAY).problem
    assert not choose("week", "2000-02-29", today=TODAY).problem


def test_the_days_before_and_after_the_month_fill_its_weeks_but_are_not_part_of_it():
    december = month(2026, 12)

    assert december.first_shown == date(2026, 11, 30)
    assert not december.in_period(date(2026, 11, 30))
    assert december.in_period(date(2026, 12, 31))
    assert december.last_shown == date(2027, 1, 3)


# Weeks.


def test_a_week_starts_on_monday_whatever_day_is_asked_for():
    for day in range(7, 14):
        assert period_for(View.WEEK, date(2026, 12, day)).start == date(2026, 12, 7)


def test_a_week_across_new_year_is_one_week_and_says_both_years():
    week = period_for(View.WEEK, date(2027, 1, 1))

    assert week.days() == [date(2026, 12, 28) + timedelta(days=n) for n in range(7)]
    assert week.title == "28 December 2026 to 3 January 2027"
    assert week.next.start == date(2027, 1, 4) and week.previous.start == date(2026, 12, 21)


def test_titles_read_as_people_write_dates():
    assert month(2026, 12).title == "December 2026"
    assert period_for(View.WEEK, TODAY).title == "7 to 13 December 2026"
    assert period_for(View.WEEK, date(2026, 12, 2)).title == "30 November to 6 December 2026"
    assert period_for(View.DAY, TODAY).title == "Tuesday 8 December 2026"
    assert day_name(date(2026, 12, 1)) == "Tuesday 1 December"


# Moving between periods.


def test_previous_and_next_months_cross_the_year():
    assert month(2026, 12).next == month(2027, 1)
    assert month(2027, 1).previous == month(2026, 12)
    assert month(2026, 12).next.param == "2027-01"


def test_the_calendar_stops_at_its_first_and_last_years_instead_of_failing():
    assert month(FIRST_YEAR, 1).previous is None
    assert month(LAST_YEAR, 12).next is None
    assert period_for(View.DAY, date(LAST_YEAR, 12, 31)).next is None
    assert period_for(View.WEEK, date(FIRST_YEAR, 1, 5)).previous is None  # the week of 27 December 1999


def test_another_view_opens_on_today_when_today_is_in_the_period_else_on_its_first_day():
    assert month(2026, 12).focus_day(TODAY) == TODAY
    assert month(2027, 3).focus_day(TODAY) == date(2027, 3, 1)
    assert period_for(View.WEEK, date(2027, 1, 1)).focus_day(TODAY) == date(2026, 12, 28)


# Reading the address.


@pytest.mark.parametrize(
    ("view", "value", "expected"),
    [
        (None, None, Period(View.MONTH, date(2026, 12, 1))),
        ("month", "2027-02", Period(View.MONTH, date(2027, 2, 1))),
        ("month", "2027-02-17", Period(View.MONTH, date(2027, 2, 1))),
        ("week", "2026-12-10", Period(View.WEEK, date(2026, 12, 7))),
        ("week", "2027-01", Period(View.WEEK, date(2026, 12, 28))),
        ("day", "2026-12-25", Period(View.DAY, date(2026, 12, 25))),
    ],
)
def test_the_address_chooses_the_view_and_period(view, value, expected):
    chosen = choose(view, value, today=TODAY)

    assert (chosen.view, chosen.period, chosen.problem) == (expected.view, expected, "")


@pytest.mark.parametrize(
    "value", ["2026-13", "2026-02-30", "yesterday", "26-12", "2026-1", "１２３４-12", "9999-12", "1066-10", "x" * 500]
)
def test_a_date_it_cannot_read_shows_the_current_month_with_a_message(value):
    chosen = choose("month", value, today=TODAY)

    assert chosen.period == month(2026, 12)
    assert "could not read the date" in chosen.problem and "this month" in chosen.problem
    assert len(chosen.problem) < 200  # a long address is not repeated back in full


def test_a_week_with_a_bad_date_shows_this_week():
    chosen = choose("week", "2026-02-30", today=TODAY)

    assert chosen.period == period_for(View.WEEK, TODAY) and "this week" in chosen.problem


def test_an_unknown_view_shows_the_month_with_a_message():
    chosen = choose("year", "2026-12", today=TODAY)

    assert chosen.view == View.MONTH and chosen.problem


# Moments in the school's time zone, across the clock changes.


def test_a_week_when_the_clocks_go_forward_is_an_hour_short_and_starts_and_ends_at_local_midnight():
    week = period_for(View.WEEK, date(2026, 3, 29))  # clocks go forward at 01:00 GMT on Sunday 29 March

    start, end = bounds(week, LONDON)

    assert start == datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # midnight GMT
    assert end == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # midnight BST on Monday 30 March
    assert end - start == timedelta(days=7) - timedelta(hours=1)


def test_a_month_when_the_clocks_go_back_is_an_hour_long_and_ends_at_local_midnight():
    october = month(2026, 10)  # clocks go back at 01:00 GMT on Sunday 25 October; the grid is 28 Sep - 1 Nov

    start, end = bounds(october, LONDON)

    assert start == datetime(2026, 9, 27, 23, 0, tzinfo=UTC)  # midnight BST
    assert end == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # midnight GMT
    assert end - start == timedelta(days=35, hours=1)


def test_a_post_is_on_the_school_day_it_goes_out_not_the_utc_day():
    # 23:30 UTC on Saturday 24 October is 00:30 on Sunday in London (still summer time).
    assert local_day(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), LONDON) == date(2026, 10, 25)
    # In winter UTC and London agree.
    assert local_day(datetime(2026, 12, 7, 23, 30, tzinfo=UTC), LONDON) == date(2026, 12, 7)
    # Half an hour before the clocks go forward is still Saturday night there; after, Sunday.
    assert local_day(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), LONDON) == date(2026, 3, 28)
    assert local_day(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), LONDON) == date(2026, 3, 29)


# Laying out posts.


def test_posts_go_on_their_day_in_order_and_today_is_marked():
    week = period_for(View.WEEK, TODAY)
    items = [("a", date(2026, 12, 8)), ("b", date(2026, 12, 8)), ("c", date(2026, 12, 13)), ("old", date(2026, 1, 1))]

    days = lay_out(week, items, day_of=lambda item: item[1], today=TODAY)

    assert [day.day for day in days] == week.days()
    assert [[name for name, _ in day.items] for day in days] == [[], ["a", "b"], [], [], [], [], ["c"]]
    assert [day.is_today for day in days] == [False, True, False, False, False, False, False]
    assert days[1].name == "Tuesday 8 December" and days[1].count == 2


def test_a_busy_day_shows_its_first_posts_and_how_many_more():
    assert preview([1, 2, 3], 3) == ([1, 2, 3], 0)
    assert preview([1, 2, 3, 4, 5], 3) == ([1, 2], 3)
    assert preview([], 3) == ([], 0)
