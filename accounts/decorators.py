from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Membership
from .permissions import Perm, has_perm


def school_member_required(perm: Perm | Callable[[Membership], bool] | None = None):
    """Signed in, on the staff of the request's school, and (when given) holding `perm` (or, for
    a question a role alone does not answer, such as accounts.permissions.may_review_posts,
    answering yes to it).

    Objects are then fetched with `school=request.school`, so another school's rows are a 404.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.membership is None:
                raise PermissionDenied("You are not on the staff of any school in this portal.")
            if perm is None:
                allowed = True
            elif callable(perm):
                allowed = perm(request.membership)
            else:
                allowed = has_perm(request.membership, perm)
            if not allowed:
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def public_page(view):
    """A page for anyone, signed in or not (the school's website feed): the second-factor set-up
    (accounts.middleware) does not stop it, so a member of staff who has not set one up yet still
    sees the school's website as its visitors do."""
    view.public_page = True
    return view
