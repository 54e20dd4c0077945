"""The audience pages: the followers review queue and the blocked accounts (the headteacher and
the office admin, Perm.REVIEW_AUDIENCE), and the accounts the school follows (every member of
staff proposes; the headteacher decides, Perm.APPROVE_FOLLOWING). Thin: the decisions are in
community.audience, the reads in community.selectors_audience."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import school_member_required
from accounts.models import SocialAccount
from accounts.permissions import Perm
from audit.exports import spreadsheet_safe

from . import audience
from . import selectors_audience as selectors
from .forms_audience import BlockLiftForm, FollowDecisionForm, FollowerDecisionForm, FollowProposeForm, UnfollowForm
from .models import BlockedAccount, Follower, FollowerStatus, FollowRequest
from .tasks import sync_followers_of_account

# A queue page shows this many followers; deciding on them brings the next ones up.
QUEUE_PAGE = 100
_SHOWN = {
    "review": "Waiting for review",
    FollowerStatus.WATCHED: "Watched",
    FollowerStatus.MUTED: "Muted",
    FollowerStatus.ACCEPTED: "Accepted",
}


def _chosen_account(request, accounts: list[SocialAccount]) -> SocialAccount | None:
    chosen = request.GET.get("account") or request.POST.get("account_filter") or ""
    return next((account for account in accounts if str(account.pk) == chosen), None)


def _followers_url(account_id=None, show: str = "review") -> str:
    params = []
    if account_id:
        params.append(f"account={account_id}")
    if show != "review":
        params.append(f"show={show}")
    return reverse("audience_followers") + (f"?{'&'.join(params)}" if params else "")


@require_GET
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_followers(request):
    accounts = selectors.audience_accounts(school=request.school)
    account = _chosen_account(request, accounts)
    show = request.GET.get("show", "review")
    if show not in _SHOWN:
        show = "review"
    if show == "review":
        followers = selectors.followers_to_review(school=request.school, account=account)
    else:
        followers = selectors.followers_reviewed(school=request.school, status=show, account=account)
    followers = list(followers[: QUEUE_PAGE + 1])
    return render(
        request,
        "community/audience_followers.html",
        {
            "accounts": accounts,
            "chosen": account,
            "shown_accounts": [account] if account else accounts,
            "followers": followers[:QUEUE_PAGE],
            "more": len(followers) > QUEUE_PAGE,
            "show": show,
            "tabs": [
                (key, label, _followers_url(account.pk if account else None, key)) for key, label in _SHOWN.items()
            ],
            "now": timezone.now(),
        },
    )


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_follower_decide(request, pk: int):
    try:
        follower = selectors.follower_for_school(school=request.school, pk=pk)
    except Follower.DoesNotExist:
        raise Http404("No such follower.") from None
    back = _followers_url(request.POST.get("account_filter", "").strip() or None)
    form = FollowerDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept, watch, mute or block.")
        return redirect(back)
    decision, reason = form.cleaned_data["decision"], form.cleaned_data["reason"]
    actor = request.membership
    try:
        if decision == "accept":
            audience.follower_accept(actor=actor, follower=follower, request=request)
            messages.success(request, f"@{follower.handle} accepted.")
        elif decision == "watch":
            audience.follower_watch(actor=actor, follower=follower, reason=reason, request=request)
            messages.success(request, f"@{follower.handle} is on the watched list.")
        elif decision == "mute":
            audience.follower_mute(actor=actor, follower=follower, reason=reason, request=request)
            messages.success(request, f"@{follower.handle} is muted on @{follower.account.handle}.")
        else:
            outcome = audience.follower_block(actor=actor, follower=follower, reason=reason, request=request)
            if outcome.blocked.how == BlockedAccount.How.API:
                messages.success(request, outcome.message)
            else:
                messages.warning(request, outcome.message)
                return redirect(f"{reverse('audience_blocked')}#block-{outcome.blocked.pk}")
    except audience.AudienceError as error:
        messages.error(request, error.message)
    return redirect(back)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_sync_now(request):
    """Read the followers again now rather than at the next quarter-hour."""
    accounts = selectors.audience_accounts(school=request.school)
    account = _chosen_account(request, accounts)
    for chosen in [account] if account else accounts:
        sync_followers_of_account.delay_on_commit(chosen.pk)
    messages.info(request, "The portal is checking for new followers. Reload the page in a minute.")
    return redirect(_followers_url(account.pk if account else None))


# Blocked accounts.


@require_GET
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_blocked(request):
    lifted = request.GET.get("show") == "lifted"
    return render(
        request,
        "community/audience_blocked.html",
        {
            "blocks": selectors.blocked_accounts(school=request.school, lifted=lifted),
            "lifted": lifted,
            "lift_form": BlockLiftForm(),
        },
    )


def _block_or_404(request, pk: int) -> BlockedAccount:
    try:
        return selectors.blocked_account_for_school(school=request.school, pk=pk)
    except BlockedAccount.DoesNotExist:
        raise Http404("No such block.") from None


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_block_done(request, pk: int):
    blocked = _block_or_404(request, pk)
    try:
        audience.block_manual_done(actor=request.membership, blocked=blocked, request=request)
    except audience.AudienceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Recorded: @{blocked.handle} is blocked on the network by hand.")
    return redirect(f"{reverse('audience_blocked')}#block-{blocked.pk}")


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_block_lift(request, pk: int):
    blocked = _block_or_404(request, pk)
    form = BlockLiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why you are lifting the block: the reason is kept with it.")
        return redirect(f"{reverse('audience_blocked')}#block-{blocked.pk}")
    try:
        message = audience.block_lift(
            actor=request.membership, blocked=blocked, reason=form.cleaned_data["reason"], request=request
        )
    except audience.AudienceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect(reverse("audience_blocked"))


_CSV_COLUMNS = [
    "Account",
    "Handle",
    "Name",
    "Network user id",
    "Reason",
    "Decided by",
    "Decided at",
    "How",
    "Muted through the API",
    "Block by hand at",
    "Done by hand by",
    "Done by hand at",
    "Evidence seen at",
    "Bio as seen",
    "Posts as seen",
    "Lifted at",
    "Lifted by",
    "Why lifted",
]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@require_GET
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_blocked_csv(request):
    """Every block the school has made, in force and lifted, for a governors' report or a referral."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    blocks = list(selectors.blocked_accounts(school=request.school)) + list(
        selectors.blocked_accounts(school=request.school, lifted=True)
    )
    for block in blocks:
        evidence = block.evidence or {}
        posts = " | ".join(str(post.get("text", "")) for post in evidence.get("posts", []) if isinstance(post, dict))
        writer.writerow(
            spreadsheet_safe(value)
            for value in (
                block.account.handle,
                block.handle,
                block.display_name,
                block.network_user_id,
                block.reason,
                block.decided_by,
                _when(block.decided_at),
                block.get_how_display(),
                "yes" if block.muted_via_api else "no",
                block.block_url,
                block.manual_done_by or "",
                _when(block.manual_done_at),
                evidence.get("seen_at", ""),
                evidence.get("bio", ""),
                posts,
                _when(block.lifted_at),
                block.lifted_by or "",
                block.lift_reason,
            )
        )
    response = HttpResponse(("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"blocked-accounts-{request.school.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Following.


def _following_page(request, *, propose_form: FollowProposeForm, status: int = 200):
    requests = list(selectors.follow_requests(school=request.school).select_related("unfollowed_by"))
    return render(
        request,
        "community/audience_following.html",
        {
            "following": [r for r in requests if r.status == FollowRequest.Status.FOLLOWED],
            "waiting": [
                r for r in requests if r.status in (FollowRequest.Status.PROPOSED, FollowRequest.Status.FAILED)
            ],
            "decided": [r for r in requests if r.status == FollowRequest.Status.DECLINED],
            "unfollowed": sorted(
                (r for r in requests if r.status == FollowRequest.Status.UNFOLLOWED),
                key=lambda r: r.unfollowed_at,
                reverse=True,
            ),
            "propose_form": propose_form,
            "decide_form": FollowDecisionForm(),
        },
        status=status,
    )


@require_GET
@school_member_required()
def audience_following(request):
    return _following_page(request, propose_form=FollowProposeForm(school=request.school))


@require_POST
@school_member_required()
def audience_follow_propose(request):
    form = FollowProposeForm(request.POST, school=request.school)
    if form.is_valid():
        try:
            proposal = audience.follow_request_propose(
                actor=request.membership,
                account=form.cleaned_data["account"],
                handle=form.cleaned_data["handle"],
                why=form.cleaned_data["why"],
                request=request,
            )
        except audience.AudienceError as error:
            form.add_error("handle", ValidationError(error.message))
        else:
            messages.success(
                request, f"Proposed: @{proposal.account.handle} to follow @{proposal.handle}. The headteacher decides."
            )
            return redirect(reverse("audience_following"))
    return _following_page(request, propose_form=form, status=400)


@require_POST
@school_member_required(Perm.APPROVE_FOLLOWING)
def audience_follow_decide(request, pk: int):
    follow_request = _follow_request_or_404(request, pk)
    form = FollowDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return redirect(reverse("audience_following"))
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["decision"] == "approve":
            follow_request = audience.follow_request_approve(
                actor=request.membership, follow_request=follow_request, note=note, request=request
            )
            if follow_request.status == FollowRequest.Status.FOLLOWED:
                messages.success(request, f"@{follow_request.account.handle} now follows @{follow_request.handle}.")
            else:
                messages.error(
                    request,
                    f"Approved, but following @{follow_request.handle} did not work: {follow_request.error} "
                    "You can approve it again to retry.",
                )
        else:
            audience.follow_request_decline(
                actor=request.membership, follow_request=follow_request, note=note, request=request
            )
            messages.success(
                request, f"Declined: @{follow_request.account.handle} will not follow @{follow_request.handle}."
            )
    except audience.AudienceError as error:
        messages.error(request, error.message)
    return redirect(reverse("audience_following"))


def _follow_request_or_404(request, pk: int) -> FollowRequest:
    try:
        return selectors.follow_request_for_school(school=request.school, pk=pk)
    except FollowRequest.DoesNotExist:
        raise Http404("No such request.") from None


@require_POST
@school_member_required(Perm.APPROVE_FOLLOWING)
def audience_unfollow(request, pk: int):
    follow_request = _follow_request_or_404(request, pk)
    back = f"{reverse('audience_following')}#request-{follow_request.pk}"
    form = UnfollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect(back)
    try:
        audience.follow_request_unfollow(
            actor=request.membership, follow_request=follow_request, reason=form.cleaned_data["reason"], request=request
        )
    except audience.AudienceError as error:
        messages.error(request, error.message)
        return redirect(back)
    account, handle = follow_request.account.handle, follow_request.handle
    messages.success(request, f"@{account} no longer follows @{handle}. The reason is kept below.")
    return redirect(f"{reverse('audience_following')}#stopped")
