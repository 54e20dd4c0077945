import pytest
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from audit.maintenance import maintenance_door
from audit.models import AuditEvent, AuditTrailIsAppendOnly
from audit.services import record


@pytest.fixture
def event(staff):
    return record(action="test.happened", actor=staff.head.user, school=staff.head.school, target=staff.teacher)


def test_record_names_who_what_and_target(event, staff):
    assert event.actor == staff.head.user
    assert event.target_type == "accounts.membership" and event.target_id == str(staff.teacher.pk)


def test_an_entry_cannot_be_changed_through_the_orm(event):
    event.action = "something.else"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="something.else")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_an_entry_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_offers_no_add_change_or_delete(event, staff):
    staff.head.user.is_superuser = staff.head.user.is_staff = True
    request = RequestFactory().get("/")
    request.user = staff.head.user
    admin = site._registry[AuditEvent]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, event)
    assert not admin.has_delete_permission(request, event)


def test_the_database_refuses_an_update_even_in_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_the_database_refuses_a_delete_even_in_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_emptying_the_table(event):
    """TRUNCATE on PostgreSQL; SQLite has none, and its DELETE without WHERE is what empties a table."""
    emptying = "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(emptying)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_postgresql_refuses_a_truncate_that_cascades_from_another_table(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_school CASCADE")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def _door_is_open() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT coalesce(current_setting('portal.audit_maintenance', true), '') = 'on'")
        else:
            cursor.execute("SELECT portal_audit_maintenance()")
        return bool(cursor.fetchone()[0])


def test_the_maintenance_door_is_closed_by_default_and_after_use(event):
    assert not _door_is_open()
    with maintenance_door(reason="a test"):
        assert _door_is_open()
    assert not _door_is_open()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def test_the_maintenance_door_lets_an_operator_empty_the_table(event):
    with maintenance_door(reason="a test empties the trail"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert not AuditEvent.objects.exists()


def test_the_maintenance_door_closes_when_its_block_fails(event):
    with pytest.raises(RuntimeError), maintenance_door(reason="a test"):
        raise RuntimeError("the maintenance went wrong")
    assert not _door_is_open()


def test_the_maintenance_door_needs_a_reason():
    with pytest.raises(ValueError, match="Say why"), maintenance_door(reason="  "):
        pass


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_empties_a_trail_with_entries(staff):
    """This test commits; its teardown's flush must get past the triggers (tests/conftest.py)."""
    record(action="test.happened", actor=staff.head.user, school=staff.head.school)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
