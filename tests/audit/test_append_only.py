import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

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


def test_postgresql_refuses_a_delete_even_in_raw_sql(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE for the test runner's flush; PostgreSQL (CI) refuses it")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()
