"""The admin shows mentions, concerns and incidents and nothing more: no adding, changing or
deleting. Decisions go through moderation.inbox and moderation.incidents (permission check,
timeline, audit entry), and nothing in this record is ever deleted."""

from django.contrib import admin

from accounts.admin import ViewOnlyModelAdmin

from .models_inbox import Concern, Incident, IncidentEntry, MentionItem, MentionSync


@admin.register(MentionItem)
class MentionItemAdmin(ViewOnlyModelAdmin):
    list_display = ["author_handle", "account", "created_at", "flagged", "status", "decided_by"]
    list_filter = ["flagged", "status", "account__school"]
    list_select_related = ["account", "decided_by"]
    search_fields = ["author_handle", "text"]


@admin.register(MentionSync)
class MentionSyncAdmin(ViewOnlyModelAdmin):
    list_display = ["account", "since_id", "last_run_at", "last_success_at", "unsupported", "last_error"]
    list_select_related = ["account"]


class IncidentEntryInline(admin.TabularInline):
    model = IncidentEntry
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "kind", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ViewOnlyModelAdmin):
    list_display = ["title", "school", "severity", "status", "opened_at", "referred_to", "closed_at"]
    list_filter = ["school", "status", "severity"]
    list_select_related = ["school"]
    inlines = [IncidentEntryInline]


@admin.register(Concern)
class ConcernAdmin(ViewOnlyModelAdmin):
    list_display = ["school", "raised_by", "created_at", "incident", "resolved_at"]
    list_filter = ["school"]
    list_select_related = ["school", "raised_by", "incident"]
