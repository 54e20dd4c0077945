"""Issue 14, the calendar end to end: the headteacher at a desk looks at the month, moves to the
week and opens a post; a senior leader on an iPad taps a busy day's "+3 more" and sees every post
of that day."""

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from posts.models import Post, PostStatus

from .ipad import assert_big_enough, assert_fits_the_ipad
from .navigation import go_to
from .test_consent_journey import sign_in_with_code

CALENDAR = "/posts/calendar/"


def post_at(staff, account, text: str, hour: int, minute: int = 0, status: str = PostStatus.SCHEDULED) -> Post:
    """A post today at hh:mm school time: scheduled for then, or published or failed then."""
    at = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))
    published = status == PostStatus.PUBLISHED
    return Post.objects.create(
        account=account,
        author=staff.teacher.user,
        text=text,
        status=status,
        publish_at=None if published else at,
        published_at=at if published else None,
        external_id="local-1" if published else "",
        decided_by=staff.head.user,
        decided_at=at - dt.timedelta(days=1),
    )


def today_name() -> str:
    today = timezone.localdate()
    return f"{today:%A} {today.day} {today:%B}"


def test_headteacher_goes_from_the_month_to_the_week_to_a_post(
    desktop: Page, live_server, staff, accounts, screenshot_path
):
    assembly = post_at(staff, accounts.whole_school, "Harvest assembly this morning, thank you families", 9, 30)
    post_at(staff, accounts.year3, "Year 3 visited the fire station", 11, 0, PostStatus.PUBLISHED)
    post_at(staff, accounts.year3, "Reminder: swimming kit tomorrow", 15, 45, PostStatus.FAILED)

    page = desktop
    sign_in_with_code(page, live_server, "head@alpha.test", staff.totp["head@alpha.test"])
    go_to(page, "Calendar")
    expect(page).to_have_url(re.compile(re.escape(CALENDAR)))

    # The month: a table with a column per weekday, Monday first, and today's cell named in words.
    month = page.get_by_role("table", name=f"{timezone.localdate():%B %Y}")
    expect(month.get_by_role("columnheader").first).to_have_text(re.compile("Monday"))
    today_link = month.get_by_role("link", name=f"Today, {today_name()}, 3 posts")
    expect(today_link).to_be_visible()
    today_cell = month.locator("td[aria-current=date]")
    expect(today_cell).to_contain_text("Today")
    # Each post: time, status in words, account and first words.
    expect(today_cell.get_by_role("link", name=re.compile(r"^09:30 Scheduled @alpha_school Harvest"))).to_be_visible()
    failed = re.compile(r"^15:45 Failed: not published @alpha_year3 Reminder")
    expect(today_cell.get_by_role("link", name=failed)).to_be_visible()
    expect(today_cell.get_by_role("link", name=re.compile(r"more"))).to_have_count(0)
    page.screenshot(path=screenshot_path("calendar-month-desktop.png"), full_page=True)

    # One account only: the choice stays in the address.
    page.get_by_label("Account", exact=True).select_option(label="Alpha Year3 (@alpha_year3)")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"account={accounts.year3.pk}"))
    expect(month.get_by_role("link", name=f"Today, {today_name()}, 2 posts")).to_be_visible()
    page.get_by_label("Account", exact=True).select_option(label="All accounts")
    page.get_by_role("button", name="Show").click()

    # The week: today's heading says so, and every post of the day is there with its status in words.
    page.get_by_role("navigation", name="Calendar views").get_by_role("link", name="Week").click()
    expect(page).to_have_url(re.compile(r"view=week&date=\d{4}-\d{2}-\d{2}"))
    expect(page.get_by_role("heading", name=f"{today_name()}, Today, 3 posts", level=3)).to_be_visible()
    week = page.get_by_role("list", name=re.compile(r"\d+ to \d+|\d+ \w+ to \d+"))
    expect(week.get_by_role("heading", level=3)).to_have_count(7)
    expect(page.get_by_role("link", name=failed)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^11:00 Published @alpha_year3 Year 3 visited"))).to_be_visible()
    page.screenshot(path=screenshot_path("calendar-week-desktop.png"), full_page=True)

    # Previous and next weeks are links, and "This week" comes back.
    page.get_by_role("link", name="Next week").click()
    expect(page.get_by_role("heading", name=re.compile(r"Today"), level=3)).to_have_count(0)
    page.get_by_role("link", name="This week").click()

    page.get_by_role("link", name=re.compile(r"^09:30 Scheduled @alpha_school Harvest assembly")).click()
    expect(page).to_have_url(re.compile(rf"/posts/review/{assembly.pk}/$"))
    expect(page.get_by_text("Harvest assembly this morning, thank you families").first).to_be_visible()


def test_on_an_ipad_a_busy_day_opens_with_a_tap_on_more(ipad: Page, live_server, staff, accounts, screenshot_path):
    events = ["Sports day: the egg and spoon race", "Sports day: the sack race", "Sports day: the relay"]
    events += ["Sports day: the parents' race", "Sports day: medals for everyone"]
    for minute, text in enumerate(events):
        post_at(staff, accounts.whole_school, text, 10, minute * 10)

    page = ipad
    sign_in_with_code(page, live_server, "slt@alpha.test", staff.totp["slt@alpha.test"])
    go_to(page, "Calendar", tap=True)
    expect(page).to_have_url(re.compile(re.escape(CALENDAR)))

    month = page.get_by_role("table", name=f"{timezone.localdate():%B %Y}")
    today_cell = month.locator("td[aria-current=date]")
    expect(today_cell.get_by_role("link", name=re.compile(r"Sports day"))).to_have_count(2)
    more = today_cell.get_by_role("link", name=f"+3 more posts on {today_name()}")
    assert_fits_the_ipad(page)
    assert_big_enough(
        more,
        today_cell.get_by_role("link", name=f"Today, {today_name()}, 5 posts"),
        today_cell.get_by_role("link", name=re.compile(r"^10:00 Scheduled")),
        page.get_by_role("navigation", name="Calendar views").get_by_role("link", name="Week"),
        page.get_by_role("link", name="Next month"),
    )
    page.screenshot(path=screenshot_path("calendar-month-ipad.png"), full_page=True)

    more.tap()

    expect(page).to_have_url(re.compile(r"view=day&date=\d{4}-\d{2}-\d{2}"))
    expect(page.get_by_role("heading", name=f"{today_name()} {timezone.localdate().year}", level=2)).to_be_visible()
    for text in events:
        expect(page.get_by_role("link", name=re.compile(re.escape(text)))).to_be_visible()
    assert_fits_the_ipad(page)
    assert_big_enough(page.get_by_role("link", name=re.compile(r"^10:40 Scheduled")))
    page.screenshot(path=screenshot_path("calendar-day-ipad.png"), full_page=True)
