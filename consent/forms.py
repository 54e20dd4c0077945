from collections.abc import Mapping

from django import forms
from django.utils import timezone

from accounts.models import ClassGroup

from .imports import FIELDS, MAX_FILE_BYTES
from .models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord
from .selectors import SUMMARY_PURPOSES, ConsentState, RegisterFilters, Roll


class ConsentRecordForm(forms.ModelForm):
    """One carer's decision, as written on the form they returned."""

    class Meta:
        model = ConsentRecord
        fields = ["purpose", "decision", "given_by_name", "relationship", "method", "decided_on", "expires_on"]
        widgets = {
            "purpose": forms.RadioSelect,
            "decision": forms.RadioSelect,
            "decided_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"given_by_name": "Carer's name", "expires_on": "Ends on (leave empty: until the pupil leaves)"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("decided_on", timezone.localdate())
        kwargs["initial"].setdefault("method", ConsentMethod.ADMISSION_FORM)
        super().__init__(*args, **kwargs)


class NeverPublishForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the headteacher can ever read this. Others see just “do not publish”.",
    )


# The answers a register can be narrowed to, in the words its status badges use
# (templates/consent/_status_badge.html). "Do not publish" and "Left the school" have filters of their own.
ANSWER_CHOICES = [
    ("", "Any answer"),
    (ConsentState.GIVEN, "Given"),
    (ConsentState.REFUSED, "Refused"),
    (ConsentState.WITHDRAWN, "Withdrawn"),
    (ConsentState.EXPIRED, "Expired"),
    (ConsentState.NONE, "No answer yet"),
    (ConsentState.DISPUTED, "Carers disagree"),
]


_NOT_A_CHOICE = {"invalid_choice": "Choose one of the options in the list."}


class RegisterFilterForm(forms.Form):
    """The register's search and filters. They travel in the address (GET), so a search can be
    bookmarked, shared and reloaded, and the page works without JavaScript."""

    q = forms.CharField(
        required=False,
        max_length=100,
        error_messages={"max_length": "Type up to 100 letters of the name."},
        label="Name",
        help_text="First, preferred or other name, or surname. Accents are optional.",
        widget=forms.SearchInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    purpose = forms.ChoiceField(
        required=False,
        label="Consent for",
        choices=[("", "Photo or first name"), *((p, ConsentPurpose(p).label) for p in SUMMARY_PURPOSES)],
        error_messages=_NOT_A_CHOICE,
    )
    answer = forms.ChoiceField(required=False, label="Answer", choices=ANSWER_CHOICES, error_messages=_NOT_A_CHOICE)
    roll = forms.ChoiceField(
        required=False,
        label="Pupils",
        choices=[("", "On roll today"), (Roll.LEFT, "Who have left"), (Roll.EVERYONE, "On roll and left")],
        error_messages=_NOT_A_CHOICE,
    )
    never_publish = forms.BooleanField(required=False, label="Only pupils marked “Do not publish”")

    def __init__(self, data, *, class_groups: list[ClassGroup]):
        super().__init__(data)
        self.class_groups = {str(class_group.pk): class_group for class_group in class_groups}
        # "class", as the links from a pupil's page and the paper forms page have always said.
        self.fields["class"] = forms.ChoiceField(
            required=False,
            label="Class",
            choices=[("", "All classes"), *((pk, class_group.name) for pk, class_group in self.class_groups.items())],
            error_messages={"invalid_choice": "That class is not on this school's list. Choose one from the list."},
        )
        self.order_fields(["q", "class", "roll", "purpose", "answer", "never_publish"])

    def filters(self) -> RegisterFilters:
        """The filters asked for. A value that is not one of the choices (an old bookmark, a class
        since removed) is left out and shown as an error beside its field."""
        self.is_valid()
        data = self.cleaned_data
        answer = data.get("answer")
        return RegisterFilters(
            search=data.get("q", ""),
            class_group=self.class_groups.get(data.get("class", "")),
            roll=Roll(data.get("roll") or Roll.ON_ROLL),
            never_publish_only=data.get("never_publish", False),
            state=ConsentState(answer) if answer else None,
            purpose=data.get("purpose", ""),
        )


BULK_CHOICES = [("", "No change"), (ConsentDecision.GIVEN, "Yes"), (ConsentDecision.REFUSED, "No")]
BULK_PURPOSES = (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME)


class BulkEntryForm(forms.Form):
    """The paper admission forms of one class, typed in one go: a row per pupil."""

    given_by_default = forms.CharField(
        required=False, label="Carer's name when the form gives none", initial="Parent (admission form)"
    )
    relationship = forms.ChoiceField(choices=CarerRelationship.choices, initial=CarerRelationship.PARENT)
    decided_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), label="Date on the forms"
    )

    def __init__(self, *args, pupils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].initial = timezone.localdate()
        self.pupil_rows = []
        for pupil in pupils:
            names = {}
            for purpose in BULK_PURPOSES:
                name = f"p{pupil.pk}_{purpose}"
                self.fields[name] = forms.ChoiceField(
                    choices=BULK_CHOICES, required=False, widget=forms.RadioSelect, label=ConsentPurpose(purpose).label
                )
                names[purpose] = name
            self.pupil_rows.append((pupil, [self[names[p]] for p in BULK_PURPOSES]))

    def decisions(self, pupils):
        """(pupil, purpose, decision) for every box that was changed."""
        for pupil in pupils:
            for purpose in BULK_PURPOSES:
                decision = self.cleaned_data.get(f"p{pupil.pk}_{purpose}")
                if decision:
                    yield pupil, purpose, decision


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file from the MIS",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=f"Up to {MAX_FILE_BYTES // (1024 * 1024)} MB. In Excel choose Save As, then “CSV UTF-8”.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read: the upload may be far larger than the portal keeps.
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the largest the portal accepts. "
                "Export only the columns the portal needs."
            )
        return upload


class ImportMappingForm(forms.Form):
    """What each column of the file holds: one choice per column, in the file's order."""

    def __init__(self, *args, headers: list[str], mapping: Mapping[str, str | None], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [
            ("", "Ignore this column"),
            *((key, f"{field.label} (needed)" if field.required else field.label) for key, field in FIELDS.items()),
        ]
        for position, header in enumerate(headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                choices=choices, required=False, label=header, initial=mapping.get(header) or ""
            )

    def mapping(self) -> dict[str, str | None]:
        """Column -> field key, or None for an ignored column, as plan_import takes it."""
        return {header: self.cleaned_data[f"column_{position}"] or None for position, header in enumerate(self.headers)}
