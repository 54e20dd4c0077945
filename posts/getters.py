"""How a view fetches a post or a photo for the person asking: one getter per object.

Another school's post is not found (404, so its existence is not given away); a post at the
school that the person may not see or change is refused (403) by the `check` the view passes.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Membership
from accounts.permissions import may_approve_for, may_draft_for

from .models import Post, PostImage
from .selectors_chains import may_review_post

PostCheck = Callable[[Membership, Post], None]


def get_post(request, pk: int, *, queryset: QuerySet[Post] | None = None, check: PostCheck | None = None) -> Post:
    """The school's post `pk`, read through `queryset` (what the page needs loaded), and passed
    to `check(membership, post)`, which raises PermissionDenied to refuse it."""
    rows = queryset if queryset is not None else Post.objects.select_related("account__school")
    post = get_object_or_404(rows.filter(account__school=request.school), pk=pk)
    if check is not None:
        check(request.membership, post)
    return post


def get_image(request, pk: int, *, check: PostCheck | None = None) -> PostImage:
    """The school's photo `pk`, with its post and account; `check` as for `get_post`, on its post."""
    image = get_object_or_404(
        PostImage.objects.select_related("post__account").filter(post__account__school=request.school), pk=pk
    )
    if check is not None:
        check(request.membership, image.post)
    return image


# The checks views pass.


def authored(membership: Membership, post: Post) -> None:
    """The author, whether or not they may still change it."""
    if post.author_id != membership.user_id:
        raise PermissionDenied("Only the author can change this post.")


def authored_to_change(membership: Membership, post: Post) -> None:
    """The author, while they still post for its account."""
    authored(membership, post)
    if not may_draft_for(membership, post.account):
        raise PermissionDenied("You no longer post for this account, so you cannot change this post.")


def author_or_approver(membership: Membership, post: Post) -> None:
    """The author and the approvers of the post's account; nobody else at the school."""
    if post.author_id != membership.user_id and not may_review_post(membership, post):
        raise PermissionDenied("Only the author and the headteacher or senior leaders can see this post's photos.")


def works_on(membership: Membership, post: Post) -> None:
    """The staff who work on the post: its author, whoever drafts for its account, the approvers."""
    account = post.account
    if not (
        post.author_id == membership.user_id
        or may_draft_for(membership, account)
        or may_approve_for(membership, account)
        or may_review_post(membership, post)
    ):
        raise PermissionDenied("Only the staff who work on this post can see its photos.")
