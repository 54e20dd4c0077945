from django.apps import AppConfig


class NetworksConfig(AppConfig):
    name = "networks"
    verbose_name = "Networks"

    def ready(self) -> None:
        from . import audit_descriptions  # noqa: F401  (what its audit entries say)
