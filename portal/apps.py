from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell over the apps: the dashboard, and the commands that span them (run, seed, bench)."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # What its audit entries say, and the start-up check for uncollected static files.
        from . import audit_descriptions, checks  # noqa: F401
