from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Schools and staff"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
