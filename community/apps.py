from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "Community"

    def ready(self) -> None:
        from . import audit_descriptions  # noqa: F401  (what its audit entries say)
