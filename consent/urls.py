from django.urls import path

from . import views

urlpatterns = [
    path("", views.register, name="consent_register"),
    path("bulk/", views.bulk_entry, name="consent_bulk_entry"),
    path("coverage/", views.coverage, name="consent_coverage"),
    path("pupils/<int:pk>/", views.pupil_detail, name="consent_pupil"),
    path("pupils/<int:pk>/record/", views.consent_record_create, name="consent_record_create"),
    path("pupils/<int:pk>/never-publish/", views.never_publish, name="consent_never_publish"),
    path("records/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
]
