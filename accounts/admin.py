from django.contrib import admin

from audit.admin import ViewOnlyModelAdmin

from .models import ClassGroup, Invitation, Membership, School, SocialAccount, User


@admin.register(User)
class UserAdmin(ViewOnlyModelAdmin):
    list_display = ["email", "first_name", "last_name", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    exclude = ["password"]


@admin.register(School)
class SchoolAdmin(ViewOnlyModelAdmin):
    list_display = ["name", "slug", "created_at"]


@admin.register(ClassGroup)
class ClassGroupAdmin(ViewOnlyModelAdmin):
    list_display = ["name", "school", "year_group"]
    list_filter = ["school"]


@admin.register(Membership)
class MembershipAdmin(ViewOnlyModelAdmin):
    list_display = ["user", "school", "is_active", "joined_at", "deactivated_at"]
    list_filter = ["school", "is_active"]
    list_select_related = ["user", "school"]


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyModelAdmin):
    list_display = ["email", "school", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["school"]
    exclude = ["token_hash"]


@admin.register(SocialAccount)
class SocialAccountAdmin(ViewOnlyModelAdmin):
    list_display = ["display_name", "handle", "network", "kind", "school", "status"]
    list_filter = ["school", "network", "status"]
    exclude = ["credentials"]
