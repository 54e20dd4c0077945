from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell over the apps: the dashboard, and the commands that span them (run, seed, bench)."""

    name = "portal"
    verbose_name = "Portal"
