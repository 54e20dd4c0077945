from django.contrib import admin

from .models import AuditEvent


class ViewOnlyModelAdmin(admin.ModelAdmin):
    """For rows whose changes must go through a service (permission check + audit entry):
    the Django admin shows them and nothing more."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ViewOnlyModelAdmin):
    list_display = ("created_at", "school", "actor", "action", "target_repr")
    list_filter = ("action", "school")
    search_fields = ("target_repr", "actor__email", "action")
    date_hierarchy = "created_at"
