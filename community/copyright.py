""" "Infringes copyright" as a reason for acting on a mention or a follower (issue 18).

A claim names the original work (a link to it, or a description) and whose it is. It is kept
with the evidence of the action: in a block's evidence beside the profile and posts as seen, in
the audit entry of a report with a snapshot of the account, and in an incident's evidence beside
the mention's snapshot. The network's moderators read it as part of the report's reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

COPYRIGHT = "copyright"
GROUNDS = [("", "Something else (say why)"), (COPYRIGHT, "Infringes copyright")]
REASON = "Infringes copyright."


@dataclass(frozen=True)
class CopyrightClaim:
    original_work: str
    rights_holder: str

    @property
    def original_is_link(self) -> bool:
        try:
            URLValidator(schemes=["http", "https"])(self.original_work)
        except ValidationError:
            return False
        return True

    def as_evidence(self) -> dict:
        return {
            "grounds": COPYRIGHT,
            "original_work": self.original_work,
            "original_is_link": self.original_is_link,
            "rights_holder": self.rights_holder,
        }

    def in_words(self) -> str:
        return f"Infringes copyright: the original is {self.original_work}, which belongs to {self.rights_holder}."


def copyright_claim(*, original_work: str, rights_holder: str) -> CopyrightClaim:
    """A claim, or ValidationError naming what is missing."""
    original_work, rights_holder = original_work.strip(), rights_holder.strip()
    errors = {}
    if not original_work:
        errors["original_work"] = "Give a link to the original work, or describe it."
    if not rights_holder:
        errors["rights_holder"] = "Say whose work it is."
    if errors:
        raise ValidationError(errors)
    return CopyrightClaim(original_work=original_work[:1000], rights_holder=rights_holder[:200])


def reason_with_claim(reason: str, claim: CopyrightClaim | None) -> str:
    """The reason as kept and as the moderators read it: what was typed, then the claim."""
    reason = reason.strip()
    if claim is None:
        return reason
    return f"{reason} {claim.in_words()}".strip() if reason and reason != REASON else claim.in_words()


class CopyrightFormMixin(forms.Form):
    """The reason's grounds, and for a copyright claim the original work and whose it is.
    `copyright_claim()` gives the claim (None for other grounds) once the form is valid."""

    grounds = forms.ChoiceField(label="Grounds", choices=GROUNDS, required=False)
    original_work = forms.CharField(
        label="Original work (if copyright)",
        required=False,
        max_length=1000,
        help_text="A link to the original photo, text or video, or a description of it.",
    )
    rights_holder = forms.CharField(
        label="Whose work it is (if copyright)",
        required=False,
        max_length=200,
        help_text="e.g. the school, a parent photographer, a newspaper.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields.get("reason")
        # A copyright claim is its own reason; anything else still needs one in words.
        self._reason_required = bool(reason and reason.required)
        if reason is not None:
            reason.required = False
        own = ["grounds", "original_work", "rights_holder"]
        self.order_fields([name for name in self.fields if name not in own] + own)

    def clean(self):
        cleaned = super().clean()
        self._claim = None
        if self._reason_required and cleaned.get("grounds") != COPYRIGHT and not cleaned.get("reason", "").strip():
            self.add_error("reason", self.fields["reason"].error_messages["required"])
        if cleaned.get("grounds") == COPYRIGHT:
            try:
                self._claim = copyright_claim(
                    original_work=cleaned.get("original_work", ""), rights_holder=cleaned.get("rights_holder", "")
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return cleaned

    def copyright_claim(self) -> CopyrightClaim | None:
        return getattr(self, "_claim", None)
