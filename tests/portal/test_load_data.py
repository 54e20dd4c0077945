"""The load test's data and its reading of the pages: `seed_load` fills the database with the
bench's trust data and writes sign-ins that work the way the locustfile uses them, and the pages
show what the locustfile looks for."""

import json

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import School
from loadtest import pages
from loadtest.run import _summarise
from portal.bench.trust_data import STAFF_PER_SCHOOL
from posts.models import Post, PostStatus

PASSWORD = "load-test-password-1234"


@pytest.fixture
def seeded(db, tmp_path):
    out = tmp_path / "staff.json"
    call_command("seed_load", staff=10, posts_per_school=60, pupils_per_school=21, password=PASSWORD, out=out)
    return {person["email"].split("@")[0]: person for person in json.loads(out.read_text())}


def _sign_in(client, person) -> None:
    """As the locustfile does: the password, then the code for those with an authenticator app."""
    step = client.post(pages.SIGN_IN, {"login": person["email"], "password": person["password"]})
    if person["totp_secret"] is None:
        assert step.status_code == 302 and step.url == pages.DASHBOARD
        return
    assert step.status_code == 302 and step.url == pages.SECOND_STEP
    done = client.post(pages.SECOND_STEP, {"code": pyotp.TOTP(person["totp_secret"]).now()})
    assert done.status_code == 302 and done.url == pages.DASHBOARD


def test_the_load_test_visits_the_portals_own_addresses():
    for path, (name, args) in pages.URL_NAMES.items():
        assert reverse(name, args=args) == path


def test_one_school_of_twelve_staff_who_all_sign_in_and_reach_the_dashboard(seeded, client):
    assert len(seeded) == STAFF_PER_SCHOOL == 12
    for person in seeded.values():
        client.logout()
        _sign_in(client, person)
        assert client.get(pages.DASHBOARD).status_code == 200


def test_approvers_and_the_office_sign_in_with_a_code_and_the_others_need_none(seeded):
    with_code = {name for name, person in seeded.items() if person["totp_secret"]}

    assert with_code == {"head", "deputy", "office"}
    assert seeded["deputy"]["roles"] == ["senior_leader"] and seeded["computing"]["roles"] == ["computing_lead"]


def test_enough_schools_for_the_staff_asked_for_with_the_busiest_people_first(db, tmp_path):
    out = tmp_path / "staff.json"
    call_command("seed_load", staff=13, posts_per_school=10, pupils_per_school=5, password=PASSWORD, out=out)
    people = json.loads(out.read_text())

    assert School.objects.count() == 2 and len(people) == 24
    first_school = [person["roles"] for person in people[:STAFF_PER_SCHOOL]]
    assert first_school[:3] == [["headteacher"], ["senior_leader"], ["class_teacher"]]
    assert first_school[-2:] == [["office_admin"], ["computing_lead"]]


def test_an_approver_finds_waiting_posts_in_the_queue_and_opens_one(seeded, client):
    _sign_in(client, seeded["head"])
    queue = client.get(pages.QUEUE).content.decode()

    waiting = pages.REVIEW_LINK.findall(queue)

    assert waiting and set(map(int, waiting)) <= set(
        Post.objects.filter(status=PostStatus.SUBMITTED).values_list("pk", flat=True)
    )
    assert client.get(pages.REVIEW.format(pk=waiting[0])).status_code == 200
    assert client.get(pages.CALENDAR).status_code == 200


def test_a_teacher_can_draft_at_once_and_save_the_draft_the_way_the_load_test_does(seeded, client):
    _sign_in(client, seeded["teacher1"])
    page = client.get(pages.COMPOSE).content.decode()
    token, accounts = pages.CLIENT_TOKEN.search(page), pages.ACCOUNT_CHOICE.findall(page)
    assert token and accounts, "the policy is already read, so the form is there"

    live = client.post(pages.LIVE_CHECK, {"text": "Sports day", "account": accounts[0]}, HTTP_HX_REQUEST="true")
    saved = client.post(
        pages.COMPOSE, {"client_token": token.group(1), "account": accounts[0], "text": "Sports day", "action": "save"}
    )

    assert live.status_code == 200
    assert saved.status_code == 302 and pages.DRAFT_LOCATION.match(saved.url)


def test_the_office_opens_the_consent_register(seeded, client):
    _sign_in(client, seeded["office"])
    assert client.get(pages.REGISTER).status_code == 200


def test_seed_load_refuses_a_database_that_already_has_schools(school, tmp_path):
    with pytest.raises(CommandError, match="empty scratch database"):
        call_command("seed_load", staff=10, password=PASSWORD, out=tmp_path / "staff.json")


def test_the_figures_leave_the_ramp_out_and_report_signing_in_apart():
    def request(name, ms, phase, ok=True):
        return {"name": name, "ms": ms, "ok": ok, "phase": phase}

    records = [
        request("dashboard", 900, "ramp"),
        *(request("dashboard", ms, "steady") for ms in range(10, 201, 10)),
        request("queue", 400, "steady"),
        request("queue", 30, "steady", ok=False),
        request("sign-in: password", 700, "ramp"),
    ]

    summary = _summarise({"steady_since": 1000.0, "ended": 1060.0, "requests": records}, _Options())

    dashboard = summary["pages"]["dashboard"]
    assert (dashboard["requests"], dashboard["median_ms"], dashboard["p95_ms"], dashboard["met"]) == (
        20,
        100,
        190,
        True,
    )
    assert summary["pages"]["queue"]["failures"] == 1 and not summary["pages"]["queue"]["met"]
    assert summary["sign_in"]["sign-in: password"]["requests"] == 1
    assert summary["total"]["requests"] == 22


class _Options:
    users, time, spawn_rate, workers, threads = 100, "3m", 2.0, 2, 4


def test_the_trust_data_is_linked_into_each_schools_audit_chain(seeded):
    """The bench's trust is written with COPY, past audit.services.record: its entries still carry
    the fingerprints, so `audit_verify` finds every school's trail whole, as it would a real one."""
    from audit.models import AuditEvent
    from audit.verification import walk_chain

    schools = list(School.objects.values_list("pk", flat=True))
    assert schools and AuditEvent.objects.filter(school_id__in=schools).count() > len(schools)
    for school_id in schools:
        verdict = walk_chain(school_id)
        assert verdict.whole, verdict
