from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from portal import views as portal_views
from portal import views_audit

admin.site.site_header = "Policy Portal administration"

urlpatterns = [
    path("", portal_views.dashboard, name="dashboard"),
    path("audit/", views_audit.audit_log, name="audit_log"),
    path("audit/export.csv", views_audit.audit_export, name="audit_export"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("networks.urls")),
    path("consent/", include("consent.urls")),
    path("posts/", include("posts.urls")),
    # The school's website feed (issue 17): public, no sign-in.
    path("feeds/", include("posts.urls_feed")),
    path("policy/", include("moderation.urls")),
    path("community/", include("community.urls")),
    # The community's pages lived under /policy/ until issue 13: old links and bookmarks still work.
    re_path(
        r"^policy/(?P<rest>(?:audience|mentions|concerns|incidents)/.*)$",
        RedirectView.as_view(url="/community/%(rest)s", permanent=True, query_string=True),
    ),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
]
