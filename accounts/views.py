from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .decorators import school_member_required
from .forms import AcceptInvitationForm, InvitationForm, RolesForm, SocialAccountForm
from .middleware import SCHOOL_SESSION_KEY
from .models import Invitation, Membership, SocialAccount
from .permissions import Perm, has_perm


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.INVITE_STAFF)
def staff_list(request):
    school = request.school
    form = InvitationForm(request.POST if request.method == "POST" else None, actor=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                actor=request.membership,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                class_groups=form.cleaned_data["class_groups"],
                request=request,
            )
        except services.StaffChangeError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link works once, for 7 days.")
            return redirect("staff_list")
    return render(
        request,
        "accounts/staff_list.html",
        {
            "form": form,
            "staff": selectors.staff_for_school(school=school),
            "invitations": selectors.invitations_for_school(school=school)[:50],
            "may_manage": has_perm(request.membership, Perm.MANAGE_STAFF),
        },
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_STAFF)
def staff_edit(request, pk: int):
    member = _membership_or_404(request, pk)
    initial = {"roles": sorted(member.roles), "class_groups": list(member.class_groups.all())}
    form = RolesForm(request.POST if request.method == "POST" else None, actor=request.membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_roles(
                actor=request.membership,
                membership=member,
                roles=form.cleaned_data["roles"],
                class_groups=form.cleaned_data["class_groups"],
                request=request,
            )
        except services.StaffChangeError as exc:
            form.add_error("roles", str(exc))
        else:
            messages.success(request, f"Roles updated for {member.user}.")
            return redirect("staff_list")
    return render(request, "accounts/staff_edit.html", {"member": member, "form": form})


@require_POST
@school_member_required(Perm.MANAGE_STAFF)
def staff_deactivate(request, pk: int):
    member = _membership_or_404(request, pk)
    try:
        services.membership_deactivate(actor=request.membership, membership=member, request=request)
    except services.StaffChangeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.user} can no longer sign in to {member.school}. Their history is kept.")
    return redirect("staff_list")


@require_POST
@school_member_required(Perm.MANAGE_STAFF)
def staff_reactivate(request, pk: int):
    member = _membership_or_404(request, pk)
    services.membership_reactivate(actor=request.membership, membership=member, request=request)
    messages.success(request, f"{member.user} is back on the staff.")
    return redirect("staff_list")


@require_POST
@school_member_required(Perm.INVITE_STAFF)
def invitation_revoke(request, pk: int):
    invitation = get_object_or_404(Invitation, school=request.school, pk=pk)
    try:
        services.invitation_revoke(actor=request.membership, invitation=invitation, request=request)
    except services.StaffChangeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation for {invitation.email} no longer works.")
    return redirect("staff_list")


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    """Public: the link from the invitation email. Single use; refuses with a reason."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)

    signed_in = request.user if request.user.is_authenticated else None
    form = None if signed_in else AcceptInvitationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and (signed_in or form.is_valid()):
        fields = {} if signed_in else form.cleaned_data
        try:
            user = services.invitation_accept(
                token=token,
                first_name=fields.get("first_name", ""),
                last_name=fields.get("last_name", ""),
                password=fields.get("password1", ""),
                existing_user=signed_in,
                request=request,
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
        except services.InvitationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"reason": str(exc)}, status=410)
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SCHOOL_SESSION_KEY] = invitation.school_id
            messages.success(request, f"Welcome to {invitation.school}'s Policy Portal.")
            return redirect("dashboard")
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form, "signed_in": signed_in}
    )


@require_POST
@school_member_required()
def school_switch(request):
    try:
        school_id = int(request.POST.get("school", ""))
    except ValueError:
        school_id = None
    if not any(m.school_id == school_id for m in request.memberships):
        raise PermissionDenied("You are not on the staff of that school.")
    request.session[SCHOOL_SESSION_KEY] = school_id
    return redirect("dashboard")


@require_http_methods(["GET"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def social_account_list(request):
    accounts = selectors.social_accounts_for_school(school=request.school)
    return render(request, "accounts/social_account_list.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def social_account_edit(request, pk: int | None = None):
    account = get_object_or_404(SocialAccount, school=request.school, pk=pk) if pk else None
    form = SocialAccountForm(
        request.POST if request.method == "POST" else None, instance=account, school=request.school
    )
    if request.method == "POST" and form.is_valid():
        try:
            account = services.social_account_save(
                actor=request.membership,
                account=account,
                kind=form.cleaned_data["kind"],
                class_group=form.cleaned_data["class_group"],
                network=form.cleaned_data["network"],
                handle=form.cleaned_data["handle"],
                display_name=form.cleaned_data["display_name"],
                device_check=form.cleaned_data.get("device_check") or "",
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {account}.")
            return redirect("social_account_list")
    return render(request, "accounts/social_account_form.html", {"form": form, "account": account})


def _membership_or_404(request, pk: int) -> Membership:
    try:
        return selectors.membership_for_school(school=request.school, pk=pk)
    except Membership.DoesNotExist as exc:
        raise Http404("No such member of staff.") from exc
