"""The MIS import journey for the office: upload, match the columns, check the dry run, import; and
the register export. The upload waits in private storage between the pages; the session keeps only
its key and the chosen mapping."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.models import ClassGroup
from accounts.permissions import Perm

from . import encodings, imports, tasks
from .exports import export_register_csv
from .forms import ImportMappingForm, ImportUploadForm
from .imports import ImportRefused
from .models import ImportJob

SESSION_KEY = "consent_import"
SHOWN = 50  # of each kind of change on the dry run page; the counts give the rest
SAMPLE_ROWS = 3


def _upload(request) -> dict | None:
    """This school's upload in progress: {"key", "file_name", "school_id", "mapping", "encoding",
    "encoding_asked"}. "encoding" is None while the office has still to choose how the letters are
    written; "encoding_asked" says whether they were asked."""
    upload = request.session.get(SESSION_KEY)
    if not upload or upload.get("school_id") != request.school.pk or "encoding" not in upload:
        return None
    return upload


def _choose_encoding_first(upload: dict):
    """The encoding page, for an upload whose encoding the office has still to choose; else None."""
    return redirect("consent_import_encoding") if upload["encoding"] is None else None


def _start_again(request, message: str):
    messages.error(request, message)
    return redirect("consent_import")


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_CONSENT)
def import_upload(request):
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            key, parsed = imports.import_upload(actor=request.membership, data=upload.read())
        except ImportRefused as refused:
            form.add_error("file", refused.message)
        else:
            previous = _upload(request)
            if previous is not None:
                imports.import_upload_discard(actor=request.membership, key=previous["key"])
            certain = parsed.encoding_certain
            request.session[SESSION_KEY] = {
                "key": key,
                "file_name": upload.name,
                "school_id": request.school.pk,
                # The column names may read differently in each encoding: matched once one is chosen.
                "mapping": imports.suggest_mapping(parsed.headers) if certain else {},
                "encoding": parsed.encoding if certain else None,
                "encoding_asked": not certain,
            }
            return redirect("consent_import_map" if certain else "consent_import_encoding")
    return render(
        request, "consent/import_upload.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_CONSENT)
def import_encoding(request):
    """For a file the portal cannot be sure how to read: the plausible encodings, each with the names
    it would import, for the office to choose one (or cancel the upload)."""
    upload = _upload(request)
    if upload is None:
        return _start_again(request, "Upload the file from the MIS first.")
    if not upload["encoding_asked"]:
        return redirect("consent_import_map")  # the portal was sure how to read this file
    if request.method == "POST" and "cancel" in request.POST:
        imports.import_upload_discard(actor=request.membership, key=upload["key"])
        del request.session[SESSION_KEY]
        messages.success(request, f"“{upload['file_name']}” was not imported. Nothing has changed.")
        return redirect("consent_register")
    try:
        reason, choices = imports.import_encoding_choices(actor=request.membership, key=upload["key"])
    except ImportRefused as refused:
        return _start_again(request, refused.message)
    if not choices:
        return _start_again(
            request, "The portal cannot read the letters in this file. Save it as “CSV UTF-8” and upload it again."
        )
    offered = {choice.encoding: choice for choice in choices}
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("encoding", "")
        if chosen in offered:
            parsed = imports.import_upload_read(actor=request.membership, key=upload["key"], encoding=chosen)
            request.session[SESSION_KEY] = {
                **upload,
                "encoding": chosen,
                "mapping": imports.suggest_mapping(parsed.headers),
            }
            return redirect("consent_import_map")
        error = "Choose the encoding in which the names look right, or cancel the upload."
    return render(
        request,
        "consent/import_encoding.html",
        {
            "file_name": upload["file_name"],
            "reason": reason,
            "choices": choices,
            "chosen": upload["encoding"],
            "error": error,
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_CONSENT)
def import_map(request):
    upload = _upload(request)
    if upload is None:
        return _start_again(request, "Upload the file from the MIS first.")
    if (choose := _choose_encoding_first(upload)) is not None:
        return choose
    try:
        parsed = imports.import_upload_read(actor=request.membership, key=upload["key"], encoding=upload["encoding"])
    except ImportRefused as refused:
        return _start_again(request, refused.message)

    data = request.POST if request.method == "POST" else None
    form = ImportMappingForm(data, headers=parsed.headers, mapping=upload["mapping"])
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        try:
            imports.check_mapping(parsed=parsed, mapping=mapping)
        except ImportRefused as refused:
            form.add_error(None, refused.message)
        else:
            request.session[SESSION_KEY] = {**upload, "mapping": mapping}
            return redirect("consent_import_preview")
    samples = [row for _, row in parsed.rows[:SAMPLE_ROWS]]
    columns = [
        (form[f"column_{position}"], [row[header] for row in samples]) for position, header in enumerate(parsed.headers)
    ]
    return render(
        request,
        "consent/import_map.html",
        {"form": form, "columns": columns, "file_name": upload["file_name"], "rows": len(parsed.rows)},
        status=400 if form.errors else 200,
    )


@require_GET
@school_member_required(Perm.MANAGE_CONSENT)
def import_preview(request):
    upload = _upload(request)
    if upload is None:
        return _start_again(request, "Upload the file from the MIS first.")
    if (choose := _choose_encoding_first(upload)) is not None:
        return choose
    try:
        parsed = imports.import_upload_read(actor=request.membership, key=upload["key"], encoding=upload["encoding"])
        plan = imports.plan_import(actor=request.membership, parsed=parsed, mapping=upload["mapping"])
    except ImportRefused as refused:
        messages.error(request, refused.message)
        return redirect("consent_import_map")
    return render(
        request,
        "consent/import_preview.html",
        {
            "plan": plan,
            "file_name": upload["file_name"],
            "encoding_label": encodings.label(parsed.encoding),
            "encoding_asked": upload["encoding_asked"],
            "shown": SHOWN,
            "to_create": plan.to_create[:SHOWN],
            "more_to_create": max(len(plan.to_create) - SHOWN, 0),
            "to_update": plan.to_update[:SHOWN],
            "more_to_update": max(len(plan.to_update) - SHOWN, 0),
            "consents": plan.consents[:SHOWN],
            "more_consents": max(len(plan.consents) - SHOWN, 0),
        },
    )


@require_POST
@school_member_required(Perm.MANAGE_CONSENT)
def import_apply(request):
    upload = _upload(request)
    if upload is None:
        return _start_again(request, "Upload the file from the MIS first.")
    if (choose := _choose_encoding_first(upload)) is not None:
        return choose
    try:
        job, is_new = imports.import_job_create(
            actor=request.membership,
            key=upload["key"],
            file_name=upload["file_name"],
            mapping=upload["mapping"],
            encoding=upload["encoding"],
        )
    except ImportRefused as refused:
        return _start_again(request, refused.message)
    if is_new:
        tasks.run_import_job.delay_on_commit(job.pk)
    return redirect(_job_url(job))


def _job_url(job: ImportJob) -> str:
    return f"{reverse('consent_import_job')}?job={job.pk}"


@require_GET
@school_member_required(Perm.MANAGE_CONSENT)
def import_job(request):
    """One import's outcome (`?job=<id>`; without it, the school's latest). While it runs the page
    refreshes itself, and has a link to do so, so no JavaScript is needed."""
    job_id = request.GET.get("job", "")
    jobs = ImportJob.objects.filter(school=request.school).select_related("requested_by")
    if job_id:
        if not job_id.isdigit():
            raise Http404("No such import.")
        job = get_object_or_404(jobs, pk=int(job_id))
    else:
        job = jobs.first()
        if job is None:
            return redirect("consent_import")
    warnings = [imports.RowError(line, message) for line, message in job.warnings]
    errors = [imports.RowError(line, message) for line, message in job.errors]
    return render(
        request,
        "consent/import_job.html",
        {
            "job": job,
            "job_url": _job_url(job),
            "encoding_label": encodings.label(job.encoding) if job.encoding else "",
            "warnings": warnings[:SHOWN],
            "more_warnings": max(len(warnings) - SHOWN, 0),
            "errors": errors,
        },
    )


@require_GET
@school_member_required(Perm.MANAGE_CONSENT)
def export(request):
    """The register as a CSV download (of one class with `?class=<id>`), in the columns the import reads."""
    class_id = request.GET.get("class", "")
    class_group = None
    if class_id:
        if not class_id.isdigit():
            raise Http404("No such class.")
        class_group = get_object_or_404(ClassGroup, school=request.school, pk=int(class_id))
    data = export_register_csv(actor=request.membership, class_group=class_group)
    name = slugify(f"consent register {class_group.name if class_group else request.school.name}")
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{timezone.localdate():%Y-%m-%d}.csv")
    # Children's names and consent: no cache on the way may keep a copy.
    response["Cache-Control"] = "no-store"
    return response
