"""/healthz: the process and the database answer, and nothing else is looked at or written."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def test_health_check_with_a_session_cookie_makes_only_the_database_query(client_for, staff):
    client = client_for(staff.head)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("healthz"))

    assert response.status_code == 200 and response.content == b"ok"
    assert [q["sql"] for q in queries] == ["SELECT 1"]


def test_health_check_sets_no_cookie_and_does_not_vary_on_it(client_for, staff):
    client = client_for(staff.head)

    response = client.get(reverse("healthz"))

    assert not response.cookies
    assert "cookie" not in response.get("Vary", "").lower()
    assert "no-cache" in response["Cache-Control"]


def test_health_check_refuses_a_host_the_portal_does_not_serve(client, db):
    response = client.get(reverse("healthz"), HTTP_HOST="elsewhere.example")
    assert response.status_code == 400


def test_health_check_answers_only_get(client, db):
    assert client.post(reverse("healthz")).status_code == 405
