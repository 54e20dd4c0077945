from collections.abc import Mapping

from django import forms
from django.utils import timezone

from .imports import FIELDS, MAX_FILE_BYTES
from .models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord


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
