"""`{% trip_mode_banner %}`: on the compose page, tells a member of staff on a trip that their
posts for the whole-school account go out without waiting for approval, and until when."""

from django import template

from posts.services.trip_mode import delegations_for_delegate

register = template.Library()


@register.inclusion_tag("posts/delegation_banner.html", takes_context=True)
def trip_mode_banner(context):
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"trips": []}
    return {"trips": delegations_for_delegate(membership=membership)}
