"""Reposting someone's public post without comment (issue 18): a post of its own kind, with no
words or photos of its own, that goes through the same approval, rules and consent checks as
any post, on the words and pictures of the post it shares. The page works without JavaScript:
"Show the post" saves a draft and shows what the portal read; "Send for approval" submits it."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import school_member_required
from accounts.permissions import Perm
from accounts.selectors import social_accounts_for_drafting
from moderation.decorators import policy_acknowledged_required

from . import services
from .forms_repost import RepostForm
from .getters import authored, authored_to_change, get_post
from .models import Post, PostComment, PostStatus
from .outside import reposted_content
from .selectors import posts_for_school

_EDITABLE = (PostStatus.DRAFT, PostStatus.SUBMITTED)
_NOTE_KINDS = (PostComment.Kind.CHANGES_REQUESTED, PostComment.Kind.REJECTION, PostComment.Kind.SYSTEM)


def _portal_hosts(request) -> tuple[str, ...]:
    return (request.get_host().rsplit(":", 1)[0].lower(),)


def _render(request, form: RepostForm, *, post: Post | None = None, status: int = 200, problems=()):
    context = {
        "form": form,
        "post": post,
        "editable": post is None or post.status in _EDITABLE,
        "reposted": reposted_content(post) if post is not None else None,
        "problems": problems,
        "notes": list(post.comments.filter(kind__in=_NOTE_KINDS).select_related("author")) if post else [],
    }
    return render(request, "posts/repost_compose.html", context, status=status)


def _after_save(request, post: Post):
    if request.POST.get("action") != "submit":
        messages.success(request, "Draft saved. Check the post below, then send it for approval.")
        return redirect("post_repost_edit", post.pk)
    try:
        services.post_send_for_approval(actor=request.membership, post=post)
    except services.PostBlocked as blocked:
        post.refresh_from_db()
        form = RepostForm(initial={"repost_url": post.repost_url, "publish_at": post.publish_at}, account=post.account)
        return _render(request, form, post=post, status=400, problems=blocked.problems)
    except services.TransitionError as exc:
        post.refresh_from_db(fields=["status"])
        if post.status != PostStatus.SUBMITTED:
            messages.error(request, str(exc))
            return redirect("post_repost_edit", post.pk)
    messages.success(request, f"Sent for approval. {post.account.display_name} reposts it once it is approved.")
    return redirect("post_list_mine")


@school_member_required(Perm.DRAFT_POSTS)
@policy_acknowledged_required
@require_http_methods(["GET", "POST"])
def post_repost_compose(request):
    """A new repost, for one of the accounts the person drafts for."""
    accounts = social_accounts_for_drafting(membership=request.membership)
    if request.method == "GET":
        initial = {"client_token": uuid.uuid4(), "account": accounts[0].pk if len(accounts) == 1 else None}
        return _render(request, RepostForm(initial=initial, accounts=accounts))
    if not accounts:
        raise PermissionDenied("There is no account for you to post to yet.")
    chosen = request.POST.get("account")
    if chosen and chosen not in {str(account.pk) for account in accounts}:
        raise PermissionDenied("You do not post for that account.")
    form = RepostForm(request.POST, accounts=accounts, portal_hosts=_portal_hosts(request))
    if not form.is_valid():
        return _render(request, form, status=400)
    post, created = services.post_draft_create(
        actor=request.membership,
        account=form.account,
        client_token=form.cleaned_data["client_token"] or uuid.uuid4(),
        repost_url=form.cleaned_data["repost_url"],
        publish_at=form.cleaned_data["publish_at"],
    )
    if not created and post.status != PostStatus.DRAFT:
        return redirect("post_list_mine")  # the same form again (a double tap)
    return _after_save(request, post)


@school_member_required(Perm.DRAFT_POSTS)
@policy_acknowledged_required
@require_http_methods(["GET", "POST"])
def post_repost_edit(request, pk: int):
    """A repost's draft: what the portal read of the post it shares, its link and time."""
    check = authored_to_change if request.method == "POST" else authored
    post = get_post(request, pk, queryset=posts_for_school(school=request.school), check=check)
    if not post.repost_url:
        return redirect("post_edit", post.pk)
    if request.method == "GET":
        form = RepostForm(initial={"repost_url": post.repost_url, "publish_at": post.publish_at}, account=post.account)
        return _render(request, form, post=post)
    if post.status not in _EDITABLE:
        messages.error(request, f"This repost is {post.get_status_display().lower()}, so it can no longer be changed.")
        return redirect("post_repost_edit", post.pk)
    form = RepostForm(request.POST, account=post.account, portal_hosts=_portal_hosts(request))
    if not form.is_valid():
        return _render(request, form, post=post, status=400)
    try:
        services.post_update(
            actor=request.membership,
            post=post,
            text="",
            repost_url=form.cleaned_data["repost_url"],
            publish_at=form.cleaned_data["publish_at"],
        )
    except services.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("post_repost_edit", post.pk)
    return _after_save(request, post)
