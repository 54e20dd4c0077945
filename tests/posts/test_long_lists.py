"""Lists that can grow to thousands of posts count them only so far: the queue, the dashboard and
the navigation say "more than ..." past a cap, and paging on and back still works there.

The caps are lowered here so that a handful of posts goes past them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import navigation
from posts import selectors, selectors_dashboard
from posts.models import Post, PostStatus


@pytest.fixture
def waiting(staff, accounts):
    """Eight posts waiting for approval, the oldest first in `texts`."""

    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            account=accounts.year3 if n % 2 else accounts.whole_school,
            author=staff.teacher.user,
            text=f"Waiting post {n}",
            status=PostStatus.SUBMITTED,
            submitted_at=now - timedelta(hours=10 - n),
        )
        for n in range(8)
    )
    return [f"Waiting post {n}" for n in range(8)]


def _queue(client, **query):
    response = client.get(reverse("review_queue"), query)
    assert response.status_code == 200
    return response


def test_the_queue_says_more_than_the_cap_and_pages_on_past_it(client_for, staff, waiting, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_COUNT_CAP", 3)
    monkeypatch.setattr("posts.views_review.QUEUE_PAGE_SIZE", 2)
    client = client_for(staff.head)

    first = _queue(client)
    page = first.content.decode()
    assert "More than 3 posts." in page and "Page 1 of many" in page
    assert [row.post.text for row in first.context["rows"]] == waiting[:2]

    # Past the cap, the next page is still there, and the last one knows it is the last.
    third = _queue(client, page=3)
    assert [row.post.text for row in third.context["rows"]] == waiting[4:6]
    assert 'rel="next"' in third.content.decode()
    last = _queue(client, page=4)
    assert [row.post.text for row in last.context["rows"]] == waiting[6:]
    assert 'rel="next"' not in last.content.decode() and 'rel="prev"' in last.content.decode()


def test_the_queue_counts_exactly_below_the_cap(client_for, staff, waiting, monkeypatch):
    monkeypatch.setattr("posts.views_review.QUEUE_PAGE_SIZE", 3)
    page = _queue(client_for(staff.head)).content.decode()
    assert "8 posts." in page and "Page 1 of 3" in page


def test_a_page_past_the_end_shows_the_last_page(client_for, staff, waiting, monkeypatch):
    monkeypatch.setattr("posts.views_review.QUEUE_PAGE_SIZE", 3)
    response = _queue(client_for(staff.head), page=40)
    assert [row.post.text for row in response.context["rows"]] == waiting[6:]
    assert "Page 3 of 3" in response.content.decode()


def test_queue_page_reads_the_same_rows_as_the_whole_list_in_order(staff, accounts, waiting):
    """The page's ids are picked from the ordered list, then read in full: same rows, same order."""
    everything = list(selectors.review_queue(school=accounts.year3.school, status=selectors.QueueFilter.ALL))
    pages = [
        selectors.queue_page(
            selectors.review_queue(school=accounts.year3.school, status=selectors.QueueFilter.ALL),
            page=number,
            per_page=3,
            cap=2,
        ).posts
        for number in (1, 2, 3)
    ]
    assert [post.pk for page in pages for post in page] == [post.pk for post in everything]


def test_the_dashboard_says_more_than_the_cap(client_for, staff, waiting, monkeypatch):
    monkeypatch.setattr(selectors_dashboard, "COUNT_CAP", 5)
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "more than 5</span> posts waiting for your approval" in page
    # The oldest is still the oldest of all, not of those counted.
    assert "oldest waiting 10 hours" in page


def test_the_navigation_badge_says_the_cap_plus(client_for, staff, waiting, monkeypatch):
    monkeypatch.setattr(navigation, "WAITING_COUNT_CAP", 5)
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert '<span class="nav-label">Posts to approve</span> <span class="nav-count">5+</span>' in page
