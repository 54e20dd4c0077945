"""Helpers for the audit trail's tests (tests/audit and tests/portal/test_audit_trail.py)."""

from unittest import mock

from audit.services import record


def give_names(staff):
    """Alpha Primary's staff with the names the trail shows."""
    for member, first, last in (
        (staff.head, "Helen", "Carter"),
        (staff.office, "Sam", "Lee"),
        (staff.teacher, "Tom", "Jones"),
        (staff.computing, "Priya", "Shah"),
        (staff.slt, "Ruth", "Okoro"),
    ):
        member.user.first_name, member.user.last_name = first, last
        member.user.save(update_fields=["first_name", "last_name"])
    return staff


def record_at(moment, **kwargs):
    """An entry as if recorded at `moment` (entries take the time they are saved, and never change)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return record(**kwargs)
