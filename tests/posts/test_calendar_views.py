"""The calendar page: month, week and day views of scheduled, published and failed posts, the
list view, the account filter, and who may see it."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from posts import selectors
from posts.models import Post, PostImage, PostStatus

URL = reverse("post_calendar")


@pytest.fixture
def make(staff, accounts):
    """A post at a moment: scheduled for it, or published or failed at it."""

    def make(text: str, at: datetime, status: str = PostStatus.SCHEDULED, account=None) -> Post:
        published = status in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN)
        return Post.objects.create(
            account=account or accounts.year3,
            author=staff.teacher.user,
            text=text,
            status=status,
            publish_at=None if published else at,
            published_at=at if published else None,
            external_id="x1" if published else "",
            decided_by=staff.head.user,
            decided_at=at - timedelta(days=1),
        )

    return make


def _page(response) -> str:
    assert response.status_code == 200
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def _text(html: str) -> str:
    """What a person reads: the page without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _cell(page: str, day_label: str) -> str:
    """The month cell whose day link names `day_label` ("Tuesday 8 December, 2 posts")."""
    cells = re.findall(r"<td class=\"cal-day.*?</td>", page)
    found = [cell for cell in cells if day_label in cell]
    assert len(found) == 1, f"{day_label!r} is in {len(found)} cells"
    return found[0]


# The month.


def test_the_month_shows_each_post_on_its_day_with_time_account_words_and_status(client_for, staff, accounts, make):
    thursday_morning = datetime(2026, 12, 10, 8, 15, tzinfo=UTC)
    scheduled = make("Christmas jumper day tomorrow, bring a coin for charity", thursday_morning)
    published = make("Our nativity play was wonderful", datetime(2026, 12, 8, 14, 0, tzinfo=UTC), PostStatus.PUBLISHED)
    failed = make("Carol singing at the church", datetime(2026, 12, 8, 16, 30, tzinfo=UTC), PostStatus.FAILED)

    page = _page(client_for(staff.head).get(URL, {"view": "month", "date": "2026-12"}))

    assert '<h2 id="cal-title">December 2026</h2>' in page
    assert re.search(r"<th scope=\"col\">.*Mon.*Monday.*</th>", page)
    tuesday = _cell(page, "Tuesday 8 December, 2 posts")
    assert reverse("review_post", args=[published.pk]) in tuesday
    assert reverse("review_post", args=[failed.pk]) in tuesday
    assert "14:00" in tuesday and "Published" in tuesday and "@alpha_year3" in tuesday
    assert "Our nativity play" in tuesday
    assert "16:30" in tuesday and "Failed: not published" in tuesday
    thursday = _cell(page, "Thursday 10 December, 1 post")
    assert "08:15" in thursday and "Scheduled" in thursday and "Christmas jumper day tomorrow, …" in thursday
    assert reverse("review_post", args=[scheduled.pk]) in thursday
    assert "Wednesday 9 December, no posts" in page
    assert "3 posts in December 2026 on all accounts, 1 failed to publish." in _text(page)


def test_the_month_fills_its_weeks_from_monday_with_the_days_of_the_months_around_it(client_for, staff, make):
    make("End of term", datetime(2027, 1, 2, 10, 0, tzinfo=UTC))

    page = _page(client_for(staff.head).get(URL, {"date": "2026-12"}))

    assert page.count("<tr>") == 6  # the header and five weeks: 30 November to 3 January
    assert "Monday 30 November 2026, no posts" in page
    assert "Saturday 2 January 2027, 1 post" in page
    assert "No posts in December 2026 on all accounts." in _text(page)  # 2 January is shown, not counted


def test_times_are_the_schools_time_not_utc(client_for, staff, make):
    # 23:30 UTC on 24 October is 00:30 on Sunday 25 October in London, in summer time.
    make("Half term starts", datetime(2026, 10, 24, 23, 30, tzinfo=UTC))

    page = _page(client_for(staff.head).get(URL, {"date": "2026-10"}))

    sunday = _cell(page, "Sunday 25 October, 1 post")
    assert "00:30" in sunday and "Half term starts" in sunday
    assert "Saturday 24 October, no posts" in page
    assert "Times are school time (Europe/London)" in page


def test_today_is_marked_in_words(client_for, staff):
    today = timezone.localdate()

    page = _page(client_for(staff.head).get(URL))

    cell = _cell(page, f"{today:%A} {today.day} {today:%B}, no posts")
    assert 'aria-current="date"' in cell and "Today" in cell
    assert page.count('aria-current="date"') == 1


def test_a_busy_day_shows_two_posts_and_more_which_opens_the_whole_day(client_for, staff, make):
    for hour in range(8, 13):
        make(f"Sports day race {hour}", datetime(2026, 12, 15, hour, 0, tzinfo=UTC))
    client = client_for(staff.head)

    cell = _cell(_page(client.get(URL, {"date": "2026-12"})), "Tuesday 15 December, 5 posts")

    assert "Sports day race 8" in cell and "Sports day race 9" in cell and "Sports day race 10" not in cell
    more = re.search(r'<a class="cal-more" href="([^"]+)" aria-label="([^"]+)">(.*?)</a>', cell)
    assert more.group(2) == "+3 more posts on Tuesday 15 December" and more.group(3) == "+3 more"
    day = _page(client.get(URL + more.group(1)))
    assert '<h2 id="cal-title">Tuesday 15 December 2026</h2>' in day
    assert all(f"Sports day race {hour}" in day for hour in range(8, 13))
    assert "5 posts on this day on all accounts." in _text(day)


def test_previous_next_and_this_month_are_links_that_keep_the_account(client_for, staff, accounts):
    page = _page(client_for(staff.head).get(URL, {"date": "2027-01", "account": accounts.year3.pk}))

    account = f"account={accounts.year3.pk}"
    links = {_text(text).strip("‹›"): href for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page)}
    assert links["Previous month"] == f"{URL}?view=month&date=2026-12&{account}"
    assert links["Next month"] == f"{URL}?view=month&date=2027-02&{account}"
    assert links["This month"] == f"{URL}?view=month&date={timezone.localdate():%Y-%m}&{account}"
    # The week view opens on the month's first week (today is not in January 2027).
    assert links["Week"] == f"{URL}?view=week&date=2026-12-28&{account}"


# The week and the day.


def test_the_week_lists_its_seven_days_from_monday_with_their_posts(client_for, staff, make):
    # A week well away from today, whose heading would add "Today".
    make("Pantomime trip", datetime(2030, 12, 15, 18, 0, tzinfo=UTC))  # Sunday
    make("Not this week", datetime(2030, 12, 16, 9, 0, tzinfo=UTC))  # the Monday after

    page = _page(client_for(staff.head).get(URL, {"view": "week", "date": "2030-12-12"}))

    assert '<h2 id="cal-title">9 to 15 December 2030</h2>' in page
    headings = re.findall(r"<h3 class=\"cal-wday-head\">(.*?)</h3>", page)
    names = [_text(heading) for heading in headings]
    assert names[0] == "Monday 9 December, no posts"
    assert names[6] == "Sunday 15 December, 1 post"
    assert "Pantomime trip" in page and "Not this week" not in page
    assert f'href="{URL}?view=week&date=2030-12-02" rel="prev"' in page


def test_a_week_across_the_spring_clock_change_ends_at_local_midnight(client_for, staff, make):
    make("Last thing on Sunday", datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 23:30 BST, Sunday
    make("First thing on Monday", datetime(2026, 3, 29, 23, 30, tzinfo=UTC))  # 00:30 BST, Monday

    client = client_for(staff.head)
    this_week = _page(client.get(URL, {"view": "week", "date": "2026-03-23"}))
    next_week = _page(client.get(URL, {"view": "week", "date": "2026-03-30"}))

    assert "Last thing on Sunday" in this_week and "23:30" in this_week
    assert "First thing on Monday" not in this_week
    assert "First thing on Monday" in next_week and "00:30" in next_week


def test_a_week_across_new_year_shows_both_years(client_for, staff, make):
    make("Happy new year", datetime(2027, 1, 1, 9, 0, tzinfo=UTC))

    page = _page(client_for(staff.head).get(URL, {"view": "week", "date": "2026-12-31"}))

    assert "28 December 2026 to 3 January 2027" in page and "Happy new year" in page


def test_an_empty_day_says_so(client_for, staff):
    page = _page(client_for(staff.head).get(URL, {"view": "day", "date": "2026-12-25"}))

    assert "Nothing is scheduled or published on this day." in page
    assert f'href="{URL}?view=day&date=2026-12-24" rel="prev"' in page


# Bad addresses.


@pytest.mark.parametrize("value", ["2026-13", "next tuesday", "2026-02-30", "0000-01"])
def test_a_date_it_cannot_read_shows_this_month_with_a_message(client_for, staff, value):
    response = client_for(staff.head).get(URL, {"date": value})

    page = _page(response)
    assert f'<h2 id="cal-title">{timezone.localdate():%B %Y}</h2>' in page
    assert "The calendar could not read the date" in page and "so it shows this month" in page


# The account filter.


def test_one_account_shows_only_its_posts(client_for, staff, accounts, make):
    make("Year 3 volcano day", datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    make("Whole school assembly", datetime(2026, 12, 9, 10, 0, tzinfo=UTC), account=accounts.whole_school)
    client = client_for(staff.head)

    both = _page(client.get(URL, {"date": "2026-12"}))
    year3 = _page(client.get(URL, {"date": "2026-12", "account": accounts.year3.pk}))

    assert "Year 3 volcano day" in both and "Whole school assembly" in both
    assert "Year 3 volcano day" in year3 and "Whole school assembly" not in year3
    assert "1 post in December 2026 on @alpha_year3." in _text(year3)
    assert f'<option value="{accounts.year3.pk}" selected>' in year3


def test_the_list_view_keeps_the_account_too(client_for, staff, accounts, make):
    tomorrow = timezone.now() + timedelta(days=1)
    make("Year 3 volcano day", tomorrow)
    make("Whole school assembly", tomorrow, account=accounts.whole_school)

    page = _page(client_for(staff.head).get(URL, {"view": "list", "account": accounts.whole_school.pk}))

    assert "Whole school assembly" in page and "Year 3 volcano day" not in page


def test_another_schools_posts_and_accounts_never_appear(client_for, staff, outsider, make):
    make("Beta secret news", datetime(2026, 12, 9, 9, 0, tzinfo=UTC), account=outsider.account)
    client = client_for(staff.head)

    for query in (
        {"date": "2026-12"},
        {"date": "2026-12", "account": outsider.account.pk},
        {"view": "week", "date": "2026-12-07"},
    ):
        page = _page(client.get(URL, query))
        assert "Beta secret news" not in page and "beta_school" not in page
        assert "on all accounts" in page


# The list view.


def test_the_list_shows_a_page_of_posts_on_their_way_soonest_first_and_pages_on(
    client_for, staff, accounts, make, monkeypatch
):
    monkeypatch.setattr(selectors, "CALENDAR_LIST_PAGE_SIZE", 3)
    soon = timezone.now() + timedelta(days=1)
    for n in range(7):
        make(f"Scheduled post {n}", soon + timedelta(hours=n))
    make("Yesterday's news", timezone.now() - timedelta(days=1), PostStatus.PUBLISHED)
    client = client_for(staff.head)

    first = _page(client.get(URL, {"view": "list"}))
    assert "7 posts on their way." in _text(first) and "Page 1 of 3" in first
    assert [n for n in range(7) if f"Scheduled post {n}" in first] == [0, 1, 2]
    assert "Yesterday's news" in first

    last = _page(client.get(URL, {"view": "list", "page": "3"}))
    assert [n for n in range(7) if f"Scheduled post {n}" in last] == [6]
    assert 'rel="prev"' in last and 'rel="next"' not in last
    # What was published lately is on the first page only.
    assert "Published in the last" not in last and "Yesterday's news" not in last


def test_the_list_counts_only_so_far_past_the_page(client_for, staff, make, monkeypatch):
    monkeypatch.setattr(selectors, "CALENDAR_LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    soon = timezone.now() + timedelta(days=1)
    for n in range(7):
        make(f"Scheduled post {n}", soon + timedelta(hours=n))

    page = _page(client_for(staff.head).get(URL, {"view": "list"}))

    assert "More than 3 posts on their way." in _text(page) and "Page 1 of many" in page


def test_the_lists_published_posts_say_how_many_photos_and_who_approved_them(client_for, staff, make):
    post = make("Sports day results", timezone.now() - timedelta(hours=3), PostStatus.PUBLISHED)
    for position in range(2):
        PostImage.objects.create(post=post, position=position, alt_text="Relay race")
    make("Poetry winners", timezone.now() - timedelta(hours=2), PostStatus.PUBLISHED)

    page = _text(_page(client_for(staff.head).get(URL, {"view": "list"})))

    assert f"Sports day results · 2 photos {staff.head.user}" in page
    assert f"Poetry winners {staff.head.user}" in page


# Who may see it.


@pytest.mark.parametrize("who", ["teacher", "ta", "office", "computing"])
def test_only_approvers_see_the_calendar(client_for, staff, who):
    assert client_for(getattr(staff, who)).get(URL, {"view": "week"}).status_code == 403


@pytest.mark.parametrize("who", ["head", "slt"])
def test_the_headteacher_and_senior_leaders_see_it(client_for, staff, who):
    assert client_for(getattr(staff, who)).get(URL, {"view": "week"}).status_code == 200


# Queries.


# The sign-in and school lookups, the session, the accounts and the posts: the same for any number of posts.
MOST_QUERIES = 12


@pytest.mark.parametrize(
    "query", [{"date": "2026-12"}, {"view": "week", "date": "2026-12-07"}, {"view": "day", "date": "2026-12-08"}]
)
def test_the_calendar_does_a_fixed_number_of_queries_however_many_posts(
    client_for, staff, accounts, make, django_assert_max_num_queries, query
):
    client = client_for(staff.head)
    statuses = [PostStatus.SCHEDULED, PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.TAKEN_DOWN]
    make("A first post", datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    with django_assert_max_num_queries(MOST_QUERIES) as few:
        client.get(URL, query)
    for n in range(80):
        account = accounts.year3 if n % 2 else accounts.whole_school
        make(f"Post {n}", datetime(2026, 12, 1 + n % 28, 8 + n % 10, 0, tzinfo=UTC), statuses[n % 4], account)

    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(URL, query)

    assert response.status_code == 200 and "Post 7" in _page(response)
    # The navigation's counts of waiting work are one COUNT query of their own.
    posts_queries = [
        q["sql"] for q in many.captured_queries if 'FROM "posts_post"' in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert len(posts_queries) == 1
