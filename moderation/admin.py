from django.contrib import admin

from audit.admin import ViewOnlyModelAdmin

from .models import PolicyVersion, Rule

# For looking, not editing: rules change through moderation.services, which checks permission
# and writes the audit trail.


@admin.register(Rule)
class RuleAdmin(ViewOnlyModelAdmin):
    list_display = ["type", "school", "severity", "scope", "account", "enabled", "updated_at"]
    list_filter = ["school", "type", "severity", "enabled"]
    list_select_related = ["school", "account"]
    fields = [
        "school",
        "type",
        "severity",
        "scope",
        "account",
        "enabled",
        "parameters",
        "policy_paragraph",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ViewOnlyModelAdmin):
    list_display = ["school", "number", "adopted_on", "review_due", "signed_off_by", "signed_off_at"]
    list_filter = ["school"]
