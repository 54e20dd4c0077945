from django.urls import path

from . import views

urlpatterns = [
    path("social-accounts/<int:pk>/bluesky/", views.bluesky_connection, name="bluesky_connection"),
    path("social-accounts/<int:pk>/bluesky/connect/", views.bluesky_connect_view, name="bluesky_connect"),
    path("social-accounts/<int:pk>/bluesky/disconnect/", views.bluesky_disconnect, name="bluesky_disconnect"),
    path("social-accounts/<int:pk>/bluesky/check/", views.bluesky_check_connection, name="bluesky_check_connection"),
]
