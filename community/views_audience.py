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

from . import audience, capabilities, staff_accounts
from . import selectors_audience as selectors
from .forms_audience import (
    BlockLiftForm,
    FollowDecisionForm,
    FollowerDecisionForm,
    FollowProposeForm,
    RemoveFollowerForm,
    ReportForm,
    UnfollowForm,
)
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


def _with_abilities(rows, abilities: dict[int, capabilities.NetworkAbilities]):
    """Each follower or block with what its account's network lets the portal do (`.network`)."""
    for row in rows:
        if row.account_id not in abilities:
            abilities[row.account_id] = capabilities.abilities_for(row.account)
        row.network = abilities[row.account_id]
    return rows


def _followers_page(request, *, bound_follower: Follower | None = None, bound: dict | None = None, status: int = 200):
    """The followers page; `bound` holds a form sent back for `bound_follower` with what was typed."""
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
    more = len(followers) > QUEUE_PAGE
    followers = followers[:QUEUE_PAGE]
    if bound_follower is not None and bound_follower.pk not in {f.pk for f in followers}:
        # The follower whose form came back must be on the page, whatever the tab shows.
        followers.insert(0, bound_follower)
    abilities = {a.pk: capabilities.abilities_for(a) for a in accounts}
    staff_accounts.mark_staff_followers(followers, school=request.school)
    for follower in _with_abilities(followers, abilities):
        forms = bound if bound_follower is not None and follower.pk == bound_follower.pk else {}
        follower.report_form = forms.get("report") or ReportForm(auto_id=f"id_report_{follower.pk}_%s")
        follower.remove_form = forms.get("remove") or RemoveFollowerForm(auto_id=f"id_remove_{follower.pk}_%s")
        follower.open_form = next(iter(forms), "")
    shown_accounts = [account] if account else accounts
    return render(
        request,
        "community/audience_followers.html",
        {
            "accounts": accounts,
            "chosen": account,
            "shown_accounts": shown_accounts,
            "panels": capabilities.panels(shown_accounts),
            "followers": followers,
            "more": more,
            "show": show,
            "tabs": [
                (key, label, _followers_url(account.pk if account else None, key)) for key, label in _SHOWN.items()
            ],
            "now": timezone.now(),
        },
        status=status,
    )


@require_GET
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_followers(request):
    return _followers_page(request)


def _follower_or_404(request, pk: int) -> Follower:
    try:
        return selectors.follower_for_school(school=request.school, pk=pk)
    except Follower.DoesNotExist:
        raise Http404("No such follower.") from None


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_follower_report(request, pk: int):
    """Report a follower to the network's moderators; a refusal keeps the reason as typed."""
    follower = _follower_or_404(request, pk)
    form = ReportForm(request.POST, auto_id=f"id_report_{follower.pk}_%s")
    if form.is_valid():
        try:
            message = audience.follower_report(
                actor=request.membership,
                follower=follower,
                reason=form.cleaned_data["reason"],
                copyright=form.copyright_claim(),
                request=request,
            )
        except audience.AudienceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, message)
            return redirect(_followers_url(request.POST.get("account_filter", "").strip() or None))
    messages.error(request, f"@{follower.handle} was not reported: see the form under their name.")
    return _followers_page(request, bound_follower=follower, bound={"report": form}, status=400)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_follower_remove(request, pk: int):
    follower = _follower_or_404(request, pk)
    form = RemoveFollowerForm(request.POST, auto_id=f"id_remove_{follower.pk}_%s")
    if form.is_valid():
        try:
            audience.follower_remove(
                actor=request.membership, follower=follower, reason=form.cleaned_data["reason"], request=request
            )
        except audience.AudienceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"@{follower.handle} no longer follows @{follower.account.handle}. "
                "They can follow again; block them to stop that.",
            )
            return redirect(_followers_url(request.POST.get("account_filter", "").strip() or None))
    messages.error(request, f"@{follower.handle} was not removed: see the form under their name.")
    return _followers_page(request, bound_follower=follower, bound={"remove": form}, status=400)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_follower_decide(request, pk: int):
    follower = _follower_or_404(request, pk)
    back = _followers_url(request.POST.get("account_filter", "").strip() or None)
    form = FollowerDecisionForm(request.POST)
    if not form.is_valid():
        errors = [error for name, errors in form.errors.items() if name != "decision" for error in errors]
        messages.error(request, " ".join(errors) or "Choose accept, watch, mute or block.")
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
            outcome = audience.follower_block(
                actor=actor, follower=follower, reason=reason, copyright=form.copyright_claim(), request=request
            )
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
    return _blocked_page(request)


def _blocked_page(request, *, bound_block: BlockedAccount | None = None, bound: dict | None = None, status: int = 200):
    lifted = request.GET.get("show") == "lifted"
    blocks = list(selectors.blocked_accounts(school=request.school, lifted=lifted))
    if bound_block is not None and bound_block.pk not in {b.pk for b in blocks}:
        blocks.insert(0, bound_block)
    for block in _with_abilities(blocks, {}):
        forms = bound if bound_block is not None and block.pk == bound_block.pk else {}
        block.report_form = forms.get("report") or ReportForm(auto_id=f"id_report_{block.pk}_%s")
        block.remove_form = forms.get("remove") or RemoveFollowerForm(auto_id=f"id_remove_{block.pk}_%s")
        block.open_form = next(iter(forms), "")
        block.still_follows = block.follower is not None and block.follower.still_following
    return render(
        request,
        "community/audience_blocked.html",
        {"blocks": blocks, "lifted": lifted, "lift_form": BlockLiftForm()},
        status=status,
    )


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_blocked_report(request, pk: int):
    """Report a blocked account to the network's moderators, with the posts kept as evidence."""
    blocked = _block_or_404(request, pk)
    form = ReportForm(request.POST, auto_id=f"id_report_{blocked.pk}_%s")
    if form.is_valid():
        try:
            message = audience.blocked_report(
                actor=request.membership,
                blocked=blocked,
                reason=form.cleaned_data["reason"],
                copyright=form.copyright_claim(),
                request=request,
            )
        except audience.AudienceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, message)
            return redirect(f"{reverse('audience_blocked')}#block-{blocked.pk}")
    messages.error(request, f"@{blocked.handle} was not reported: see the form under their name.")
    return _blocked_page(request, bound_block=blocked, bound={"report": form}, status=400)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def audience_blocked_remove_follower(request, pk: int):
    """Where a block was not made through the network, they may still follow: remove them."""
    blocked = _block_or_404(request, pk)
    form = RemoveFollowerForm(request.POST, auto_id=f"id_remove_{blocked.pk}_%s")
    if form.is_valid():
        if blocked.follower is None:
            form.add_error(None, f"@{blocked.handle} does not follow @{blocked.account.handle}.")
        else:
            try:
                audience.follower_remove(
                    actor=request.membership,
                    follower=blocked.follower,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except audience.AudienceError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, f"@{blocked.handle} no longer follows @{blocked.account.handle}.")
                return redirect(f"{reverse('audience_blocked')}#block-{blocked.pk}")
    messages.error(request, f"@{blocked.handle} was not removed as a follower: see the form under their name.")
    return _blocked_page(request, bound_block=blocked, bound={"remove": form}, status=400)


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
