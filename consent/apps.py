from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Pupils and consent"

    def ready(self) -> None:
        # Imported once the app registry is ready (Django\'s place for connecting receivers):
        # at import time the models they listen to are not loaded yet.
        from . import (
            audit_descriptions,  # noqa: F401  (what its audit entries say)
            receivers,  # noqa: F401  (connects the register's signal receivers)
        )
