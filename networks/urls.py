"""Each network's own pages, at the paths they have always had."""

from django.urls import include, path

urlpatterns = [
    path("", include("networks.x.urls")),
    path("", include("networks.bluesky.urls")),
    path("", include("networks.local.urls")),
    path("", include("networks.mastodon.urls")),
]
