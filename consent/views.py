from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.models import ClassGroup, Role
from accounts.permissions import Perm
from accounts.selectors import class_groups_for_school

from . import selectors, services
from .forms import BULK_PURPOSES, BulkEntryForm, ConsentRecordForm, NeverPublishForm, RegisterFilterForm
from .models import CarerRelationship, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil


def _chosen_class(request) -> ClassGroup | None:
    class_id = request.GET.get("class", "")
    if not class_id.isdigit():
        return None
    return get_object_or_404(ClassGroup, school=request.school, pk=int(class_id))


@require_GET
@school_member_required(Perm.MANAGE_CONSENT)
def register(request):
    """The register, a page of pupils at a time: found by name, narrowed by class, consent,
    the never-publish flag and whether they have left, all in the address."""
    class_groups = list(class_groups_for_school(school=request.school))
    form = RegisterFilterForm(request.GET, class_groups=class_groups)
    filters = form.filters()
    page = selectors.register_page(school=request.school, filters=filters, page=request.GET.get("page", 1))
    narrowed = filters != selectors.RegisterFilters()
    return render(
        request,
        "consent/register.html",
        {
            "form": form,
            "narrowed": narrowed,
            # Nothing asked for but a class: an empty page means the class has no pupils yet.
            "only_class": narrowed and filters == selectors.RegisterFilters(class_group=filters.class_group),
            "page": page,
            "page_links": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "class_group": filters.class_group,
            "purposes": [ConsentPurpose(purpose) for purpose in selectors.SUMMARY_PURPOSES],
        },
    )


def _pupil_or_404(request, pk: int) -> Pupil:
    return get_object_or_404(
        Pupil.objects.select_related("class_group").prefetch_related("consent_records__recorded_by"),
        school=request.school,
        pk=pk,
    )


@require_GET
@school_member_required(Perm.MANAGE_CONSENT)
def pupil_detail(request, pk: int):
    pupil = _pupil_or_404(request, pk)
    return _render_pupil(request, pupil, ConsentRecordForm(), NeverPublishForm())


def _render_pupil(request, pupil, record_form, never_publish_form, status=200):
    records = list(pupil.consent_records.all())
    statuses = [
        (ConsentPurpose(purpose).label, selectors.effective_consent(pupil, purpose, records=records))
        for purpose in ConsentPurpose.values
    ]
    is_head = Role.HEADTEACHER in request.membership.roles
    return render(
        request,
        "consent/pupil_detail.html",
        {
            "pupil": pupil,
            "statuses": statuses,
            "records": sorted(records, key=lambda r: (r.decided_on, r.recorded_at), reverse=True),
            "record_form": record_form,
            "never_publish_form": never_publish_form,
            "is_head": is_head,
            "never_publish_reason": selectors.never_publish_reason_for(actor=request.membership, pupil=pupil)
            if is_head
            else "",
            "quick_buttons": [
                (purpose, decision, f"{purpose.label}: {word}")
                for purpose in (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME)
                for decision, word in (("given", "Yes"), ("refused", "No"))
            ],
        },
        status=status,
    )


@require_POST
@school_member_required(Perm.MANAGE_CONSENT)
def consent_record_create(request, pk: int):
    pupil = _pupil_or_404(request, pk)
    form = ConsentRecordForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(actor=request.membership, pupil=pupil, request=request, **form.cleaned_data)
        except (services.ConsentError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            decision = form.cleaned_data["decision"]
            messages.success(
                request,
                f"Recorded: {ConsentPurpose(form.cleaned_data['purpose']).label} {decision} for {pupil.known_as}.",
            )
            return redirect("consent_pupil", pk=pupil.pk)
    return _render_pupil(request, pupil, form, NeverPublishForm(), status=400)


@require_POST
@school_member_required(Perm.MANAGE_CONSENT)
def consent_withdraw(request, pk: int):
    record = get_object_or_404(ConsentRecord.objects.select_related("pupil"), pupil__school=request.school, pk=pk)
    try:
        services.consent_withdraw(actor=request.membership, record=record, request=request)
    except services.ConsentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{record.get_purpose_display()} consent for {record.pupil.known_as} is withdrawn from today.",
        )
    return redirect("consent_pupil", pk=record.pupil_id)


@require_POST
@school_member_required(Perm.SET_NEVER_PUBLISH)
def never_publish(request, pk: int):
    """Set (with a reason) or clear the safeguarding flag: the headteacher's decision alone."""
    pupil = _pupil_or_404(request, pk)
    if request.POST.get("action") == "clear":
        services.pupil_clear_never_publish(actor=request.membership, pupil=pupil, request=request)
        messages.success(request, f"{pupil.known_as} may appear again where consent allows.")
        return redirect("consent_pupil", pk=pupil.pk)
    form = NeverPublishForm(request.POST)
    if form.is_valid():
        try:
            services.pupil_set_never_publish(
                actor=request.membership, pupil=pupil, reason=form.cleaned_data["reason"], request=request
            )
        except services.ConsentError as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, f"{pupil.known_as} will never appear in a post, whatever consent says.")
            return redirect("consent_pupil", pk=pupil.pk)
    return _render_pupil(request, pupil, ConsentRecordForm(), form, status=400)


@require_POST
@school_member_required(Perm.MANAGE_CONSENT)
def pupil_other_names(request, pk: int):
    """The nicknames and other names a child answers to, so posts are checked for them too."""
    pupil = _pupil_or_404(request, pk)
    try:
        services.pupil_update(
            actor=request.membership, pupil=pupil, other_names=request.POST.get("other_names", ""), request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if pupil.other_names:
            messages.success(request, f"Posts are now checked for {pupil.other_names} as well.")
        else:
            messages.success(request, f"{pupil.known_as} has no other names on the register now.")
    return redirect("consent_pupil", pk=pupil.pk)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_CONSENT)
def bulk_entry(request):
    class_groups = class_groups_for_school(school=request.school)
    class_group = _chosen_class(request) or class_groups.first()
    if class_group is None:
        messages.error(request, "Add the school's classes first.")
        return redirect("consent_register")
    pupils = list(selectors.pupils_for_school(school=request.school, class_group=class_group))
    form = BulkEntryForm(request.POST if request.method == "POST" else None, pupils=pupils)
    if request.method == "POST" and form.is_valid():
        decisions = list(form.decisions(pupils))
        try:
            with transaction.atomic():
                for pupil, purpose, decision in decisions:
                    services.consent_record(
                        actor=request.membership,
                        pupil=pupil,
                        purpose=purpose,
                        decision=decision,
                        given_by_name=form.cleaned_data["given_by_default"] or "Parent (admission form)",
                        relationship=form.cleaned_data["relationship"] or CarerRelationship.PARENT,
                        method=ConsentMethod.ADMISSION_FORM,
                        decided_on=form.cleaned_data["decided_on"],
                        request=request,
                    )
        except (services.ConsentError, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, f"Recorded {len(decisions)} decision(s) for {class_group}.")
            return redirect(f"{reverse('consent_register')}?class={class_group.pk}")
    today = timezone.localdate()
    rows = [
        (
            pupil,
            [
                (field, selectors.effective_consent(pupil, purpose, on=today))
                for purpose, field in zip(BULK_PURPOSES, fields, strict=True)
            ],
        )
        for pupil, fields in form.pupil_rows
    ]
    return render(
        request,
        "consent/bulk_entry.html",
        {"form": form, "rows": rows, "class_group": class_group, "class_groups": class_groups},
    )


@require_GET
@school_member_required(Perm.VIEW_CONSENT_COVERAGE)
def coverage(request):
    return render(request, "consent/coverage.html", {"classes": selectors.consent_coverage(school=request.school)})
