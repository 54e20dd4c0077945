"""Forms of the approvers' review page (posts/views_review.py). Each only collects what the
approver typed; the services decide whether the post may move."""

from django import forms
from django.utils import timezone

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ApproveForm(forms.Form):
    """Approve to publish now, or at a time given in the school's time zone."""

    when = forms.ChoiceField(
        choices=[("now", "Publish now"), ("later", "Publish at a time")],
        error_messages={
            "required": "Choose to publish now or at a time.",
            "invalid_choice": "Choose to publish now or at a time.",
        },
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Publish at",
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": "Enter a date and a time, for example 14/03/2027 09:30."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].help_text = f"School time ({timezone.get_current_timezone_name()})."
        self.fields["publish_at"].widget.attrs["min"] = timezone.localtime().strftime(DATETIME_LOCAL)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") != "later":
            cleaned["publish_at"] = None
            return cleaned
        publish_at = cleaned.get("publish_at")
        if publish_at is None:
            if "publish_at" not in self.errors:
                self.add_error("publish_at", "Choose the day and time it should be published.")
        elif publish_at <= timezone.now():
            self.add_error("publish_at", "That time has already passed. Choose a later time, or publish now.")
        return cleaned


def _note(label: str, required_message: str) -> forms.CharField:
    """A short written note from the approver (or a comment), required, with its own message."""
    return forms.CharField(
        label=label,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": required_message},
    )


class RequestChangesForm(forms.Form):
    comment = _note("What needs changing", "Say what needs changing, so the author knows what to do.")


class RejectForm(forms.Form):
    reason = _note("Why it is rejected", "Give the author a reason for the rejection.")


class CommentForm(forms.Form):
    body = _note("Add a comment", "Write your comment first.")
