"""Ways someone with the database in hand might tamper with the trail, each through the
maintenance door (the triggers would refuse them otherwise)."""

from django.db import connection

from audit.maintenance import maintenance_door

_COLUMNS = ["school_id", "actor_id", "action", "target_type", "target_id", "target_repr", "data"]
_COLUMNS += ["ip_address", "created_at", "previous_hash", "entry_hash"]


def edit(entry_id: int, **values) -> None:
    assignments = ", ".join(f"{column} = %s" for column in values)
    with maintenance_door(reason="a test tampers with the trail"), connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {assignments} WHERE id = %s", [*values.values(), entry_id])  # noqa: S608


def remove(entry_id: int) -> None:
    with maintenance_door(reason="a test tampers with the trail"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [entry_id])


def swap(first_id: int, second_id: int) -> None:
    """Give each of two entries the other's contents, fingerprints included (ids stay)."""
    columns = ", ".join(_COLUMNS)
    with maintenance_door(reason="a test tampers with the trail"), connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {columns} FROM audit_auditevent WHERE id IN (%s, %s)", [first_id, second_id])  # noqa: S608
        rows = {row[0]: row[1:] for row in cursor.fetchall()}
        assignments = ", ".join(f"{column} = %s" for column in _COLUMNS)
        for target, source in ((first_id, second_id), (second_id, first_id)):
            cursor.execute(f"UPDATE audit_auditevent SET {assignments} WHERE id = %s", [*rows[source], target])  # noqa: S608
