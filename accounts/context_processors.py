from .permissions import Perm, has_perm


def membership(request):
    """Navigation by role: templates ask `can.approve_posts`, never look at roles."""
    member = getattr(request, "membership", None)
    return {
        "membership": member,
        "school": getattr(request, "school", None),
        "can": {perm.value: has_perm(member, perm) for perm in Perm},
    }
