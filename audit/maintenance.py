"""The one way past the database's refusal to change or remove audit entries.

The database refuses UPDATE, DELETE and TRUNCATE on the audit table (migration 0004), whatever code
sends them. Emptying the whole database is still needed in two places: the test runner between
tests that commit (pytest-django's flush: TRUNCATE on PostgreSQL, DELETE on SQLite), and an
operator who means to. `maintenance_door` opens the way for one transaction on one connection,
says why in the log, and closes it again at the end of the block:

- PostgreSQL: the triggers let a statement through only while the transaction-local setting
  `portal.audit_maintenance` is 'on'; the door sets it with `set_config(..., true)` (SET LOCAL)
  inside a transaction, and the setting ends with the block's savepoint or transaction.
- SQLite: the triggers call `portal_audit_maintenance()`, a function the portal registers on each
  connection it opens; it answers 1 only inside the door. Any other program that opens the file
  (the sqlite3 shell) has no such function, so its UPDATE or DELETE fails.

Loading a backup into an empty database needs no door: it only inserts.
"""

import logging
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

SQLITE_FUNCTION = "portal_audit_maintenance"
PG_SETTING = "portal.audit_maintenance"


class _SqliteDoor:
    """Whether the door is open on one SQLite connection."""

    def __init__(self) -> None:
        self.open = False

    def __call__(self) -> int:
        return 1 if self.open else 0


def register_sqlite_door(sender, connection, **kwargs) -> None:
    """connection_created: give each new SQLite connection the function the triggers ask."""
    if connection.vendor != "sqlite":
        return
    door = _SqliteDoor()
    connection.audit_maintenance_door = door
    connection.connection.create_function(SQLITE_FUNCTION, 0, door, deterministic=False)


@contextmanager
def maintenance_door(*, reason: str, using: str = DEFAULT_DB_ALIAS):
    """Let UPDATE, DELETE and TRUNCATE of audit entries through, inside this block only, on this
    connection only. `reason` goes to the log; say who asked and why."""
    if not reason.strip():
        raise ValueError("Say why the audit trail's maintenance door is being opened.")
    connection = connections[using]
    logger.warning("Audit trail maintenance door opened on %r: %s", using, reason)
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'on', true)", [PG_SETTING])
            # On an error the block's savepoint or transaction rolls back, and the setting with it.
            yield
            if not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', true)", [PG_SETTING])
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            door = connection.audit_maintenance_door
            door.open = True
            try:
                yield
            finally:
                door.open = False
        else:
            yield
