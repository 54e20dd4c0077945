"""The trip mode page's form (posts/views_delegation.py). It only collects what the headteacher
chose; posts.services.trip_mode decides whether the delegation may be made."""

from django import forms

from accounts.models import Membership, SocialAccount

from .services.trip_mode import MAX_DAYS


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user} ({', '.join(obj.role_labels)})"


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: SocialAccount) -> str:
        return f"{obj.display_name} (@{obj.handle})"


class DelegationForm(forms.Form):
    account = _AccountChoice(
        queryset=SocialAccount.objects.none(),
        label="Account",
        empty_label=None,
        error_messages={"required": "Choose the account.", "invalid_choice": "Choose one of the school's accounts."},
    )
    delegate = _StaffChoice(
        queryset=Membership.objects.none(),
        label="Who posts during the trip",
        error_messages={
            "required": "Choose who will post during the trip.",
            "invalid_choice": "Choose someone on the staff list.",
        },
    )
    starts_on = forms.DateField(
        label="First day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Give the first day of the trip.", "invalid": "Enter a date, e.g. 14/03/2027."},
    )
    ends_on = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Give the last day of the trip.", "invalid": "Enter a date, e.g. 14/03/2027."},
    )
    note = forms.CharField(
        label="What it is for",
        required=False,
        max_length=200,
        help_text="For example “Year 6 residential”. Shown to the headteachers in each email.",
    )

    def __init__(self, *args, accounts, delegates: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["delegate"].queryset = Membership.objects.filter(pk__in=[m.pk for m in delegates])
        # The labels come from the already-loaded staff (with roles), not a query per option.
        self.fields["delegate"].choices = [("", "Choose a member of staff")] + [
            (m.pk, self.fields["delegate"].label_from_instance(m)) for m in delegates
        ]
        self.fields["ends_on"].help_text = f"Both days included; at most {MAX_DAYS} days in all."
