"""A session ends after SESSION_COOKIE_AGE without a page, yet pages do not rewrite it each time."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import SESSION_REFRESHED_AT_KEY

from ..factories import PASSWORD


def _session_writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "django_session" in q["sql"] and q["sql"].lstrip().startswith(("UPDATE", "INSERT"))
    ]


def _get_counting_session_writes(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return _session_writes(queries)


def _refreshed(client, *, seconds_ago: int) -> None:
    """As if the session's expiry was last pushed back `seconds_ago` seconds ago."""
    session = client.session
    session[SESSION_REFRESHED_AT_KEY] = int(time.time()) - seconds_ago
    session.save()


def _the_session() -> Session:
    return Session.objects.get()


def test_pages_a_few_seconds_apart_do_not_rewrite_the_session(client_for, staff):
    client = client_for(staff.teacher)
    _refreshed(client, seconds_ago=5)
    ends_at = _the_session().expire_date

    assert _get_counting_session_writes(client, reverse("dashboard")) == []
    assert _get_counting_session_writes(client, reverse("post_list_mine")) == []
    assert _the_session().expire_date == ends_at


def test_the_first_pages_after_any_sign_in_do_not_rewrite_the_session(client_for, staff):
    client = client_for(staff.teacher)  # signed in without the sign-in page (Client.force_login)

    assert _get_counting_session_writes(client, reverse("dashboard")) == []
    assert _get_counting_session_writes(client, reverse("post_list_mine")) == []


def test_a_page_after_the_refresh_interval_pushes_the_end_back(client_for, staff):
    client = client_for(staff.teacher)
    _refreshed(client, seconds_ago=settings.SESSION_ACTIVITY_REFRESH_SECONDS + 1)
    Session.objects.update(expire_date=timezone.now() + timedelta(hours=1))

    assert len(_get_counting_session_writes(client, reverse("dashboard"))) == 1

    ends_in = _the_session().expire_date - timezone.now()
    assert ends_in > timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    assert _get_counting_session_writes(client, reverse("dashboard")) == [], "pushed back once, not on every page"


def test_a_session_from_before_the_refresh_stamp_is_pushed_back_once(client_for, staff):
    client = client_for(staff.teacher)
    session = client.session
    session.pop(SESSION_REFRESHED_AT_KEY, None)
    session.save()

    assert len(_get_counting_session_writes(client, reverse("dashboard"))) == 1
    assert _get_counting_session_writes(client, reverse("dashboard")) == []


def test_signing_in_stamps_the_session_so_the_first_page_does_not_write_it_again(client, staff):
    response = client.post(reverse("account_login"), {"login": "teacher@alpha.test", "password": PASSWORD})
    assert response.status_code == 302

    assert _get_counting_session_writes(client, reverse("dashboard")) == []


def test_idle_beyond_the_session_age_signs_out_and_the_session_stays_ended(client_for, staff):
    client = client_for(staff.teacher)
    _refreshed(client, seconds_ago=settings.SESSION_COOKIE_AGE + 1)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("dashboard"))

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()


def test_signing_out_leaves_no_session_behind(client_for, staff):
    client = client_for(staff.teacher)
    client.get(reverse("dashboard"))

    client.post(reverse("account_logout"))

    assert not Session.objects.exists()
    assert client.get(reverse("dashboard")).status_code == 302
