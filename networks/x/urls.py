from django.urls import path

from . import views

urlpatterns = [
    path("social-accounts/<int:pk>/x/", views.x_connection, name="x_connection"),
    path("social-accounts/<int:pk>/x/connect/", views.x_connect_start, name="x_connect_start"),
    path("social-accounts/<int:pk>/x/tokens/", views.x_connect_oauth1, name="x_connect_oauth1"),
    path("social-accounts/<int:pk>/x/disconnect/", views.x_disconnect, name="x_disconnect"),
    path("social-accounts/<int:pk>/x/check/", views.x_check_connection, name="x_check_connection"),
    # The one callback address registered with X for every account (SITE_URL + this path).
    path("social-accounts/x/callback/", views.x_connect_callback, name="x_connect_callback"),
]
