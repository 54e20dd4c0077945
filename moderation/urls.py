from django.urls import path

from . import views

urlpatterns = [
    path("", views.policy_current, name="policy_current"),
    path("read/", views.policy_acknowledge, name="policy_acknowledge"),
    path("edit/", views.policy_edit, name="policy_edit"),
    path("sign-off/", views.policy_sign_off, name="policy_sign_off"),
    path("rules/", views.rules_list, name="rules_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/try/", views.rules_try, name="rules_try"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]
