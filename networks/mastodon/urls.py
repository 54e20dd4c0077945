from django.urls import path

from . import views

urlpatterns = [
    path("social-accounts/<int:pk>/mastodon/", views.mastodon_connection, name="mastodon_connection"),
    path("social-accounts/<int:pk>/mastodon/connect/", views.mastodon_connect_start, name="mastodon_connect_start"),
    path("social-accounts/<int:pk>/mastodon/disconnect/", views.mastodon_disconnect, name="mastodon_disconnect"),
    path("social-accounts/<int:pk>/mastodon/check/", views.mastodon_check_connection, name="mastodon_check_connection"),
    # The one callback address the portal registers on every server (SITE_URL + this path).
    path("social-accounts/mastodon/callback/", views.mastodon_connect_callback, name="mastodon_connect_callback"),
]
