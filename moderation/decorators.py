from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from .selectors import must_acknowledge_policy


def policy_acknowledged_required(view):
    """Sends a member of staff who has not yet confirmed reading the school's current policy to
    the policy page, and back to where they were going once they have.

    For views that already require a school member (put it below `school_member_required`);
    without a membership it lets the request through for that decorator to answer. An htmx
    request is redirected as a whole page, not swapped into the part of the page that asked.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        version = must_acknowledge_policy(membership) if membership is not None else None
        if version is None:
            return view(request, *args, **kwargs)
        messages.warning(
            request,
            f"Before you draft posts, read version {version.number} of the school's social media policy "
            "and confirm that you have read it.",
        )
        htmx = getattr(request, "htmx", None)
        back_to = htmx.current_url_abs_path if htmx else (request.get_full_path() if request.method == "GET" else None)
        url = reverse("policy_current")
        if back_to:
            url = f"{url}?{urlencode({'next': back_to})}"
        return HttpResponseClientRedirect(url) if htmx else redirect(url)

    return wrapped
