"""Approval in more than one step: the headteacher's pages for each account's steps and the
school's waiting times, and the approvers' page for cover while someone is away. Thin: the
services in accounts.services_approval decide."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services_approval
from .approval_chains import active_covers, chain_steps
from .decorators import school_member_required
from .forms_approval import CoverForm, StepFormSet, WaitsForm
from .models import ApprovalCover, ApprovalStep, SocialAccount
from .permissions import Perm, has_perm, may_review_posts
from .selectors import staff_for_school


def _staff(school) -> list:
    """Everyone active on the staff, who can be named on a step or cover for someone: the
    headteacher and senior leaders first, then the others, each by name."""
    staff = [m for m in staff_for_school(school=school) if m.is_active]
    return sorted(staff, key=lambda m: (not has_perm(m, Perm.APPROVE_POSTS), str(m.user).lower()))


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def approval_settings(request):
    """Every account with its steps, and how long a post may wait at one step."""
    school = request.school
    form = WaitsForm(
        request.POST or None,
        initial={
            "reminder_hours": school.approval_reminder_hours,
            "escalation_hours": school.approval_escalation_hours,
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services_approval.approval_waits_save(
                    actor=request.membership,
                    reminder_hours=form.cleaned_data["reminder_hours"],
                    escalation_hours=form.cleaned_data["escalation_hours"],
                )
            except services_approval.ApprovalSetupRefused as exc:
                for problem in exc.problems:
                    form.add_error(None, problem)
            else:
                messages.success(request, "Saved. Waiting posts are reminded and passed on at the new times.")
                return redirect("approval_settings")
        status = 400
    accounts = list(SocialAccount.objects.filter(school=school).defer("credentials"))
    steps = (
        ApprovalStep.objects.filter(account__school=school)
        .order_by("account", "position")
        .prefetch_related("people__user", "step_roles")
    )
    by_account: dict[int, list] = {}
    for step in steps:
        by_account.setdefault(step.account_id, []).append(step)
    rows = [(account, by_account.get(account.pk, [])) for account in accounts]
    return render(request, "accounts/approval_settings.html", {"form": form, "rows": rows}, status=status)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def approval_chain_edit(request, pk: int):
    """One account's steps: add one, remove one, renumber to reorder; who decides each."""
    account = get_object_or_404(SocialAccount.objects.defer("credentials"), school=request.school, pk=pk)
    approvers = _staff(request.school)
    if request.method == "GET":
        initial = [
            {"mode": step.mode, "people": [m.pk for m in step.people.all()], "roles": step.roles, "ORDER": number}
            for number, step in enumerate(chain_steps(account), start=1)
        ]
        formset = StepFormSet(initial=initial, approvers=approvers, prefix="steps")
        return _render_chain(request, account, formset)
    formset = StepFormSet(request.POST, approvers=approvers, prefix="steps")
    if not formset.is_valid():
        return _render_chain(request, account, formset, status=400)
    specs = [
        services_approval.StepSpec(
            mode=form.cleaned_data["mode"],
            people=list(form.cleaned_data["people"]),
            roles=list(form.cleaned_data["roles"]),
        )
        for form in formset.ordered_forms
    ]
    try:
        services_approval.approval_chain_save(actor=request.membership, account=account, steps=specs)
    except services_approval.ApprovalSetupRefused as exc:
        return _render_chain(request, account, formset, status=400, problems=exc.problems)
    if specs:
        messages.success(request, f"Saved: posts for @{account.handle} now go through {len(specs)} step(s).")
    else:
        messages.success(request, f"Saved: any approver decides posts for @{account.handle}, in one step.")
    return redirect("approval_settings")


def _render_chain(request, account, formset, *, status: int = 200, problems=()):
    return render(
        request,
        "accounts/approval_chain_edit.html",
        {"account": account, "formset": formset, "problems": problems},
        status=status,
    )


def _cover_form(request, data=None) -> CoverForm:
    staff = _staff(request.school)
    # Who can be away: the approvers and whoever is named on a step; who covers: anyone on the staff.
    deciders = [m for m in staff if may_review_posts(m)]
    if has_perm(request.membership, Perm.MANAGE_SOCIAL_ACCOUNTS):
        absentees = deciders
    else:
        absentees = [m for m in deciders if m.pk == request.membership.pk]
    return CoverForm(data, absentees=absentees, delegates=staff)


def _render_covers(request, form: CoverForm, *, status: int = 200):
    today = timezone.localdate()
    covers = (
        ApprovalCover.objects.filter(school=request.school, revoked_at__isnull=True, ends_on__gte=today)
        .select_related("absent__user", "delegate__user", "created_by")
        .order_by("starts_on", "pk")
    )
    is_head = has_perm(request.membership, Perm.MANAGE_SOCIAL_ACCOUNTS)
    context = {
        "form": form,
        "covers": [
            (cover, is_head or cover.absent_id == request.membership.pk, cover.starts_on <= today) for cover in covers
        ],
        "covering_now": [
            c for c in active_covers(school_id=request.school.pk) if c.delegate_id == request.membership.pk
        ],
        "is_head": is_head,
    }
    return render(request, "accounts/approval_covers.html", context, status=status)


@require_GET
@school_member_required(may_review_posts)
def approval_covers(request):
    """Cover while an approver is away: your own (or, for the headteacher, anyone's)."""
    return _render_covers(request, _cover_form(request))


@require_POST
@school_member_required(may_review_posts)
def approval_cover_create(request):
    form = _cover_form(request, request.POST)
    if not form.is_valid():
        return _render_covers(request, form, status=400)
    try:
        cover = services_approval.approval_cover_create(
            actor=request.membership,
            absent=form.cleaned_data["absent"],
            delegate=form.cleaned_data["delegate"],
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
        )
    except services_approval.ApprovalSetupRefused as exc:
        for problem in exc.problems:
            form.add_error(None, problem)
        return _render_covers(request, form, status=400)
    messages.success(
        request,
        f"{cover.delegate.user} decides for {cover.absent.user} from {date_format(cover.starts_on, 'l j F')} "
        f"to {date_format(cover.ends_on, 'l j F Y')}. They have been emailed.",
    )
    return redirect("approval_covers")


@require_POST
@school_member_required(may_review_posts)
def approval_cover_revoke(request, pk: int):
    try:
        cover = ApprovalCover.objects.select_related("absent__user", "delegate__user").get(school=request.school, pk=pk)
    except ApprovalCover.DoesNotExist as exc:
        raise Http404("No such cover at this school.") from exc
    # Someone else's cover, for anyone but the headteacher: PermissionDenied, a 403.
    services_approval.approval_cover_revoke(actor=request.membership, cover=cover)
    messages.success(request, f"{cover.delegate.user} no longer decides for {cover.absent.user}.")
    return redirect("approval_covers")
