"""Forms of the mentions inbox, concerns and incidents. Each only collects what was typed; the
services in community.inbox and community.incidents decide."""

from django import forms
from django.utils import timezone

from .copyright import CopyrightFormMixin
from .inbox import REPLY_CONTROLS
from .models import IncidentSeverity

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_NOTE_CHARS = 5000


def _text(label: str, *, required_message: str = "", rows: int = 3, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=bool(required_message),
        max_length=MAX_NOTE_CHARS,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message} if required_message else {},
    )


def _severity(label: str = "How serious is it?") -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=IncidentSeverity.choices,
        initial=IncidentSeverity.MEDIUM,
        error_messages={"required": "Choose how serious it is.", "invalid_choice": "Choose how serious it is."},
    )


def _title() -> forms.CharField:
    return forms.CharField(
        label="Title",
        max_length=200,
        help_text="A few words the school will recognise later, e.g. “Abusive replies to the sports day post”.",
        error_messages={"required": "Give the incident a short title."},
    )


class MentionNoteForm(forms.Form):
    note = _text("Note (optional)", rows=2)


class MentionBlockForm(CopyrightFormMixin):
    reason = _text("Why block them?", required_message="Say why you are blocking this account.", rows=2)


class MentionReportForm(CopyrightFormMixin):
    reason = _text(
        "Why report them?",
        required_message="Say why you are reporting this account: the moderators read your reason.",
        rows=2,
        help_text="The network's moderators read this, so say what is wrong in plain words.",
    )
    include_post = forms.BooleanField(label="Send this post with the report", required=False, initial=True)


class MentionLimitRepliesForm(forms.Form):
    allow = forms.ChoiceField(
        label="Who may reply to the school's post",
        choices=REPLY_CONTROLS,
        initial="mentioned",
        error_messages={
            "required": "Choose who may reply.",
            "invalid_choice": "Choose who may reply from the list.",
        },
    )


class MentionEscalateForm(CopyrightFormMixin):
    title = _title()
    severity = _severity()
    note = _text("What the headteacher should know (optional)", rows=2)


class ConcernForm(forms.Form):
    url = forms.URLField(
        label="Web address of the post",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Copy it from the browser's address bar, or from “Share” then “Copy link” in the app.",
        error_messages={"invalid": "Enter the whole web address, starting with https://."},
    )
    description = _text(
        "What worries you about it?",
        required_message="Say what worries you about it, so the headteacher can act on it.",
        rows=5,
        help_text="Say who is involved and what you have seen. The headteacher is emailed straight away.",
    )

    def __init__(self, *args, needs_url: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_url:
            del self.fields["url"]
        else:
            self.fields["url"].required = True
            self.fields["url"].error_messages["required"] = "Give the web address of the post you are worried about."


class ConcernResolveForm(forms.Form):
    note = _text(
        "Why no incident is needed",
        required_message="Say why no further action is needed: the note is kept with the concern.",
        rows=2,
    )


class IncidentOpenForm(forms.Form):
    title = _title()
    severity = _severity()
    note = _text("First note (optional)", rows=3)


class ConcernAddToIncidentForm(forms.Form):
    """Choose one of the school's open incidents (the caller passes them: a closed incident, or
    another school's, is not a choice)."""

    incident = forms.ModelChoiceField(
        label="Open incident",
        queryset=None,
        empty_label="Choose an incident",
        help_text="The concern joins its evidence and its timeline.",
        error_messages={
            "required": "Choose the incident to add this concern to.",
            "invalid_choice": "That incident is not open any more: choose one of the open incidents.",
        },
    )

    def __init__(self, *args, open_incidents, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["incident"]
        field.queryset = open_incidents
        field.label_from_instance = lambda incident: (
            f"{incident.title} ({incident.get_severity_display().lower()}, "
            f"opened {timezone.localtime(incident.opened_at):%d %b %Y})"
        )


class IncidentEntryForm(forms.Form):
    kind = forms.ChoiceField(
        label="This is",
        choices=[("note", "A note"), ("action", "Something that was done")],
        initial="note",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a note or an action.", "invalid_choice": "Choose a note or an action."},
    )
    body = _text("What to add", required_message="Write what happened or what was done.", rows=3)


class IncidentReferForm(forms.Form):
    authority = forms.CharField(
        label="Referred to",
        max_length=200,
        help_text="e.g. the police, the LADO, children's social care, the network.",
        error_messages={"required": "Say who it was referred to."},
    )
    when = forms.DateTimeField(
        label="When",
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={
            "required": "Say when it was referred.",
            "invalid": "Enter a date and a time, for example 14/03/2027 09:30.",
        },
    )
    details = _text("Reference number or details (optional)", rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["when"].initial = timezone.localtime().strftime(DATETIME_LOCAL)
        self.fields["when"].help_text = f"School time ({timezone.get_current_timezone_name()})."


class IncidentSeverityForm(forms.Form):
    severity = _severity("Severity")


class IncidentCloseForm(forms.Form):
    summary = _text(
        "Closing summary",
        required_message="Summarise what happened and what was done: it is kept with the incident.",
        rows=4,
        help_text="What happened, what was done, and why it can be closed.",
    )


class IncidentReopenForm(forms.Form):
    reason = _text("Why reopen it?", required_message="Say why it is being reopened.", rows=2)
