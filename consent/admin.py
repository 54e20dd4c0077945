from django.contrib import admin

from audit.admin import ViewOnlyModelAdmin

from .models import ConsentRecord, Pupil

# Both admins are for looking, not editing: every change goes through consent.services so it
# is permission-checked and audited. The never-publish reason is left out entirely, because
# Django admin users are not necessarily the headteacher.


@admin.register(Pupil)
class PupilAdmin(ViewOnlyModelAdmin):
    list_display = ["surname", "first_name", "class_group", "year_group", "mis_id", "leaving_date", "never_publish"]
    list_filter = ["school", "class_group", "never_publish"]
    list_select_related = ["class_group"]
    search_fields = ["first_name", "surname", "preferred_name", "mis_id"]
    ordering = ["school", "class_group__year_group", "class_group__name", "surname", "first_name"]
    fields = [
        "school",
        "class_group",
        "first_name",
        "surname",
        "preferred_name",
        "year_group",
        "mis_id",
        "leaving_date",
        "never_publish",
        "never_publish_set_by",
        "never_publish_set_at",
        "created_at",
    ]
    readonly_fields = fields


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ViewOnlyModelAdmin):
    list_display = [
        "pupil",
        "purpose",
        "decision",
        "given_by_name",
        "relationship",
        "method",
        "decided_on",
        "expires_on",
        "withdrawn_at",
    ]
    list_filter = ["purpose", "decision", "method", "pupil__school"]
    list_select_related = ["pupil"]
    search_fields = ["pupil__first_name", "pupil__surname", "given_by_name"]
    date_hierarchy = "decided_on"
    readonly_fields = [*list_display, "withdrawn_by", "recorded_by", "recorded_at"]
    fields = readonly_fields
