"""Trip mode pages for the headteacher: who may post for the whole-school account without
approval, on which days; turning it on and ending it. Thin: posts.services.trip_mode decides."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import school_member_required
from accounts.models import Delegation, SocialAccount
from accounts.permissions import Perm

from .forms_delegation import DelegationForm
from .services import trip_mode as trips

PAST_SHOWN = 20


def _form(request, data=None) -> tuple[DelegationForm, list]:
    accounts = SocialAccount.objects.filter(school=request.school, kind=SocialAccount.Kind.WHOLE_SCHOOL).defer(
        "credentials"
    )
    delegates = trips.possible_delegates(actor=request.membership)
    today = timezone.localdate()
    initial = {"starts_on": today, "ends_on": today}
    return DelegationForm(data, initial=initial, accounts=accounts, delegates=delegates), delegates


def _render(request, form: DelegationForm, *, status: int = 200):
    today = timezone.localdate()
    current, past = [], []
    for trip in trips.delegations_for_school(school=request.school)[:200]:
        if trip.revoked_at is None and trip.ends_on >= today:
            current.append(trip)
        elif len(past) < PAST_SHOWN:
            past.append(trip)
    context = {
        "form": form,
        "current": sorted(current, key=lambda t: (t.starts_on, t.pk)),
        "past": past,
        "today": today,
        "max_days": trips.MAX_DAYS,
        "has_account": form.fields["account"].queryset.exists(),
    }
    return render(request, "posts/delegation_list.html", context, status=status)


@require_GET
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def delegation_list(request):
    form, _ = _form(request)
    return _render(request, form)


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def delegation_create(request):
    form, delegates = _form(request, request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    chosen = form.cleaned_data["delegate"]
    delegate = next(m for m in delegates if m.pk == chosen.pk)
    try:
        trip = trips.delegation_create(
            actor=request.membership,
            account=form.cleaned_data["account"],
            delegate_membership=delegate,
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
            note=form.cleaned_data["note"],
        )
    except trips.DelegationRefused as exc:
        form.add_error(None, exc.message)
        return _render(request, form, status=400)
    messages.success(
        request,
        f"Trip mode is on for {trip.delegate} on @{trip.account.handle} from {date_format(trip.starts_on, 'l j F')} "
        f"to {date_format(trip.ends_on, 'l j F Y')}. They have been emailed; you will be emailed about each post.",
    )
    return redirect("delegation_list")


@require_POST
@school_member_required(Perm.MANAGE_SOCIAL_ACCOUNTS)
def delegation_revoke(request, pk: int):
    try:
        trip = Delegation.objects.select_related("account", "delegate").get(account__school=request.school, pk=pk)
    except Delegation.DoesNotExist as exc:
        raise Http404("No such trip at this school.") from exc
    try:
        trips.delegation_revoke(actor=request.membership, delegation=trip)
    except (trips.DelegationRefused, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("delegation_list")
    messages.success(
        request, f"Trip mode has ended for {trip.delegate}. Their posts for @{trip.account.handle} need approval again."
    )
    return redirect("delegation_list")
