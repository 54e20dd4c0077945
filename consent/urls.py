from django.urls import path

from . import views, views_import

urlpatterns = [
    path("", views.register, name="consent_register"),
    path("bulk/", views.bulk_entry, name="consent_bulk_entry"),
    path("coverage/", views.coverage, name="consent_coverage"),
    path("pupils/<int:pk>/", views.pupil_detail, name="consent_pupil"),
    path("pupils/<int:pk>/record/", views.consent_record_create, name="consent_record_create"),
    path("pupils/<int:pk>/never-publish/", views.never_publish, name="consent_never_publish"),
    path("pupils/<int:pk>/other-names/", views.pupil_other_names, name="consent_pupil_other_names"),
    path("records/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("import/", views_import.import_upload, name="consent_import"),
    path("import/encoding/", views_import.import_encoding, name="consent_import_encoding"),
    path("import/columns/", views_import.import_map, name="consent_import_map"),
    path("import/check/", views_import.import_preview, name="consent_import_preview"),
    path("import/apply/", views_import.import_apply, name="consent_import_apply"),
    path("import/outcome/", views_import.import_job, name="consent_import_job"),
    path("export.csv", views_import.export, name="consent_export"),
]
