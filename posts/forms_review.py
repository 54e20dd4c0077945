"""Forms of the approvers' review page (posts/views_review.py). Each only collects what the
approver typed; the services decide whether the post may move."""

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ApproveForm(forms.Form):
    """When the approved post goes out: at the time the author chose (when they chose one that
    is still ahead), now, or at another time given in the school's time zone."""

    AUTHORS_TIME = "authors"
    NOW = "now"
    LATER = "later"

    when = forms.ChoiceField(
        label="When should it be published?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose when it should be published.",
            "invalid_choice": "Choose when it should be published.",
        },
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Day and time",
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": "Enter a date and a time, for example 14/03/2027 09:30."},
    )

    def __init__(self, *args, authors_time=None, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        choices = [(self.NOW, "Now"), (self.LATER, "At another time")]
        if authors_time:
            shown = format_date(timezone.localtime(authors_time), "D j F \\a\\t H:i")
            if authors_time > now:
                choices.insert(0, (self.AUTHORS_TIME, f"At the author's time ({shown})"))
            else:
                # Offered still, so a page opened before the time passed can be sent as it was chosen.
                choices.append((self.AUTHORS_TIME, f"At the author's time ({shown}, now passed: it goes out at once)"))
        self.fields["when"].choices = choices
        self.fields["when"].initial = choices[0][0]
        self.fields["publish_at"].help_text = f"School time ({timezone.get_current_timezone_name()})."
        self.fields["publish_at"].widget.attrs["min"] = timezone.localtime(now).strftime(DATETIME_LOCAL)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") != self.LATER:
            if cleaned.get("publish_at") is not None:
                # A time typed with another choice left selected: ask rather than guess which was meant.
                self.add_error(
                    "publish_at",
                    "You entered a time but did not choose “At another time”. Choose it to publish at that time, "
                    "or clear the time.",
                )
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
