from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Each app describes its own audit events from its ready(); these are the trail's own.
        from . import audit_descriptions  # noqa: F401
