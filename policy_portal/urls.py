from django.contrib import admin
from django.urls import include, path

from portal import views as portal_views

admin.site.site_header = "Policy Portal administration"

urlpatterns = [
    path("", portal_views.dashboard, name="dashboard"),
    path("audit/", portal_views.audit_log, name="audit_log"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("networks.urls")),
    path("consent/", include("consent.urls")),
    path("posts/", include("posts.urls")),
    path("policy/", include("moderation.urls")),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
]
