from django.urls import path

from . import views, views_approval, views_devices, views_preferences, views_signin, views_staff_handles

urlpatterns = [
    # allauth's sign-in steps, answering 429 while paused (accounts.services_sign_in).
    path("accounts/login/", views_signin.password_step, name="account_login"),
    path("accounts/2fa/authenticate/", views_signin.code_step, name="mfa_authenticate"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/deactivate/", views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", views.staff_reactivate, name="staff_reactivate"),
    path("staff/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("school/switch/", views.school_switch, name="school_switch"),
    path("sign-in/second-step/", views_signin.second_factor_required, name="second_factor_required"),
    path("sign-in/continue/", views_signin.signin_continue, name="signin_continue"),
    path("preferences/email/", views_preferences.email_preferences, name="email_preferences"),
    path("preferences/my-accounts/", views_staff_handles.staff_handles, name="staff_handles"),
    path("preferences/my-accounts/remove/", views_staff_handles.staff_handle_delete, name="staff_handle_delete"),
    path("staff/own-accounts/", views_staff_handles.staff_handles_school, name="staff_handles_school"),
    path("social-accounts/", views.social_account_list, name="social_account_list"),
    path("social-accounts/new/", views.social_account_edit, name="social_account_create"),
    path("social-accounts/<int:pk>/", views.social_account_edit, name="social_account_edit"),
    path("devices/", views_devices.device_list, name="device_list"),
    path("devices/<int:pk>/rename/", views_devices.device_rename, name="device_rename"),
    path("devices/<int:pk>/revoke/", views_devices.device_revoke, name="device_revoke"),
    path("devices/<int:pk>/new-link/", views_devices.device_new_link, name="device_new_link"),
    path("devices/enrol/", views_devices.device_enrol_code, name="device_enrol_code"),
    path("devices/enrol/<str:token>/", views_devices.device_enrol, name="device_enrol"),
    # Approval in more than one step (issue 18).
    path("approval/", views_approval.approval_settings, name="approval_settings"),
    path("approval/accounts/<int:pk>/", views_approval.approval_chain_edit, name="approval_chain_edit"),
    path("approval/cover/", views_approval.approval_covers, name="approval_covers"),
    path("approval/cover/new/", views_approval.approval_cover_create, name="approval_cover_create"),
    path("approval/cover/<int:pk>/end/", views_approval.approval_cover_revoke, name="approval_cover_revoke"),
]
