from django.contrib import admin

from accounts.admin import ViewOnlyModelAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyModelAdmin):
    list_display = ("created_at", "school", "actor", "action", "target_repr")
    list_filter = ("action", "school")
    search_fields = ("target_repr", "actor__email", "action")
    date_hierarchy = "created_at"
