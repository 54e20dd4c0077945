from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import school_member_required
from accounts.permissions import Perm

from . import services
from .getters import get_post
from .models import Post, TakeDownRequest
from .services import publishing
from .services.destination_checks import account_label

# A form on a post's own page sends this, so the person comes back to that page (where the post
# and each of its other accounts stand) rather than to the list the action is usually taken from.
RETURN_TO_POST = "post"


def _back_to_post(request) -> bool:
    return request.POST.get("return_to") == RETURN_TO_POST


@require_GET
@school_member_required(Perm.APPROVE_POSTS)
def take_down_list(request):
    """Published posts that consent no longer covers, newest first, with the history below."""
    requests = (
        TakeDownRequest.objects.filter(post__account__school=request.school)
        .select_related("post__account", "post__author", "resolved_by")
        .order_by("resolved_at", "-created_at")
    )
    open_requests = [r for r in requests if r.resolved_at is None]
    closed_requests = [r for r in requests if r.resolved_at is not None][:50]
    return render(request, "posts/take_down_list.html", {"open_requests": open_requests, "closed": closed_requests})


@require_POST
@school_member_required(Perm.APPROVE_POSTS)
def post_take_down(request, pk: int):
    post = get_post(request, pk, queryset=Post.objects.select_related("account"))
    try:
        services.post_take_down(actor=request.membership, post=post)
    except (services.TakeDownFailed, services.TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        if _back_to_post(request):
            others = post.part_of_id is not None or post.copies.exists()
            what = "The repost was undone on" if post.repost_url else "Taken down from"
            messages.success(
                request,
                f"{what} {account_label(post.account)}." + (" Its other accounts are as they were." if others else ""),
            )
        else:
            messages.success(request, f"The post was removed from {post.account.display_name}.")
    if _back_to_post(request):
        return redirect("review_post", post.part_of_id or post.pk)
    return redirect("take_down_list")


@require_POST
@school_member_required(Perm.APPROVE_POSTS)
def post_retry_publish(request, pk: int):
    """ "Try again" on a post that failed to publish: from the dashboard, or from the post's own
    page for one of its accounts (back to that page, where the outcome shows)."""
    post = get_post(request, pk, queryset=Post.objects.select_related("account"))
    try:
        result = publishing.post_retry_publish(actor=request.membership, post=post)
    except services.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, result.message)
    if _back_to_post(request):
        return redirect("review_post", post.part_of_id or post.pk)
    return redirect("dashboard")


@require_POST
@school_member_required(Perm.APPROVE_POSTS)
def post_take_down_everywhere(request, pk: int):
    """The lead post's "Take down everywhere": the post and each published copy, each on its own network."""
    post = get_post(request, pk, queryset=Post.objects.select_related("account__school"))
    try:
        result = services.post_take_down_everywhere(actor=request.membership, post=post)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("review_post", post.pk)
    if result.failed:
        messages.error(request, result.message)
    else:
        messages.success(request, result.message)
    return redirect("review_post", post.part_of_id or post.pk)
