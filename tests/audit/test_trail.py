"""Reading the trail: one school's entries, narrowed by person, kind and day (in the school's own
time), and the CSV that carries them out of the portal."""

import csv
import io
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.db import connection, transaction

from audit import describe
from audit.exports import spreadsheet_safe, trail_csv
from audit.forms import TrailFilterForm
from audit.models import AuditEvent
from audit.selectors import THE_PORTAL, in_batches, people_in_trail, trail_for_school
from posts.models import Post

from .helpers import record_at

# 2 July 2026, 00:30 in London (British Summer Time) is still 1 July in UTC.
JUST_AFTER_MIDNIGHT = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)


@pytest.fixture
def trail(named, school, outsider, accounts):
    """A few days at Alpha Primary, and one entry of Beta Primary's."""
    post = Post.objects.create(account=accounts.year3, author=named.teacher.user, text="Sports day")
    return {
        "signed_in": record_at(
            datetime(2026, 6, 30, 8, 0, tzinfo=UTC), action="auth.signed_in", actor=named.head.user, school=school
        ),
        "invited": record_at(
            datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
            action="staff.invited",
            actor=named.office.user,
            school=school,
            data={"email": "new@alpha.test", "roles": ["class_teacher"], "class_groups": []},
        ),
        "late": record_at(JUST_AFTER_MIDNIGHT, action="post.published", school=school, target=post),
        "theirs": record_at(
            datetime(2026, 7, 1, 9, 0, tzinfo=UTC),
            action="auth.signed_in",
            actor=outsider.head.user,
            school=outsider.school,
        ),
    }


def _actions(events):
    return [event.action for event in events]


def test_the_trail_is_the_schools_own_newest_first(trail, school):
    assert _actions(trail_for_school(school=school)) == ["post.published", "staff.invited", "auth.signed_in"]


def test_filter_by_person_or_by_the_portal_itself(trail, school, named):
    assert _actions(trail_for_school(school=school, person=str(named.office.user.pk))) == ["staff.invited"]
    assert _actions(trail_for_school(school=school, person=THE_PORTAL)) == ["post.published"]


def test_filter_by_kinds(trail, school):
    staff_kinds = describe.codes_in("staff")
    assert _actions(trail_for_school(school=school, actions=staff_kinds)) == ["staff.invited", "auth.signed_in"]


def test_days_are_the_schools_days(trail, school):
    """Half past midnight on 2 July in London is 2 July, whatever UTC says."""
    assert _actions(trail_for_school(school=school, since=date(2026, 7, 2), until=date(2026, 7, 2))) == [
        "post.published"
    ]
    assert _actions(trail_for_school(school=school, since=date(2026, 7, 1), until=date(2026, 7, 1))) == [
        "staff.invited"
    ]
    assert _actions(trail_for_school(school=school, until=date(2026, 6, 30))) == ["auth.signed_in"]


def test_the_person_filter_offers_only_people_in_this_schools_trail(trail, school, named, outsider):
    assert people_in_trail(school=school) == [named.head.user, named.office.user]
    form = TrailFilterForm({"person": str(outsider.head.user.pk)}, people=people_in_trail(school=school))
    assert not form.is_valid()
    assert form.errors["person"] == ["Choose someone from the list."]


def test_a_to_date_before_the_from_date_is_refused(school):
    form = TrailFilterForm({"from": "2026-07-02", "to": "2026-07-01"}, people=[])
    assert not form.is_valid()
    assert "same as the “From” date or after it" in form.errors["to"][0]


def test_a_kind_filter_is_a_whole_category_or_one_kind(school):
    form = TrailFilterForm({"kind": "consent"}, people=[])
    assert form.is_valid()
    assert set(form.trail_arguments()["actions"]) >= {"consent.recorded", "consent.withdrawn", "pupil.created"}
    form = TrailFilterForm({"kind": "consent.withdrawn", "from": "01/07/2026"}, people=[])
    assert form.is_valid()
    assert form.trail_arguments() == {
        "person": "",
        "actions": ["consent.withdrawn"],
        "since": date(2026, 7, 1),
        "until": None,
    }
    assert form.summary() == {"what": "Consent withdrawn", "from": "2026-07-01"}


def test_batches_cover_every_entry_once_in_order_even_at_the_same_moment(named, school):
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 7, 1, 9, 0, tzinfo=UTC)):
        AuditEvent.objects.bulk_create(
            AuditEvent(action="auth.signed_in", actor=named.head.user, school=school) for _ in range(7)
        )
    batches = list(in_batches(trail_for_school(school=school), size=3))
    assert [len(batch) for batch in batches] == [3, 3, 1]
    ids = [event.pk for batch in batches for event in batch]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-1", "'-1"),
        ("@alpha_school following @booktrust", "'@alpha_school following @booktrust"),
        ("\t=1", "'\t=1"),
        ("Helen Carter signed in", "Helen Carter signed in"),
        (None, ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(value, written):
    assert spreadsheet_safe(value) == written


def test_the_csv_has_the_schools_time_plain_sentences_and_escaped_cells(trail, school, named):
    named.office.user.first_name, named.office.user.last_name = "=HYPERLINK(1)", ""
    named.office.user.save(update_fields=["first_name", "last_name"])
    text = "".join(trail_csv(trail_for_school(school=school), school=school, viewer=named.head))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        ["When", "Who", "What happened", "Kind", "Object"],
        [
            "2026-07-02T00:30:00+01:00",
            "The portal",
            "The portal published Year 3's post ‘Sports day’",
            "post.published",
            "Year 3's post ‘Sports day’",
        ],
        [
            "2026-07-01T10:00:00+01:00",
            "'=HYPERLINK(1)",
            "'=HYPERLINK(1) invited new@alpha.test to join as class teacher",
            "staff.invited",
            "",
        ],
        ["2026-06-30T09:00:00+01:00", "Helen Carter", "Helen Carter signed in", "auth.signed_in", ""],
    ]


@pytest.mark.parametrize("narrowed", ["everything", "one person", "one kind"])
def test_a_page_is_read_in_order_straight_from_an_index(named, school, narrowed):
    """However long the trail, a page reads its 50 entries from an index in the page's order, with
    no sort of the whole trail first."""
    arguments = {
        "everything": {},
        "one person": {"person": str(named.head.user.pk)},
        "one kind": {"actions": ["auth.signed_in"]},
    }[narrowed]
    sql, params = trail_for_school(school=school, **arguments)[:50].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A test's table is tiny: tell the planner to plan as for a big one. Once the table has
            # been analysed (after tests that commit), a bitmap scan and a sort of its few rows also
            # look cheap; on a big table they are not.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index" in plan and "Sort" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING INDEX audit_school_" in plan and "TEMP B-TREE" not in plan, plan
