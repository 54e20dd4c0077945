from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Schools and staff"

    def ready(self) -> None:
        # Imported once the app registry is ready (Django\'s place for connecting receivers):
        # at import time the models they listen to are not loaded yet.
        from . import audit_descriptions, receivers  # noqa: F401
