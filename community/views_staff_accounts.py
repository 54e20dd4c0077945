"""'Check my accounts now' on a member of staff's own accounts page (accounts.views_staff_handles):
here because looking an account up goes through the networks, which sit above accounts."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.decorators import school_member_required

from . import staff_accounts


@require_POST
@school_member_required()
def staff_handles_check(request):
    lines = staff_accounts.check_member_handles(membership=request.membership)
    if lines:
        messages.info(request, " ".join(lines))
    else:
        messages.info(request, "You have not recorded any accounts to check.")
    return redirect("staff_handles")
