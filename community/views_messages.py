"""Private messages (issue 18): the list, writing one, and its page (approve, ask for changes,
reject, try again). Thin views: objects are fetched with the request's school (another school's
is a 404), the services check permission again and write the audit trail."""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.permissions import Perm, has_perm, may_approve_for, may_draft_for

from . import messages, selectors_messages
from .forms_messages import MessageForm, ReviewNoteForm
from .models import OutgoingMessage


def _message_or_404(request, pk: int, *, writing: bool = False) -> OutgoingMessage:
    try:
        message = selectors_messages.outgoing_message_for(member=request.membership, pk=pk)
    except OutgoingMessage.DoesNotExist:
        raise Http404("No such message.") from None
    member = request.membership
    allowed = may_draft_for(member, message.account) or (not writing and may_approve_for(member, message.account))
    if not allowed:
        raise PermissionDenied(f"You do not write or approve for @{message.account.handle}.")
    return message


def _abilities(accounts) -> list[dict]:
    return [
        {"account": account, "refusal": messages.sending_refusal(account), "note": messages.sending_note(account)}
        for account in accounts
    ]


@require_http_methods(["GET"])
@school_member_required(Perm.DRAFT_POSTS)
def message_list(request):
    member = request.membership
    accounts = selectors_messages.visible_accounts(member=member)
    return render(
        request,
        "community/message_list.html",
        {
            "outgoing": list(selectors_messages.outgoing_messages(member=member, accounts=accounts)),
            "incoming": list(selectors_messages.incoming_messages(member=member))
            if has_perm(member, Perm.REVIEW_AUDIENCE)
            else None,
            "abilities": _abilities(accounts),
            "may_write": bool(selectors_messages.writable_accounts(member=member)),
        },
    )


def _save(request, form: MessageForm, message: OutgoingMessage | None):
    """Save the draft, and send it for approval when that button was pressed. Returns the message,
    or None with the refusal on the form."""
    data = form.cleaned_data
    try:
        saved = messages.message_save_draft(
            actor=request.membership,
            account=data["account"],
            recipient_handle=data["recipient_handle"],
            purpose=data["purpose"],
            purpose_detail=data["purpose_detail"],
            text=data["text"],
            message=message,
            request=request,
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    except messages.MessageRefused as refusal:
        form.add_error(None, refusal.message)
        return None
    if "submit" not in request.POST:
        flash.success(request, "Draft saved. Send it for approval when it is ready.")
        return saved
    try:
        messages.message_submit(actor=request.membership, message=saved, request=request)
    except messages.MessageRefused as refusal:
        flash.error(request, f"Saved as a draft, not sent for approval. {refusal.message}")
    else:
        flash.success(request, "Sent for approval. You will see here when it is approved and sent.")
    return saved


def _compose_page(request, form, *, message=None, status=200):
    accounts = selectors_messages.writable_accounts(member=request.membership)
    return render(
        request,
        "community/message_form.html",
        {"form": form, "message": message, "abilities": _abilities(accounts)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.DRAFT_POSTS)
def message_compose(request):
    accounts = selectors_messages.writable_accounts(member=request.membership)
    if not accounts:
        raise PermissionDenied("You do not write for any of the school's accounts.")
    form = MessageForm(request.POST or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, None)
        if saved is not None:
            return redirect("message_detail", saved.pk)
    return _compose_page(request, form, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.DRAFT_POSTS)
def message_edit(request, pk: int):
    message = _message_or_404(request, pk, writing=True)
    if message.author_id != request.user.pk or not message.is_editable:
        flash.error(request, "Only its author can change a draft, or a message sent back for changes.")
        return redirect("message_detail", message.pk)
    accounts = selectors_messages.writable_accounts(member=request.membership)
    initial = {
        "account": message.account,
        "recipient_handle": message.recipient_handle,
        "purpose": message.purpose,
        "purpose_detail": message.purpose_detail,
        "text": message.text,
    }
    form = MessageForm(request.POST or None, accounts=accounts, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, message)
        if saved is not None:
            return redirect("message_detail", saved.pk)
    return _compose_page(request, form, message=message, status=400 if form.errors else 200)


@require_http_methods(["GET"])
@school_member_required(Perm.DRAFT_POSTS)
def message_detail(request, pk: int):
    message = _message_or_404(request, pk)
    member = request.membership
    return render(
        request,
        "community/message_detail.html",
        {
            "message": message,
            "refusal": messages.sending_refusal(message.account),
            "is_author": message.author_id == request.user.pk,
            "may_approve": may_approve_for(member, message.account) and message.author_id != request.user.pk,
            "may_retry": may_approve_for(member, message.account),
            "note_form": ReviewNoteForm(),
        },
    )


def _act(request, pk: int, act, done: str):
    message = _message_or_404(request, pk)
    try:
        act(message)
    except messages.MessageRefused as refusal:
        flash.error(request, refusal.message)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        flash.success(request, done)
    return redirect("message_detail", message.pk)


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def message_submit(request, pk: int):
    return _act(
        request,
        pk,
        lambda message: messages.message_submit(actor=request.membership, message=message, request=request),
        "Sent for approval.",
    )


def _note(request) -> str:
    form = ReviewNoteForm(request.POST)
    return form.cleaned_data["note"] if form.is_valid() else ""


@require_POST
@school_member_required(Perm.APPROVE_POSTS)
def message_review(request, pk: int):
    """Approve, ask for changes or reject: the button pressed says which."""
    decision = request.POST.get("decision", "")
    services = {
        "approve": (messages.message_approve, "Approved: the portal is sending it."),
        "changes": (messages.message_request_changes, "Sent back to its author with your note."),
        "reject": (messages.message_reject, "Rejected. It will not be sent."),
    }
    if decision not in services:
        flash.error(request, "Choose to approve, ask for changes or reject.")
        return redirect("message_detail", _message_or_404(request, pk).pk)
    service, done = services[decision]
    return _act(
        request,
        pk,
        lambda message: service(actor=request.membership, message=message, note=_note(request), request=request),
        done,
    )


@require_POST
@school_member_required(Perm.APPROVE_POSTS)
def message_retry(request, pk: int):
    return _act(
        request,
        pk,
        lambda message: messages.message_retry(actor=request.membership, message=message, request=request),
        "The portal is trying to send it again.",
    )
