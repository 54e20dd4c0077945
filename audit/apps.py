from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Each app describes its own audit events from its ready(); these are the trail's own.
        from . import audit_descriptions  # noqa: F401
        from .maintenance import register_sqlite_door

        # SQLite's triggers ask this connection whether the maintenance door is open.
        connection_created.connect(register_sqlite_door, dispatch_uid="audit.register_sqlite_door")
