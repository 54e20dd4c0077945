"""Forms of the private messages pages (issue 18). Each only collects what was typed;
community.messages decides."""

from django import forms

from accounts.models import SocialAccount

from .messages import MESSAGE_MAX_LENGTH
from .models import MessagePurpose


class MessageForm(forms.Form):
    account = forms.ModelChoiceField(
        label="From which account",
        queryset=SocialAccount.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the account the message is sent from."},
    )
    recipient_handle = forms.CharField(
        label="To (their handle on the network)",
        max_length=100,
        help_text="One person or organisation, e.g. @town_museum.",
        error_messages={"required": "Say who the message is for: their handle on the network."},
    )
    purpose = forms.ChoiceField(
        label="What is the message for?",
        choices=MessagePurpose.choices,
        widget=forms.RadioSelect,
        help_text="The school's policy allows private messages only for these.",
        error_messages={
            "required": "Choose what the message is for: a visit, a visitor, or something educational.",
            "invalid_choice": "Choose what the message is for: a visit, a visitor, or something educational.",
        },
    )
    purpose_detail = forms.CharField(
        label="Which visit, visitor or learning (optional)",
        max_length=200,
        required=False,
        help_text="A few words the approver will recognise, e.g. “Year 4 trip to the museum, 12 March”.",
    )
    text = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Write the message."},
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = SocialAccount.objects.filter(pk__in=[account.pk for account in accounts])


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label="Note to the author (needed to ask for changes or reject)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
