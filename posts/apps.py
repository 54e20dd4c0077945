from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self) -> None:
        # Imported once the app registry is ready (Django's place for connecting receivers):
        # at import time the models they listen to are not loaded yet.
        from . import (
            audit_descriptions,  # noqa: F401  (what its audit entries say)
            outside,  # noqa: F401  (gives the local network's timeline its link cards)
            receivers,  # noqa: F401
        )
