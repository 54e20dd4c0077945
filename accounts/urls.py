from django.urls import path

from . import views, views_preferences, views_timeline, views_x

urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path("staff/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("school/switch/", views.school_switch, name="school_switch"),
    path("preferences/email/", views_preferences.email_preferences, name="email_preferences"),
    path("social-accounts/", views.social_account_list, name="social_account_list"),
    path("social-accounts/new/", views.social_account_edit, name="social_account_create"),
    path("social-accounts/<int:pk>/", views.social_account_edit, name="social_account_edit"),
    path("social-accounts/<int:pk>/x/", views_x.x_connection, name="x_connection"),
    path("social-accounts/<int:pk>/x/connect/", views_x.x_connect_start, name="x_connect_start"),
    path("social-accounts/<int:pk>/x/tokens/", views_x.x_connect_oauth1, name="x_connect_oauth1"),
    path("social-accounts/<int:pk>/x/disconnect/", views_x.x_disconnect, name="x_disconnect"),
    path("social-accounts/<int:pk>/x/check/", views_x.x_check_connection, name="x_check_connection"),
    # The one callback address registered with X for every account (SITE_URL + this path).
    path("social-accounts/x/callback/", views_x.x_connect_callback, name="x_connect_callback"),
    path("local/people/<str:handle>/", views_timeline.local_person, name="local_person"),
    path("local/<str:handle>/", views_timeline.local_timeline, name="local_timeline"),
    path("local/media/<int:pk>/", views_timeline.local_network_media, name="local_network_media"),
]
