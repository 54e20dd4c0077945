"""manage.py audit_verify, and the audit page's account of the latest check."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEvent, ChainCheck
from audit.services import check_chain, record
from audit.tasks import verify_trails

from .tampering import edit, remove


def _run(*args) -> tuple[int, str, str]:
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def entries(staff, outsider):
    ours = [record(action="test.happened", actor=staff.head.user, school=staff.head.school) for _ in range(5)]
    record(action="test.happened", school=outsider.school)
    record(action="test.system")
    return ours


def test_a_whole_trail_exits_0_and_counts_each_chain(entries):
    code, out, _ = _run()
    assert code == 0
    assert "Alpha Primary: whole, 5 entries checked." in out
    assert "Beta Primary: whole, 1 entries checked." in out
    assert "Entries with no school: whole, 1 entries checked." in out
    assert "All 3 chains are whole: 7 entries checked." in out


def test_a_broken_chain_exits_1_and_names_the_first_break(entries):
    remove(entries[2].pk)
    code, out, err = _run()
    assert code == 1
    assert f"Alpha Primary: BROKEN after 2 whole entries. Entry {entries[3].pk} (recorded" in out
    assert "Beta Primary: whole" in out and "1 of 3 chains are broken." in err


def test_json_names_the_break(entries):
    edit(entries[1].pk, target_repr="somebody else")
    code, out, _ = _run("--json")
    report = json.loads(out)
    assert code == 1 and report["whole"] is False
    alpha = next(chain for chain in report["chains"] if chain["school"] == "alpha")
    assert alpha["problem"] == "changed" and alpha["broken_entry_id"] == entries[1].pk
    assert alpha["entries_checked"] == 1 and alpha["broken_entry_at"]


def test_one_school_only(entries):
    code, out, _ = _run("--school", "beta", "--json")
    report = json.loads(out)
    assert code == 0 and [chain["school"] for chain in report["chains"]] == ["beta"]
    assert report["chains"][0]["entries_checked"] == 1


def test_an_unknown_school_is_an_error(entries):
    with pytest.raises(CommandError, match="No school has the slug 'gamma'"):
        call_command("audit_verify", "--school", "gamma")


def test_each_run_is_stored_for_the_audit_page(entries, staff):
    verify_trails()
    _run("--school", "alpha")
    checks = ChainCheck.objects.filter(school=staff.head.school)
    assert checks.count() == 2 and all(check.whole and check.entries == 5 for check in checks)


def test_the_page_says_when_the_trail_has_not_been_checked(entries, staff, client_for):
    page = client_for(staff.head).get(reverse("audit_log"))
    assert "The trail has not been checked yet" in page.content.decode()


def test_the_page_shows_a_whole_check_and_the_entries_since(entries, staff, client_for):
    client = client_for(staff.head)
    check = check_chain(school_id=staff.head.school.pk)
    record(action="test.happened", school=staff.head.school)
    record(action="test.happened", school=staff.head.school)
    since = AuditEvent.objects.filter(school=staff.head.school, id__gt=check.last_entry_id).count()
    body = client.get(reverse("audit_log")).content.decode()
    assert f"all {check.entries} entries recorded up to then are whole" in body
    assert f"The {since} entries recorded since will be checked next time (every 60 minutes)" in body
    assert "tampered" not in body


def test_the_page_shows_a_broken_chain_plainly(entries, staff, client_for):
    edit(entries[3].pk, action="post.approved")
    client = client_for(staff.head)
    check_chain(school_id=staff.head.school.pk)
    body = client.get(reverse("audit_log")).content.decode()
    assert "The audit trail has been tampered with" in body
    assert f"Entry {entries[3].pk} (recorded" in body and "changed after it was written" in body
    assert "The first 3 entries are whole" in body


def test_the_page_shows_only_the_schools_own_check(entries, staff, outsider, client_for):
    remove(entries[0].pk)
    check_chain(school_id=staff.head.school.pk)
    check_chain(school_id=outsider.school.pk)
    body = client_for(outsider.head).get(reverse("audit_log")).content.decode()
    assert "the one entry recorded up to then is whole" in body and "tampered" not in body


def test_only_the_headteacher_sees_the_page(entries, staff, client_for):
    check_chain(school_id=staff.head.school.pk)
    assert client_for(staff.office).get(reverse("audit_log")).status_code == 403
