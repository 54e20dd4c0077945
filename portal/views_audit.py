"""The audit trail (headteacher only): every entry in plain words, filtered, a page at a time, and
as a CSV download of the same filtered entries."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.decorators import school_member_required
from accounts.permissions import Perm
from audit.audit_descriptions import EXPORTED
from audit.describe import describe_events
from audit.exports import trail_csv
from audit.forms import TrailFilterForm, summary_in_words
from audit.selectors import entries_since, latest_check, people_in_trail, trail_for_school
from audit.services import record

ENTRIES_PER_PAGE = 50


def _filters(request) -> TrailFilterForm:
    return TrailFilterForm(request.GET, people=people_in_trail(school=request.school))


def _chain_check(school) -> dict:
    """The latest check of the school's chain, stored by the periodic task (or audit_verify): a walk of
    100,000 entries takes about 12 seconds, too long for a page load, while reading its result and
    counting the entries since takes two indexed queries."""
    check = latest_check(school_id=school.pk)
    return {
        "chain_check": check,
        "entries_since_check": entries_since(check) if check is not None and check.whole else 0,
        "check_every_minutes": settings.AUDIT_VERIFY_EVERY_MINUTES,
    }


def _page(request, form: TrailFilterForm, *, status: int = 200):
    context = {"form": form, "page": None, "entries": [], **_chain_check(request.school)}
    if form.is_valid():
        events = trail_for_school(school=request.school, **form.trail_arguments())
        page = Paginator(events, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            page=page,
            entries=describe_events(page.object_list, school=request.school, viewer=request.membership),
            filters_in_words=summary_in_words(form.summary()),
        )
    return render(request, "portal/audit_log.html", context, status=status)


@require_GET
@school_member_required(Perm.VIEW_AUDIT)
def audit_log(request):
    form = _filters(request)
    return _page(request, form, status=200 if form.is_valid() else 400)


@require_GET
@school_member_required(Perm.VIEW_AUDIT)
def audit_export(request):
    """The filtered entries as a CSV file, streamed. The download is itself an entry in the trail."""
    form = _filters(request)
    if not form.is_valid():
        return _page(request, form, status=400)
    events = trail_for_school(school=request.school, **form.trail_arguments())
    record(
        action=EXPORTED,
        actor=request.user,
        school=request.school,
        data={"entries": events.count(), "filters": form.summary()},
        request=request,
    )
    response = StreamingHttpResponse(
        trail_csv(events, school=request.school, viewer=request.membership), content_type="text/csv; charset=utf-8"
    )
    name = f"{slugify(f'audit trail {request.school.name}')}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    # Who did what to whom at a school: no cache on the way may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
