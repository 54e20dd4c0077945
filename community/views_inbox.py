"""The mentions inbox (headteacher and office admin), concerns (any member of staff raises one)
and incidents (the headteacher handles them; senior leaders read them).

Thin views: every object is fetched with the request's school (another school's is a 404), the
services check permission again and write the audit trail, and their refusals become messages.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.permissions import Perm, has_perm
from posts.models import Post

from . import capabilities, inbox, incidents, mention_advice, selectors_inbox
from .capabilities import Action
from .forms_inbox import (
    ConcernAddToIncidentForm,
    ConcernForm,
    ConcernResolveForm,
    IncidentCloseForm,
    IncidentEntryForm,
    IncidentOpenForm,
    IncidentReferForm,
    IncidentReopenForm,
    IncidentSeverityForm,
    MentionBlockForm,
    MentionEscalateForm,
    MentionLimitRepliesForm,
    MentionNoteForm,
    MentionReportForm,
)
from .models import BlockedAccount, Concern, InboxKind, Incident, MentionItem, MentionStatus

INBOX_PAGE_SIZE = 50
# The concern page has two forms with a note: their fields need their own ids.
RESOLVE_IDS = "id_resolve_%s"
ADD_TO_INCIDENT_IDS = "id_add_%s"


def _first_error(error: ValidationError) -> str:
    return " ".join(error.messages)


# The inbox.


def _mention_or_404(request, pk: int) -> MentionItem:
    try:
        return selectors_inbox.mention_for_school(school=request.school, pk=pk)
    except MentionItem.DoesNotExist:
        raise Http404("No such mention.") from None


def _highlighted(text: str, findings: list[dict]) -> list[tuple[str, bool]]:
    """The text cut into (piece, found) pairs; a found piece is what a finding is about (the list
    under the text says what each finding found, so the highlight needs no tooltip)."""
    spans = sorted((f["start"], f["end"]) for f in findings if 0 <= f.get("start", -1) < f.get("end", -1))
    pieces, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    pieces.append((text[at:], False))
    return [piece for piece in pieces if piece[0]]


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _inbox_row(item: MentionItem, abilities: capabilities.NetworkAbilities, bound: dict) -> dict:
    """One mention with what the page offers on it. `bound` holds forms sent back with what was
    typed (the network refused, or something was missing), by form name."""
    findings, advice = mention_advice.advice_for_mention(item.findings, item.text)
    return {
        "item": item,
        "pieces": _highlighted(item.text, item.findings),
        # What each finding found, and what the school can do about someone else's post: not the
        # engine's advice to the author of a school draft ("Remove it.").
        "findings": findings,
        "advice": advice,
        "network": abilities,
        "hide": inbox.hide_reply_check(item),
        "limit": inbox.limit_replies_check(item),
        "mute_refused": abilities.refusal(Action.MUTE),
        "report_refused": abilities.refusal(Action.REPORT),
        # Each item's forms get their own ids, so every label points at its own field.
        "note_form": MentionNoteForm(auto_id=f"id_reported_{item.pk}_%s"),
        "block_form": MentionBlockForm(auto_id=f"id_block_{item.pk}_%s"),
        "report_form": bound.get("report_form") or MentionReportForm(auto_id=f"id_report_{item.pk}_%s"),
        "limit_form": bound.get("limit_form") or MentionLimitRepliesForm(auto_id=f"id_limit_{item.pk}_%s"),
        "escalate_form": MentionEscalateForm(auto_id=f"id_escalate_{item.pk}_%s"),
        "open": next(iter(bound), ""),
    }


def _inbox_page(request, *, bound_item: MentionItem | None = None, bound: dict | None = None, status: int = 200):
    accounts = list(selectors_inbox.school_accounts(school=request.school))
    account_id = _int_or_none(request.GET.get("account"))
    if account_id not in {account.pk for account in accounts}:
        account_id = None
    shown = request.GET.get("status", selectors_inbox.WAITING)
    if shown not in {selectors_inbox.WAITING, "", *MentionStatus.values}:
        shown = selectors_inbox.WAITING
    kind = request.GET.get("kind", "")
    if kind not in InboxKind.values:
        kind = ""
    items = selectors_inbox.mention_items(school=request.school, account_id=account_id, status=shown, kind=kind)
    page = Paginator(items, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    abilities = {account.pk: capabilities.abilities_for(account) for account in accounts}
    page_items = list(page)
    if bound_item is not None and bound_item.pk not in {item.pk for item in page_items}:
        # The mention whose form came back must be on the page, whatever the filters show.
        page_items.insert(0, bound_item)
    rows = [
        _inbox_row(
            item,
            abilities.get(item.account_id) or capabilities.abilities_for(item.account),
            (bound or {}) if bound_item is not None and item.pk == bound_item.pk else {},
        )
        for item in page_items
    ]
    statuses = [(selectors_inbox.WAITING, "Waiting for a decision"), *MentionStatus.choices, ("", "All")]
    return render(
        request,
        "community/inbox_list.html",
        {
            "rows": rows,
            "page": page,
            "accounts": accounts,
            "account_id": account_id,
            "status": shown,
            "statuses": statuses,
            "kind": kind,
            "kinds": [("", "Mentions and private messages"), *InboxKind.choices],
            "syncs": [
                sync
                for sync in selectors_inbox.mention_syncs(school=request.school)
                if sync.last_error or sync.messages_last_error
            ],
        },
        status=status,
    )


@require_GET
@school_member_required(Perm.REVIEW_AUDIENCE)
def inbox_list(request):
    return _inbox_page(request)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def inbox_fetch(request):
    """Check every account of the school for new mentions now (the beat task does it every few minutes)."""
    accounts = list(selectors_inbox.school_accounts(school=request.school))
    new = sum(inbox.fetch_mentions(account) for account in accounts)
    new_messages = sum(inbox.fetch_messages(account) for account in accounts)
    found = [
        f"{count} new {what}{'s' if count != 1 else ''}"
        for count, what in ((new, "mention"), (new_messages, "private message"))
        if count
    ]
    messages.success(request, (" and ".join(found) + ".") if found else "No new mentions or private messages.")
    return redirect("inbox_list")


def _back_to_inbox(request, mention: MentionItem):
    return redirect(f"{reverse('inbox_list')}#mention-{mention.pk}")


def _mention_action(request, pk: int, act):
    mention = _mention_or_404(request, pk)
    try:
        message = act(mention)
    except inbox.MentionActionRefused as refusal:
        messages.error(request, refusal.message)
    except ValidationError as error:
        messages.error(request, _first_error(error))
    else:
        messages.success(request, message)
    return _back_to_inbox(request, mention)


def _note(request) -> str:
    form = MentionNoteForm(request.POST)
    return form.cleaned_data["note"] if form.is_valid() else ""


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_mark_ok(request, pk: int):
    def act(mention):
        inbox.mention_mark_ok(actor=request.membership, mention=mention, note=_note(request), request=request)
        return f"Marked as fine: the post by @{mention.author_handle}."

    return _mention_action(request, pk, act)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_hide_reply(request, pk: int):
    def act(mention):
        inbox.mention_hide_reply(actor=request.membership, mention=mention, note=_note(request), request=request)
        return f"The reply by @{mention.author_handle} is hidden."

    return _mention_action(request, pk, act)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_mute_author(request, pk: int):
    def act(mention):
        inbox.mention_mute_author(actor=request.membership, mention=mention, note=_note(request), request=request)
        return f"@{mention.author_handle} is muted on @{mention.account.handle}."

    return _mention_action(request, pk, act)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_block_author(request, pk: int):
    mention = _mention_or_404(request, pk)
    form = MentionBlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return _back_to_inbox(request, mention)
    try:
        _mention, outcome = inbox.mention_block_author(
            actor=request.membership,
            mention=mention,
            reason=form.cleaned_data["reason"],
            copyright=form.copyright_claim(),
            request=request,
        )
    except inbox.MentionActionRefused as refusal:
        messages.error(request, refusal.message)
        return _back_to_inbox(request, mention)
    if outcome.blocked.how == BlockedAccount.How.MANUAL_PENDING:
        # The rest is by hand: the blocked-accounts page has the link and the "done" button.
        messages.warning(request, outcome.message)
        return redirect("audience_blocked")
    messages.success(request, outcome.message)
    return _back_to_inbox(request, mention)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_report_author(request, pk: int):
    """Report the author to the network's moderators. A refusal comes back on the inbox with the
    reason as typed, so nothing has to be written again."""
    mention = _mention_or_404(request, pk)
    form = MentionReportForm(request.POST, auto_id=f"id_report_{mention.pk}_%s")
    if form.is_valid():
        try:
            _mention, message = inbox.mention_report_author(
                actor=request.membership,
                mention=mention,
                reason=form.cleaned_data["reason"],
                include_post=form.cleaned_data["include_post"],
                copyright=form.copyright_claim(),
                request=request,
            )
        except inbox.MentionActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, message)
            return _back_to_inbox(request, mention)
    messages.error(request, f"@{mention.author_handle} was not reported: see the form below the post.")
    return _inbox_page(request, bound_item=mention, bound={"report_form": form}, status=400)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_limit_replies(request, pk: int):
    mention = _mention_or_404(request, pk)
    form = MentionLimitRepliesForm(request.POST, auto_id=f"id_limit_{mention.pk}_%s")
    if form.is_valid():
        try:
            message = inbox.mention_limit_replies(
                actor=request.membership, mention=mention, allow=form.cleaned_data["allow"], request=request
            )
        except inbox.MentionActionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, message)
            return _back_to_inbox(request, mention)
    messages.error(request, "Who may reply was not changed: see the form below the post.")
    return _inbox_page(request, bound_item=mention, bound={"limit_form": form}, status=400)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_mark_reported(request, pk: int):
    def act(mention):
        inbox.mention_mark_reported(actor=request.membership, mention=mention, note=_note(request), request=request)
        return f"Recorded: the post by @{mention.author_handle} was reported to the network."

    return _mention_action(request, pk, act)


@require_POST
@school_member_required(Perm.REVIEW_AUDIENCE)
def mention_escalate(request, pk: int):
    mention = _mention_or_404(request, pk)
    form = MentionEscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return _back_to_inbox(request, mention)
    try:
        incident = inbox.mention_escalate(
            actor=request.membership,
            mention=mention,
            title=form.cleaned_data["title"],
            severity=form.cleaned_data["severity"],
            note=form.cleaned_data["note"],
            copyright=form.copyright_claim(),
            request=request,
        )
    except inbox.MentionActionRefused as refusal:
        messages.error(request, refusal.message)
        return _back_to_inbox(request, mention)
    messages.success(request, f"Incident opened: {incident.title}. The headteacher has been emailed.")
    if has_perm(request.membership, Perm.VIEW_INCIDENTS):
        return redirect("incident_detail", incident.pk)
    return _back_to_inbox(request, mention)


# Concerns.


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.RAISE_CONCERN)
def concern_raise(request):
    """From a post's review page (?post=), an inbox item (?mention=), or on its own with a web address."""
    source = request.POST if request.method == "POST" else request.GET
    post = mention = None
    post_id, mention_id = _int_or_none(source.get("post")), _int_or_none(source.get("mention"))
    if post_id is not None:
        post = Post.objects.select_related("account").filter(account__school=request.school, pk=post_id).first()
        if post is None or not incidents.may_raise_concern_about_post(request.membership, post):
            raise Http404("No such post.")
    elif mention_id is not None:
        mention = _mention_or_404(request, mention_id)
    form = ConcernForm(request.POST or None, needs_url=post is None and mention is None)
    if request.method == "POST" and form.is_valid():
        try:
            incidents.concern_raise(
                actor=request.membership,
                description=form.cleaned_data["description"],
                post=post,
                mention=mention,
                url=form.cleaned_data.get("url", ""),
                request=request,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Thank you. Your concern has been sent to the headteacher.")
            return redirect("dashboard")
    return render(request, "community/concern_form.html", {"form": form, "post": post, "mention": mention})


def _concern_or_404(request, pk: int) -> Concern:
    try:
        return selectors_inbox.concern_for_school(school=request.school, pk=pk)
    except Concern.DoesNotExist:
        raise Http404("No such concern.") from None


@require_GET
@school_member_required(Perm.VIEW_INCIDENTS)
def concern_list(request):
    concerns = selectors_inbox.concerns(school=request.school)
    page = Paginator(concerns, INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "community/concern_list.html", {"page": page})


def _add_to_incident_form(request, data=None) -> ConcernAddToIncidentForm:
    return ConcernAddToIncidentForm(
        data, open_incidents=selectors_inbox.open_incidents(school=request.school), auto_id=ADD_TO_INCIDENT_IDS
    )


def _concern_page(request, concern: Concern, **forms) -> dict:
    may_manage = has_perm(request.membership, Perm.MANAGE_INCIDENTS)
    add_form = forms.get("add_form")
    if add_form is None and may_manage and concern.is_new:
        # Offered only when the school has an open incident to add the concern to.
        add_form = _add_to_incident_form(request)
        if not add_form.fields["incident"].queryset.exists():
            add_form = None
    return {
        "concern": concern,
        "subject": incidents.concern_subject(concern),
        "open_form": forms.get("open_form") or IncidentOpenForm(initial={"note": ""}),
        "resolve_form": forms.get("resolve_form") or ConcernResolveForm(auto_id=RESOLVE_IDS),
        "add_form": add_form,
        "may_manage": may_manage,
    }


@require_GET
@school_member_required(Perm.VIEW_INCIDENTS)
def concern_detail(request, pk: int):
    concern = _concern_or_404(request, pk)
    return render(request, "community/concern_detail.html", _concern_page(request, concern))


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def concern_open_incident(request, pk: int):
    concern = _concern_or_404(request, pk)
    form = IncidentOpenForm(request.POST)
    if form.is_valid():
        try:
            incident = incidents.incident_open(
                actor=request.membership, concern=concern, request=request, **form.cleaned_data
            )
        except incidents.IncidentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Incident opened: {incident.title}.")
            return redirect("incident_detail", incident.pk)
    return render(request, "community/concern_detail.html", _concern_page(request, concern, open_form=form), status=400)


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def concern_add_to_incident(request, pk: int):
    concern = _concern_or_404(request, pk)
    incident_id = _int_or_none(request.POST.get("incident"))
    if incident_id is not None:
        _incident_or_404(request, incident_id)  # another school's incident is not found, whatever its state
    form = _add_to_incident_form(request, request.POST)
    if form.is_valid():
        try:
            incident = incidents.concern_add_to_incident(
                actor=request.membership, concern=concern, incident=form.cleaned_data["incident"], request=request
            )
        except incidents.IncidentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The concern is added to the incident {incident.title}.")
            return redirect(f"{reverse('incident_detail', args=[incident.pk])}#timeline")
    return render(request, "community/concern_detail.html", _concern_page(request, concern, add_form=form), status=400)


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def concern_resolve(request, pk: int):
    concern = _concern_or_404(request, pk)
    form = ConcernResolveForm(request.POST, auto_id=RESOLVE_IDS)
    if form.is_valid():
        try:
            incidents.concern_resolve(
                actor=request.membership, concern=concern, note=form.cleaned_data["note"], request=request
            )
        except incidents.IncidentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The concern is closed with your note. Nothing more needs doing.")
            return redirect("concern_detail", concern.pk)
    return render(
        request, "community/concern_detail.html", _concern_page(request, concern, resolve_form=form), status=400
    )


# Incidents.


def _incident_or_404(request, pk: int) -> Incident:
    try:
        return selectors_inbox.incident_for_school(school=request.school, pk=pk)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None


@require_GET
@school_member_required(Perm.VIEW_INCIDENTS)
def incident_list(request):
    page = Paginator(selectors_inbox.incidents(school=request.school), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "community/incident_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_create(request):
    form = IncidentOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = incidents.incident_open(actor=request.membership, request=request, **form.cleaned_data)
        messages.success(request, f"Incident opened: {incident.title}.")
        return redirect("incident_detail", incident.pk)
    return render(request, "community/incident_form.html", {"form": form})


def _incident_page(request, incident: Incident, status: int = 200, **forms):
    context = {
        "incident": incident,
        "evidence": [{**item, "posted": parse_datetime(item.get("posted_at") or "")} for item in incident.evidence],
        "entries": selectors_inbox.incident_timeline(incident=incident),
        "concerns": incident.concerns.select_related("raised_by"),
        "may_manage": has_perm(request.membership, Perm.MANAGE_INCIDENTS),
        "entry_form": forms.get("entry_form") or IncidentEntryForm(),
        "refer_form": forms.get("refer_form") or IncidentReferForm(),
        "severity_form": forms.get("severity_form") or IncidentSeverityForm(initial={"severity": incident.severity}),
        "close_form": forms.get("close_form") or IncidentCloseForm(),
        "reopen_form": forms.get("reopen_form") or IncidentReopenForm(),
    }
    return render(request, "community/incident_detail.html", context, status=status)


@require_GET
@school_member_required(Perm.VIEW_INCIDENTS)
def incident_detail(request, pk: int):
    return _incident_page(request, _incident_or_404(request, pk))


def _incident_change(request, pk: int, form_class, form_name: str, change, done: str):
    """Validate the form, run the service, and come back to the incident with its message (or
    the page again with the form's errors, status 400)."""
    incident = _incident_or_404(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            change(incident, form.cleaned_data)
        except incidents.IncidentError as error:
            messages.error(request, error.message)
            return redirect("incident_detail", incident.pk)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, done)
            return redirect(f"{reverse('incident_detail', args=[incident.pk])}#timeline")
    return _incident_page(request, incident, status=400, **{form_name: form})


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_add_entry(request, pk: int):
    def change(incident, data):
        add = incidents.incident_record_action if data["kind"] == "action" else incidents.incident_add_note
        add(actor=request.membership, incident=incident, body=data["body"], request=request)

    return _incident_change(request, pk, IncidentEntryForm, "entry_form", change, "Added to the timeline.")


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_refer(request, pk: int):
    def change(incident, data):
        incidents.incident_refer(actor=request.membership, incident=incident, request=request, **data)

    return _incident_change(request, pk, IncidentReferForm, "refer_form", change, "Referral recorded.")


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_set_severity(request, pk: int):
    def change(incident, data):
        incidents.incident_set_severity(
            actor=request.membership, incident=incident, severity=data["severity"], request=request
        )

    return _incident_change(request, pk, IncidentSeverityForm, "severity_form", change, "Severity saved.")


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_close(request, pk: int):
    def change(incident, data):
        incidents.incident_close(actor=request.membership, incident=incident, summary=data["summary"], request=request)

    return _incident_change(request, pk, IncidentCloseForm, "close_form", change, "The incident is closed.")


@require_POST
@school_member_required(Perm.MANAGE_INCIDENTS)
def incident_reopen(request, pk: int):
    def change(incident, data):
        incidents.incident_reopen(actor=request.membership, incident=incident, reason=data["reason"], request=request)

    return _incident_change(request, pk, IncidentReopenForm, "reopen_form", change, "The incident is open again.")
