from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell over the apps: the dashboard, and the commands that span them (run, seed, bench)."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from . import audit_descriptions  # noqa: F401  (what its audit entries say)
