"""The admin shows followers, blocks, follow requests, follower syncs, mentions, concerns and
incidents and nothing more: no adding, changing or deleting. Decisions go through
community.audience, community.inbox and community.incidents (permission check, the network call,
timeline, audit entry), and nothing in this record is ever deleted: a lifted block or an
unfollowed account keeps its row."""

from django.contrib import admin
from django.db import models

from audit.admin import ViewOnlyModelAdmin

from .models import (
    AudienceSync,
    BlockedAccount,
    Concern,
    Follower,
    FollowRequest,
    Incident,
    IncidentEntry,
    MentionItem,
    MentionSync,
    OutgoingMessage,
)


class _AudienceAdmin(ViewOnlyModelAdmin):
    # The read-only page still builds a form; web addresses were stored whole, with their scheme.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Follower)
class FollowerAdmin(_AudienceAdmin):
    list_display = ["handle", "account", "first_seen", "still_following", "flagged", "status", "decided_by"]
    list_filter = ["flagged", "status", "still_following", "account__school"]
    list_select_related = ["account", "decided_by"]
    search_fields = ["handle", "display_name", "bio"]


@admin.register(BlockedAccount)
class BlockedAccountAdmin(_AudienceAdmin):
    list_display = ["handle", "account", "decided_by", "decided_at", "how", "lifted_at"]
    list_filter = ["how", "account__school"]
    list_select_related = ["account", "decided_by"]
    search_fields = ["handle", "display_name", "reason"]


@admin.register(FollowRequest)
class FollowRequestAdmin(ViewOnlyModelAdmin):
    list_display = ["handle", "account", "status", "proposed_by", "decided_by", "followed_at", "unfollowed_at"]
    list_filter = ["status", "account__school"]
    list_select_related = ["account", "proposed_by", "decided_by"]
    search_fields = ["handle", "display_name"]


@admin.register(AudienceSync)
class AudienceSyncAdmin(ViewOnlyModelAdmin):
    list_display = ["account", "kind", "last_run", "last_success", "unsupported", "last_error"]
    list_select_related = ["account"]


@admin.register(MentionItem)
class MentionItemAdmin(ViewOnlyModelAdmin):
    list_display = ["author_handle", "account", "kind", "created_at", "flagged", "status", "decided_by"]
    list_filter = ["kind", "flagged", "status", "account__school"]
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


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(ViewOnlyModelAdmin):
    """Private messages the school sends (issue 18); they change only through community.messages."""

    list_display = ["recipient_handle", "account", "purpose", "status", "author", "reviewed_by", "sent_at"]
    list_filter = ["status", "purpose", "account__school"]
    list_select_related = ["account", "author", "reviewed_by"]
    search_fields = ["recipient_handle", "text"]
