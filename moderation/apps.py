from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Policy and moderation"

    def ready(self) -> None:
        # Imported once the app registry is ready (Django\'s place for connecting receivers):
        # at import time the models they listen to are not loaded yet.
        from . import audit_descriptions, receivers  # noqa: F401
