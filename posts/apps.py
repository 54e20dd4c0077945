from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self) -> None:
        from . import (
            outside,  # noqa: F401  (gives the local network's timeline its link cards)
            receivers,  # noqa: F401
        )
