from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Pupils and consent"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the register's signal receivers)
