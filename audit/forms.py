"""The audit trail's filters: who, what and when, all in the address so a filtered view can be
bookmarked, shared or downloaded."""

from datetime import date

from django import forms
from django.utils.dateformat import format as format_date

from . import describe
from .selectors import THE_PORTAL

_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]


def _person_label(user) -> str:
    return user.get_full_name() or user.email


class TrailFilterForm(forms.Form):
    """Bound to the query string. `people` are the users the person filter offers (the school's
    own: anyone else's id is refused as not on the list)."""

    person = forms.ChoiceField(
        label="Who", required=False, error_messages={"invalid_choice": "Choose someone from the list."}
    )
    kind = forms.ChoiceField(
        label="What", required=False, error_messages={"invalid_choice": "Choose a kind of event from the list."}
    )

    def __init__(self, data=None, *, people):
        super().__init__(data)
        self.fields["person"].choices = [
            ("", "Everyone"),
            (THE_PORTAL, f"{describe.THE_PORTAL} (done automatically)"),
            *((str(user.pk), _person_label(user)) for user in people),
        ]
        self.fields["kind"].choices = [
            ("", "Everything"),
            *(
                (
                    category.label,
                    [
                        (category.slug, f"All {category.label.lower()}"),
                        *((kind.code, kind.label) for kind in kinds),
                    ],
                )
                for category, kinds in describe.kinds_by_category()
            ),
        ]
        # The address says "from" and "to"; "from" is a Python keyword, so the dates are added by name.
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                input_formats=_DATE_FORMATS,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                error_messages={"invalid": "Enter a date, for example 31/12/2026."},
            )
        self._people = {str(user.pk): _person_label(user) for user in people}

    def full_clean(self):
        super().full_clean()
        # A field in error points at its message, so a screen reader reads both together.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].id_for_label}-error"

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("from"), cleaned.get("to")
        if since and until and since > until:
            self.add_error("to", "This date must be the same as the “From” date or after it.")
        return cleaned

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in ("person", "kind", "from", "to"))

    def trail_arguments(self) -> dict:
        """The valid form's filters, as `selectors.trail_for_school` takes them."""
        data = self.cleaned_data
        kind = data.get("kind") or ""
        if not kind:
            actions = None
        elif kind in describe.CATEGORIES:
            actions = describe.codes_in(kind)
        else:
            actions = [kind]
        return {
            "person": data.get("person") or "",
            "actions": actions,
            "since": data.get("from"),
            "until": data.get("to"),
        }

    def summary(self) -> dict[str, str]:
        """The valid form's filters in words, for the page and for the export's own audit entry."""
        data = self.cleaned_data
        words = {}
        person = data.get("person")
        if person:
            words["who"] = (
                f"{describe.THE_PORTAL} (done automatically)" if person == THE_PORTAL else self._people[person]
            )
        kind = data.get("kind")
        if kind:
            category = describe.CATEGORIES.get(kind)
            words["what"] = category.label if category else describe.kind_for(kind).label
        for name in ("from", "to"):
            if data.get(name):
                words[name] = data[name].isoformat()
        return words


def summary_in_words(summary: dict[str, str]) -> str:
    """The filters as a phrase: "by Sam Lee, only “Posts and photos”, from 1 Sep 2026 to 30 Sep 2026"."""
    parts = []
    if "who" in summary:
        parts.append(f"by {summary['who']}")
    if "what" in summary:
        parts.append(f"only “{summary['what']}”")
    if "from" in summary:
        parts.append(f"from {_day(summary['from'])}")
    if "to" in summary:
        parts.append(f"to {_day(summary['to'])}")
    return ", ".join(parts)


def _day(iso: str) -> str:
    try:
        return format_date(date.fromisoformat(iso), "j M Y")
    except ValueError:
        return iso
