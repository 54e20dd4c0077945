"""Each school's entries form a hash chain that a walk proves whole, or breaks at the right entry
when an entry is changed, removed or put out of order."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import RequestFactory

from audit.chain import GENESIS, fingerprint_of
from audit.models import AuditEvent, ChainCheck
from audit.services import check_chain, record, record_many
from audit.verification import walk_chain

from .tampering import edit, remove, swap


def _chain(school_id):
    return list(AuditEvent.objects.filter(school_id=school_id).order_by("id"))


def _record_some(school, actor, count: int) -> list[AuditEvent]:
    return [
        record(action="test.happened", actor=actor, school=school, data={"n": n, "note": f"entry {n}"})
        for n in range(count)
    ]


@pytest.fixture
def trail(staff, outsider):
    """Entries of two schools interleaved, and some with no school."""
    entries = []
    for n in range(40):
        entries.append(record(action="test.happened", actor=staff.head.user, school=staff.head.school, data={"n": n}))
        if n % 2:
            entries.append(record(action="test.happened", actor=outsider.head.user, school=outsider.school))
        if n % 10 == 0:
            entries.append(record(action="test.system", data={"n": n}))
    return entries


def test_each_school_has_its_own_unbroken_chain(trail, staff, outsider):
    for school_id, expected in ((staff.head.school.pk, 40), (outsider.school.pk, 20), (None, 4)):
        chain = _chain(school_id)
        assert len(chain) == expected
        assert chain[0].previous_hash == GENESIS
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.previous_hash == before.entry_hash
        verdict = walk_chain(school_id)
        assert verdict.whole and verdict.entries == expected and verdict.last_entry_id == chain[-1].pk


def test_a_chain_of_many_entries_verifies(staff):
    record_many([{"action": "test.bulk", "school": staff.head.school, "data": {"n": n}} for n in range(3000)])
    _record_some(staff.head.school, staff.head.user, 5)
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.whole and verdict.entries == 3005


def test_record_many_chains_its_batch_in_order_after_what_was_there(staff, outsider):
    first = record(action="test.happened", school=staff.head.school)
    written = record_many(
        [{"action": "test.bulk", "school": staff.head.school, "data": {"n": n}} for n in range(700)]
        + [{"action": "test.bulk", "school": outsider.school, "data": {"n": n}} for n in range(3)]
    )
    assert written == 703
    chain = _chain(staff.head.school.pk)
    assert chain[0] == first and [entry.data["n"] for entry in chain[1:]] == list(range(700))
    assert chain[1].previous_hash == first.entry_hash
    assert walk_chain(staff.head.school.pk).whole and walk_chain(outsider.school.pk).entries == 3


def test_what_the_database_gives_back_has_the_fingerprint_it_was_written_with(staff):
    """Numbers PostgreSQL's jsonb rewrites (1.0, 1e20), nested data, accents, and an IPv6 address
    in long form all read back with the same fingerprint."""
    request = RequestFactory().get("/", REMOTE_ADDR="2001:0DB8:0000:0000:0000:0000:0000:0001")
    record(
        action="test.happened",
        actor=staff.head.user,
        school=staff.head.school,
        target=staff.teacher,
        data={"whole": 1.0, "big": 1e20, "tenth": 0.1, "names": ["Zoë", "Siân"], "nested": {"b": [1, {"a": None}]}},
        request=request,
    )
    stored = AuditEvent.objects.get()
    assert fingerprint_of(stored) == stored.entry_hash
    assert walk_chain(staff.head.school.pk).whole


def test_an_entry_changed_after_it_was_written_is_named(staff):
    entries = _record_some(staff.head.school, staff.head.user, 10)
    edit(entries[6].pk, action="post.approved")
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.problem == ChainCheck.Problem.CHANGED
    assert verdict.broken_entry_id == entries[6].pk and verdict.entries == 6
    assert f"Entry {entries[6].pk} (recorded" in verdict.message and "changed after it was written" in verdict.message


def test_an_entry_rewritten_with_a_fresh_fingerprint_breaks_the_next_link(staff):
    entries = _record_some(staff.head.school, staff.head.user, 5)
    forged = entries[2]
    forged.action = "post.approved"
    edit(forged.pk, action="post.approved", entry_hash=fingerprint_of(forged))
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.problem == ChainCheck.Problem.MISSING and verdict.broken_entry_id == entries[3].pk


def test_a_removed_entry_is_named_by_the_entry_after_it(staff):
    entries = _record_some(staff.head.school, staff.head.user, 10)
    remove(entries[4].pk)
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.problem == ChainCheck.Problem.MISSING
    assert verdict.broken_entry_id == entries[5].pk and verdict.entries == 4
    assert f"does not follow entry {entries[3].pk}" in verdict.message


def test_a_removed_first_entry_is_found(staff):
    entries = _record_some(staff.head.school, staff.head.user, 3)
    remove(entries[0].pk)
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.problem == ChainCheck.Problem.MISSING and verdict.broken_entry_id == entries[1].pk
    assert "earliest entries were removed" in verdict.message


def test_entries_removed_from_the_end_after_a_check_are_found(staff):
    entries = _record_some(staff.head.school, staff.head.user, 6)
    assert check_chain(school_id=staff.head.school.pk).whole
    remove(entries[-1].pk)
    remove(entries[-2].pk)
    check = check_chain(school_id=staff.head.school.pk)
    assert not check.whole and check.problem == ChainCheck.Problem.MISSING
    assert check.broken_entry_id == entries[-1].pk and check.entries == 4
    assert "the latest entries were removed" in check.message


def test_two_swapped_entries_are_found_out_of_order(staff):
    entries = _record_some(staff.head.school, staff.head.user, 8)
    swap(entries[3].pk, entries[4].pk)
    verdict = walk_chain(staff.head.school.pk)
    assert verdict.problem == ChainCheck.Problem.REORDERED
    assert verdict.broken_entry_id == entries[3].pk and verdict.entries == 3
    assert f"written after entry {entries[4].pk}" in verdict.message


def test_a_break_in_one_school_leaves_the_others_whole(staff, outsider):
    ours = _record_some(staff.head.school, staff.head.user, 3)
    _record_some(outsider.school, outsider.head.user, 3)
    edit(ours[1].pk, target_repr="someone else")
    assert not walk_chain(staff.head.school.pk).whole
    assert walk_chain(outsider.school.pk).whole


def test_the_entries_of_a_deployed_database_are_chained_by_the_migration(staff):
    """Entries written before the chain existed (no fingerprints) are chained in the order written."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.db.migrations.loader import MigrationLoader

    from audit.maintenance import maintenance_door

    moment = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
    AuditEvent.objects.bulk_create(
        AuditEvent(action="old.entry", school=school, created_at=moment, data={"n": n})
        for n, school in enumerate([staff.head.school, None, staff.head.school, staff.head.school])
    )
    assert not walk_chain(staff.head.school.pk).whole
    name = "0004_hash_chain_and_full_refusal"
    migration = import_module(f"audit.migrations.{name}")
    historical = MigrationLoader(connection).project_state(("audit", name)).apps
    with maintenance_door(reason="a test runs the migration's data step"):
        migration.chain_existing_entries(historical, SimpleNamespace(connection=connection))
    assert walk_chain(staff.head.school.pk).entries == 3 and walk_chain(None).entries == 1
    record(action="new.entry", school=staff.head.school)
    assert walk_chain(staff.head.school.pk).entries == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_make_one_unbroken_chain(staff):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time (IMMEDIATE transactions); the lock is PostgreSQL's")
    school = staff.head.school
    start = threading.Barrier(8)
    failures = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for n in range(15):
                with transaction.atomic():
                    record(action="test.concurrent", school=school, data={"writer": number, "n": n})
                    if n % 5 == 0:
                        record_many([{"action": "test.bulk", "school": school, "data": {"writer": number}}] * 3)
        except Exception as error:  # noqa: BLE001 - the main thread reports it
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    verdict = walk_chain(school.pk)
    assert verdict.whole and verdict.entries == 8 * (15 + 3 * 3)
    assert len({entry.previous_hash for entry in _chain(school.pk)}) == 8 * (15 + 3 * 3)


@pytest.mark.parametrize("chain", ["a school's", "no school's"])
def test_recording_reads_the_chains_last_entry_from_an_index(staff, chain):
    """Each record reads its chain's last entry: straight from an index, however long the trail."""
    school_id = staff.head.school.pk if chain == "a school's" else None
    last = AuditEvent.objects.in_chain(school_id).order_by("-id").values_list("entry_hash", flat=True)[:1]
    sql, params = last.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "audit_chain" in plan and "Sort" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, plan
