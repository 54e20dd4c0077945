from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Policy and moderation"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
