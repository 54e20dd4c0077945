"""A tamper-evident, fully append-only audit trail.

1. The old triggers (0002) go first: they refused UPDATE, which the chaining below needs, and on
   SQLite a table that Django rebuilds loses its triggers anyway.
2. Each entry gains its previous and own fingerprints; the existing entries of each chain (one per
   school, one for entries with no school) are chained in the order they were written (id).
3. New triggers refuse UPDATE, DELETE and TRUNCATE on both databases, except through
   audit.maintenance.maintenance_door. SQLite has no TRUNCATE: its DELETE covers it.

The whole migration runs in one transaction on PostgreSQL, so the table is never unguarded to
anyone else.
"""

import django.db.models.deletion
import django.db.models.functions
import audit.models
from django.db import migrations, models

from audit.chain import GENESIS, fingerprint

OLD_PG = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
OLD_SQLITE = ["DROP TRIGGER IF EXISTS audit_event_no_update;"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF current_setting('portal.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
# The WHEN clause asks the connection (audit.maintenance registers the function on each one the
# portal opens); a program without the function cannot run the statement at all.
SQLITE_FORWARD = [
    f"""
CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_auditevent
WHEN NOT portal_audit_maintenance()
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only: {verb} refused');
END;
"""
    for verb in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_event_no_update;", "DROP TRIGGER IF EXISTS audit_event_no_delete;"]


def _run(schema_editor, pg: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg, None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def drop_old_triggers(apps, schema_editor):
    _run(schema_editor, OLD_PG, OLD_SQLITE)


def restore_old_triggers(apps, schema_editor):
    from importlib import import_module

    import_module("audit.migrations.0002_append_only_triggers").forward(apps, schema_editor)


def install_triggers(apps, schema_editor):
    _run(schema_editor, PG_FORWARD, SQLITE_FORWARD)


def remove_triggers(apps, schema_editor):
    _run(schema_editor, PG_REVERSE, SQLITE_REVERSE)


def chain_existing_entries(apps, schema_editor):
    """Chain each school's entries in id order, 1,000 at a time."""
    event_model = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    entries = event_model.objects.using(db)
    school_ids = entries.order_by().values_list("school_id", flat=True).distinct()
    fields = [f.name for f in event_model._meta.fields if f.name not in ("school", "actor")]
    for school_id in list(school_ids):
        previous = GENESIS
        batch = []
        chain = entries.filter(school_id=school_id).order_by("id").only(*fields, "school_id", "actor_id")
        for entry in chain.iterator(chunk_size=1000):
            entry.previous_hash = previous
            entry.entry_hash = previous = fingerprint(
                school_id=entry.school_id,
                actor_id=entry.actor_id,
                action=entry.action,
                target_type=entry.target_type,
                target_id=entry.target_id,
                target_repr=entry.target_repr,
                data=entry.data,
                ip_address=entry.ip_address,
                created_at=entry.created_at,
                previous_hash=entry.previous_hash,
            )
            batch.append(entry)
            if len(batch) == 1000:
                event_model.objects.using(db).bulk_update(batch, ["previous_hash", "entry_hash"])
                batch = []
        if batch:
            event_model.objects.using(db).bulk_update(batch, ["previous_hash", "entry_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_delegation_moved_from_posts"),
        ("audit", "0003_trail_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_old_triggers, restore_old_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=audit.models.now, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="entry_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                django.db.models.functions.Coalesce("school", models.Value(0)), models.F("id"), name="audit_chain"
            ),
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
        migrations.CreateModel(
            name="ChainCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("checked_at", models.DateTimeField(default=audit.models.now)),
                (
                    "entries",
                    models.PositiveIntegerField(help_text="Entries found whole, from the first of the chain."),
                ),
                (
                    "last_entry_id",
                    models.BigIntegerField(blank=True, help_text="The last entry found whole.", null=True),
                ),
                ("last_hash", models.CharField(blank=True, max_length=64)),
                ("whole", models.BooleanField()),
                (
                    "problem",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("changed", "an entry was changed after it was written"),
                            ("missing", "an entry was removed"),
                            ("reordered", "entries were put out of order"),
                        ],
                        max_length=16,
                    ),
                ),
                ("broken_entry_id", models.BigIntegerField(blank=True, null=True)),
                ("broken_entry_at", models.DateTimeField(blank=True, null=True)),
                ("message", models.TextField(blank=True)),
                (
                    "school",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.school",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["school", "-checked_at", "-id"], name="audit_check_latest")],
            },
        ),
    ]
