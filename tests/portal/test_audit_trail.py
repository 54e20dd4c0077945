"""The headteacher's audit trail page and its CSV download: plain sentences, filters kept in the
address, 50 entries a page, a bounded number of queries, and nothing of another school's."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from unittest import mock

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import record
from community.models import Follower, Incident
from consent.models import Pupil
from posts.models import Post

from ..audit.helpers import give_names

MONDAY = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)


def _entries_at(moment, events):
    """Many entries at once, all at `moment` (bulk, as the MIS import writes them)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        AuditEvent.objects.bulk_create(AuditEvent(**event) for event in events)


def _text(response) -> str:
    """What a reader sees: the page without its tags, with the entities read."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _rows(response) -> list[str]:
    body = response.content.decode()
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
    rows = re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    # Links sit inside sentences; every other tag separates what it holds.
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</?a\b[^>]*>", "", row))).split()) for row in rows]


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def named(staff):
    return give_names(staff)


@pytest.fixture
def week(named, school, accounts, outsider):
    """A week at Alpha Primary, and a secret of Beta Primary's."""
    post = Post.objects.create(account=accounts.year3, author=named.teacher.user, text="Our rocket day")
    pupil = Pupil.objects.create(school=school, first_name="Ava", surname="Patel")
    follower = Follower.objects.create(account=accounts.whole_school, network_user_id="9", handle="kind_neighbour")
    incident = Incident.objects.create(school=school, title="Unkind reply", opened_by=named.head.user)
    day = timedelta(days=1)
    for moment, event in (
        (MONDAY, {"action": "auth.signed_in", "actor": named.head.user, "target": named.head.user}),
        (MONDAY + timedelta(minutes=5), {"action": "post.created", "actor": named.teacher.user, "target": post}),
        (
            MONDAY + day,
            {
                "action": "consent.withdrawn",
                "actor": named.office.user,
                "target": pupil,
                "data": {"pupil_id": pupil.pk, "purpose": "social_photo", "relationship": "mother"},
            },
        ),
        (MONDAY + 2 * day, {"action": "post.approved", "actor": named.head.user, "target": post, "data": {}}),
        (MONDAY + 2 * day + timedelta(minutes=1), {"action": "post.published", "target": post}),
        (MONDAY + 3 * day, {"action": "follower.accepted", "actor": named.office.user, "target": follower}),
        (MONDAY + 4 * day, {"action": "incident.closed", "actor": named.head.user, "target": incident}),
    ):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            record(school=school, **event)
    with mock.patch("django.utils.timezone.now", return_value=MONDAY):
        record(action="auth.signed_in", actor=outsider.head.user, school=outsider.school, target=outsider.head.user)
        beta_post = Post.objects.create(account=outsider.account, author=outsider.head.user, text="Beta secret trip")
        record(action="post.approved", actor=outsider.head.user, school=outsider.school, target=beta_post)
    return {"post": post, "pupil": pupil, "incident": incident}


@pytest.fixture
def quietly(client_for):
    """Signs a member in without the sign-in's own entry (tests/audit checks that one), so each
    test's trail holds only what it made."""
    from django.contrib.auth.signals import user_logged_in

    from accounts.receivers import audit_approver_sign_in

    uid = "accounts.audit_approver_sign_in"
    user_logged_in.disconnect(audit_approver_sign_in, dispatch_uid=uid)
    yield client_for
    user_logged_in.connect(audit_approver_sign_in, dispatch_uid=uid)


@pytest.fixture
def head(quietly, named):
    return quietly(named.head)


def test_the_headteacher_reads_what_happened_in_plain_words(head, week):
    response = head.get(reverse("audit_log"))
    assert response.status_code == 200
    assert _rows(response) == [
        "11 Sep 2026, 09:00 Helen Carter Helen Carter closed the incident ‘Unkind reply’. "
        "Concerns and incidents: Incident closed",
        "10 Sep 2026, 09:00 Sam Lee Sam Lee accepted @kind_neighbour, a follower of @alpha_school. "
        "Followers, mentions and blocks: Follower accepted",
        "9 Sep 2026, 09:01 The portal The portal published Year 3's post ‘Our rocket day’. "
        "Posts and photos: Post published",
        "9 Sep 2026, 09:00 Helen Carter Helen Carter approved Year 3's post ‘Our rocket day’. "
        "Posts and photos: Post approved",
        "8 Sep 2026, 09:00 Sam Lee Sam Lee withdrew photo consent for Ava P. Pupils and consent: Consent withdrawn",
        "7 Sep 2026, 09:05 Tom Jones Tom Jones started writing Year 3's post ‘Our rocket day’. "
        "Posts and photos: Post started",
        "7 Sep 2026, 09:00 Helen Carter Helen Carter signed in. Staff and sign-in: Signed in",
    ]
    seen = _text(response)
    assert "post.approved" not in seen and "consent.withdrawn" not in seen
    assert "Patel" not in response.content.decode()


def test_entries_link_to_the_objects_they_are_about(head, week):
    page = head.get(reverse("audit_log")).content.decode()
    assert f'href="{reverse("review_post", args=[week["post"].pk])}"' in page
    assert f'href="{reverse("consent_pupil", args=[week["pupil"].pk])}"' in page
    assert f'href="{reverse("incident_detail", args=[week["incident"].pk])}"' in page


def test_another_schools_entries_never_appear(head, week):
    page = head.get(reverse("audit_log")).content.decode()
    assert "Beta" not in page and "head@beta.test" not in page
    rows = _csv(head.get(reverse("audit_export")))
    assert len(rows) == 9 and not any("Beta" in cell for row in rows for cell in row)


# Filters.


def test_filter_by_person(head, week, named):
    rows = _rows(head.get(reverse("audit_log"), {"person": named.office.user.pk}))
    assert len(rows) == 2
    assert rows[0].startswith("10 Sep 2026, 09:00 Sam Lee Sam Lee accepted @kind_neighbour")
    assert rows[1].startswith("8 Sep 2026, 09:00 Sam Lee Sam Lee withdrew photo consent for Ava P.")


def test_filter_by_what_the_portal_did_by_itself(head, week):
    rows = _rows(head.get(reverse("audit_log"), {"person": "portal"}))
    assert len(rows) == 1 and "The portal published" in rows[0]


def test_filter_by_kind_of_event(head, week):
    assert len(_rows(head.get(reverse("audit_log"), {"kind": "posts"}))) == 3
    rows = _rows(head.get(reverse("audit_log"), {"kind": "post.approved"}))
    assert len(rows) == 1 and "Helen Carter approved" in rows[0]


def test_filter_by_days(head, week):
    rows = _rows(head.get(reverse("audit_log"), {"from": "2026-09-08", "to": "2026-09-09"}))
    assert [row[:10] for row in rows] == ["9 Sep 2026", "9 Sep 2026", "8 Sep 2026"]


def test_filters_combine(head, week, named):
    query = {"person": named.head.user.pk, "kind": "posts", "from": "2026-09-08", "to": "2026-09-30"}
    rows = _rows(head.get(reverse("audit_log"), query))
    assert len(rows) == 1 and "Helen Carter approved" in rows[0]


def test_the_filters_stay_in_the_form_and_can_be_cleared(head, week, named):
    page = head.get(reverse("audit_log"), {"kind": "posts", "from": "2026-09-08"}).content.decode()
    assert '<option value="posts" selected>' in page
    assert 'name="from" value="2026-09-08"' in page
    assert f'<a class="button" href="{reverse("audit_log")}">Clear filters</a>' in page
    assert "Clear filters" not in head.get(reverse("audit_log")).content.decode()


def test_nothing_matching_says_so(head, week):
    response = head.get(reverse("audit_log"), {"from": "2027-01-01"})
    assert response.status_code == 200
    assert "No entries match these filters." in _text(response)


def test_someone_elses_person_id_is_refused_and_shows_nothing(head, week, outsider):
    response = head.get(reverse("audit_log"), {"person": outsider.head.user.pk})
    assert response.status_code == 400
    text = _text(response)
    assert "Who: Choose someone from the list." in text
    assert "Correct the filters above to see the entries." in text
    assert _rows(response) == [] and "Beta" not in response.content.decode()
    assert head.get(reverse("audit_export"), {"person": outsider.head.user.pk}).status_code == 400


def test_a_wrong_date_is_explained_next_to_its_field(head, week):
    response = head.get(reverse("audit_log"), {"from": "2026-09-10", "to": "2026-09-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-describedby="id_to-error"' in page and 'id="id_to-error"' in page
    assert "To: This date must be the same as the “From” date or after it." in _text(response)


# Pages.


@pytest.fixture
def busy_term(named, school):
    """120 sign-ins, one a minute."""
    for minute in range(120):
        _entries_at(
            MONDAY + timedelta(minutes=minute),
            [{"action": "auth.signed_in", "actor": named.head.user, "school": school, "data": {"n": minute}}],
        )


def test_fifty_entries_a_page_newest_first(head, busy_term):
    first = head.get(reverse("audit_log"))
    rows = _rows(first)
    assert len(rows) == 50 and rows[0].startswith("7 Sep 2026, 10:59") and rows[-1].startswith("7 Sep 2026, 10:10")
    assert "Page 1 of 3" in _text(first) and "Entries 1 to 50 of 120, newest first" in _text(first)
    last = head.get(reverse("audit_log"), {"page": 3})
    assert len(_rows(last)) == 20 and _rows(last)[-1].startswith("7 Sep 2026, 09:00")


def test_previous_and_next_keep_the_filters_and_say_where_they_go(head, busy_term, named):
    page = head.get(reverse("audit_log"), {"person": named.head.user.pk, "page": 2}).content.decode()
    person = named.head.user.pk
    assert (
        f'<a class="button" rel="prev" href="?person={person}&amp;page=1">Previous page'
        '<span class="au-visually-hidden"> (page 1 of 3, newer entries)</span></a>'
    ) in page
    assert (
        f'<a class="button" rel="next" href="?person={person}&amp;page=3">Next page'
        '<span class="au-visually-hidden"> (page 3 of 3, older entries)</span></a>'
    ) in page


def test_a_page_costs_the_same_queries_however_long_the_trail(
    head, named, school, accounts, django_assert_max_num_queries
):
    """Hundreds of entries about posts, pupils, followers and staff: each kind of object is looked up once."""

    def add(count):
        posts = Post.objects.bulk_create(
            Post(account=accounts.year3, author=named.teacher.user, text=f"Post {i}") for i in range(count)
        )
        pupils = Pupil.objects.bulk_create(
            Pupil(school=school, first_name=f"Pupil{i}", surname="Smith") for i in range(count)
        )
        events = []
        for post, pupil in zip(posts, pupils, strict=True):
            events += [
                {
                    "action": "post.approved",
                    "actor": named.head.user,
                    "school": school,
                    "target_type": "posts.post",
                    "target_id": str(post.pk),
                    "data": {},
                },
                {
                    "action": "consent.withdrawn",
                    "actor": named.office.user,
                    "school": school,
                    "target_type": "consent.pupil",
                    "target_id": str(pupil.pk),
                    "data": {"pupil_id": pupil.pk, "purpose": "social_photo"},
                },
                {
                    "action": "staff.deactivated",
                    "actor": named.head.user,
                    "school": school,
                    "target_type": "accounts.membership",
                    "target_id": str(named.ta.pk),
                },
            ]
        _entries_at(MONDAY, events)

    add(10)
    with django_assert_max_num_queries(20) as few:
        assert head.get(reverse("audit_log")).status_code == 200
    add(200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = head.get(reverse("audit_log"))
    assert len(_rows(response)) == 50


# The CSV download.


def test_the_download_has_the_filtered_entries_in_plain_words(head, week, named):
    response = head.get(reverse("audit_export"), {"kind": "posts"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-alpha-primary-')
    assert response["Cache-Control"] == "no-store"
    rows = _csv(response)
    assert rows[0] == ["When", "Who", "What happened", "Kind", "Object"]
    assert [row[1:] for row in rows[1:]] == [
        [
            "The portal",
            "The portal published Year 3's post ‘Our rocket day’",
            "post.published",
            "Year 3's post ‘Our rocket day’",
        ],
        [
            "Helen Carter",
            "Helen Carter approved Year 3's post ‘Our rocket day’",
            "post.approved",
            "Year 3's post ‘Our rocket day’",
        ],
        [
            "Tom Jones",
            "Tom Jones started writing Year 3's post ‘Our rocket day’",
            "post.created",
            "Year 3's post ‘Our rocket day’",
        ],
    ]
    assert rows[1][0] == "2026-09-09T09:01:00+01:00", "ISO, in the school's local time"


def test_the_download_makes_formulas_text(head, named, school, accounts):
    named.teacher.user.first_name, named.teacher.user.last_name = "=cmd|' /C calc'!A0", ""
    named.teacher.user.save(update_fields=["first_name", "last_name"])
    post = Post.objects.create(account=accounts.year3, author=named.teacher.user, text="-1 day to go")
    record(action="post.created", actor=named.teacher.user, school=school, target=post)
    [_header, _export_entry, row] = _csv(head.get(reverse("audit_export")))
    assert row[1] == "'=cmd|' /C calc'!A0"
    assert row[2].startswith("'=cmd")


def test_the_download_is_itself_in_the_trail(head, week, named):
    head.get(reverse("audit_export"), {"kind": "posts", "from": "2026-09-01"})
    export = AuditEvent.objects.get(action="audit.exported")
    assert export.actor == named.head.user
    assert export.data == {"entries": 3, "filters": {"what": "Posts and photos", "from": "2026-09-01"}}
    rows = _rows(head.get(reverse("audit_log"), {"kind": "trail"}))
    assert len(rows) == 1
    assert (
        "Helen Carter downloaded 3 entries of the audit trail as a spreadsheet "
        "(only “Posts and photos”, from 1 Sep 2026)" in rows[0]
    )


def test_the_page_links_to_the_download_of_what_it_shows(head, week, named):
    page = head.get(reverse("audit_log"), {"kind": "posts", "page": 1}).content.decode()
    assert f'href="{reverse("audit_export")}?kind=posts">Download these 3 entries (CSV)</a>' in page


# Who may.


@pytest.mark.parametrize("role", ["slt", "teacher", "ta", "office", "computing"])
def test_only_the_headteacher_reads_or_downloads_the_trail(quietly, named, week, role):
    client = quietly(getattr(named, role))
    assert client.get(reverse("audit_log")).status_code == 403
    assert client.get(reverse("audit_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_a_headteacher_of_another_school_sees_only_their_own(quietly, week, outsider):
    page = quietly(outsider.head).get(reverse("audit_log"))
    assert len(_rows(page)) == 2
    assert "Alpha" not in _text(page).replace("Alpha Primary", "") and "rocket" not in _text(page)


# The page's structure, for screen readers and keyboards.


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.headings, self.labels, self.controls, self.ths, self.captions = [], set(), [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append(attrs.get("id"))
        elif tag == "th":
            self.ths.append(attrs.get("scope"))
        elif tag == "caption":
            self.captions += 1


def test_every_control_is_labelled_and_the_table_has_headers_and_a_caption(head, week):
    outline = _Outline()
    page = head.get(reverse("audit_log")).content.decode()
    main = page.split('<main id="main"', 1)[1]
    outline.feed(main)
    assert outline.controls and all(control in outline.labels for control in outline.controls)
    assert outline.ths == ["col", "col", "col"] and outline.captions == 1
    levels = outline.headings
    assert levels[0] == 1 and all(after - before <= 1 for before, after in zip(levels, levels[1:], strict=False))
    assert 'type="date" name="from"' in main and 'type="date" name="to"' in main
    assert '<link rel="stylesheet" href="/static/css/audit.css">' in page
