"""The admin shows followers, blocks, follow requests and follower syncs and nothing more: no
adding, changing or deleting. Decisions go through moderation.audience (permission check, the
network call, audit entry), and a lifted block or an unfollowed account keeps its row."""

from django.contrib import admin
from django.db import models

from accounts.admin import ViewOnlyModelAdmin

from .models import AudienceSync, BlockedAccount, Follower, FollowRequest


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
