"""Forms for approval in more than one step: an account's steps (a formset: add a step, remove
one, renumber to reorder, all without JavaScript), the school's waiting times, and covers."""

from django import forms
from django.utils import timezone

from .models import ApprovalStep, Membership, Role

# Any role can be named on a step ("every class teacher": any of them but the post's author).
STEP_ROLES = list(Role.choices)


def _person(membership: Membership) -> str:
    return f"{membership.user} ({', '.join(membership.role_labels)})"


class StepForm(forms.Form):
    mode = forms.ChoiceField(
        label="Who decides",
        choices=ApprovalStep.Mode.choices,
        widget=forms.RadioSelect,
        initial=ApprovalStep.Mode.ANY,
        help_text="“All of”: every person in the step approves (the post's author never counts).",
    )
    people = forms.ModelMultipleChoiceField(
        label="People",
        help_text="Anyone on the staff, shown with their roles: a phase leader who teaches a class, say.",
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    roles = forms.MultipleChoiceField(
        label="Everyone with the role",
        help_text="Any one of them (or, for “all of”, each of them) decides; never the post's own author.",
        choices=STEP_ROLES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, approvers=(), **kwargs):
        super().__init__(*args, **kwargs)
        people = list(approvers)
        self.fields["people"].queryset = Membership.objects.filter(pk__in=[m.pk for m in people])
        self.fields["people"].label_from_instance = _person
        # In the order given (the headteacher and senior leaders first, then everyone else by name).
        order = {m.pk: index for index, m in enumerate(people)}
        self.fields["people"].choices = [
            (choice, label)
            for choice, label in sorted(self.fields["people"].choices, key=lambda item: order.get(item[0].value, 0))
        ]


class BaseStepFormSet(forms.BaseFormSet):
    def __init__(self, *args, approvers=(), **kwargs):
        self.approvers = approvers
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"approvers": self.approvers}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = "Position"
        form.fields["ORDER"].help_text = "Steps go in this order: 1 first."
        form.fields["DELETE"].label = "Remove this step"

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), approvers=self.approvers)
        self.add_fields(form, None)
        return form


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=1, can_order=True, can_delete=True, max_num=10, validate_max=True
)


class WaitsForm(forms.Form):
    reminder_hours = forms.IntegerField(label="Remind the step's approvers after (hours)", min_value=1, max_value=2000)
    escalation_hours = forms.IntegerField(
        label="Ask the headteacher to decide after (hours)", min_value=2, max_value=4000
    )


class CoverForm(forms.Form):
    absent = forms.ModelChoiceField(label="Who is away", queryset=Membership.objects.none())
    delegate = forms.ModelChoiceField(label="Who decides for them", queryset=Membership.objects.none())
    starts_on = forms.DateField(label="First day away", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day away", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, absentees, delegates, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"starts_on": today, "ends_on": today})
        super().__init__(*args, **kwargs)
        self.fields["absent"].queryset = Membership.objects.filter(pk__in=[m.pk for m in absentees])
        self.fields["delegate"].queryset = Membership.objects.filter(pk__in=[m.pk for m in delegates])
        self.fields["absent"].label_from_instance = _person
        self.fields["delegate"].label_from_instance = _person
        if len(absentees) == 1:
            self.fields["absent"].initial = absentees[0].pk
