"""Staff's own accounts (issue 18): each person records their handles on their own page; the
headteacher sees the list, read-only. Checking them through the networks is in
community.views_staff_accounts (the networks sit above accounts)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .decorators import school_member_required
from .models import Network
from .permissions import Perm
from .selectors import staff_handles_for_member, staff_handles_for_school
from .services_staff_handles import staff_handle_add, staff_handle_remove


class StaffHandleForm(forms.Form):
    network = forms.ChoiceField(
        label="Network",
        choices=[("", "Choose the network"), *Network.choices],
        error_messages={"required": "Choose the network the account is on.", "invalid_choice": "Choose a network."},
    )
    handle = forms.CharField(
        label="Your handle",
        max_length=200,
        help_text="X: @name. Bluesky: name.bsky.social. Mastodon: @name@server. The portal's own network: @name.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}),
        error_messages={"required": "Write the account's handle."},
    )


def _page(request, form: StaffHandleForm, status: int = 200):
    return render(
        request,
        "accounts/staff_handles.html",
        {"form": form, "handles": staff_handles_for_member(membership=request.membership)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_member_required()
def staff_handles(request):
    if request.method == "GET":
        return _page(request, StaffHandleForm())
    form = StaffHandleForm(request.POST)
    if form.is_valid():
        try:
            added = staff_handle_add(
                actor=request.membership,
                network=form.cleaned_data["network"],
                handle=form.cleaned_data["handle"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Recorded: @{added.handle} on {added.get_network_display()}.")
            return redirect("staff_handles")
    return _page(request, form, status=400)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for field, errors in by_field.items():
        form.add_error(field if field in form.fields else None, errors)


@require_POST
@school_member_required()
def staff_handle_delete(request):
    """Remove one of the person's own accounts (its id in the form: only theirs can be found)."""
    staff_handle = (
        staff_handles_for_member(membership=request.membership)
        .filter(pk=request.POST.get("handle", "") if request.POST.get("handle", "").isdigit() else None)
        .first()
    )
    if staff_handle is None:
        messages.error(request, "That account is not among yours: nothing was removed.")
        return redirect("staff_handles")
    staff_handle_remove(actor=request.membership, staff_handle=staff_handle, request=request)
    messages.success(request, f"Removed: @{staff_handle.handle} is no longer recorded.")
    return redirect("staff_handles")


@require_GET
@school_member_required(Perm.MANAGE_STAFF)
def staff_handles_school(request):
    """The headteacher's read-only list of the accounts staff have recorded."""
    return render(
        request, "accounts/staff_handles_school.html", {"handles": staff_handles_for_school(school=request.school)}
    )
