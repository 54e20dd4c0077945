"""Forms of the audience pages. They only read what was sent; the decisions are in community.audience."""

from django import forms

from accounts.models import School, SocialAccount

from .copyright import CopyrightFormMixin

_REASON_WIDGET = forms.Textarea(attrs={"rows": 2, "maxlength": 1000})


class FollowerDecisionForm(CopyrightFormMixin):
    DECISIONS = [("accept", "Accept"), ("watch", "Watch"), ("mute", "Mute"), ("block", "Block")]

    decision = forms.ChoiceField(choices=DECISIONS)
    reason = forms.CharField(required=False, max_length=1000, widget=_REASON_WIDGET)


class ReportForm(CopyrightFormMixin):
    """Reporting someone to the network's moderators, from the followers or blocked accounts page."""

    reason = forms.CharField(
        label="Why report them?",
        max_length=1000,
        widget=_REASON_WIDGET,
        help_text="The network's moderators read this, so say what is wrong in plain words.",
        error_messages={"required": "Say why you are reporting this account: the moderators read your reason."},
    )


class RemoveFollowerForm(forms.Form):
    reason = forms.CharField(
        label="Why remove them?",
        max_length=1000,
        widget=_REASON_WIDGET,
        help_text="Kept with the decision. They can follow again unless you block them.",
        error_messages={"required": "Say why you are removing this follower: the reason is kept with the decision."},
    )


class BlockLiftForm(forms.Form):
    reason = forms.CharField(
        label="Why lift the block?", max_length=1000, widget=_REASON_WIDGET, help_text="Kept with the block's record."
    )


class FollowProposeForm(forms.Form):
    account = forms.ModelChoiceField(queryset=SocialAccount.objects.none(), label="Which of the school's accounts")
    handle = forms.CharField(
        label="Account to follow",
        max_length=65,
        help_text="Its handle, e.g. @booktrust.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}),
    )
    why = forms.CharField(
        label="Why follow it?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        help_text="The headteacher decides; say what it posts that is useful to the school.",
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = SocialAccount.objects.filter(school=school).exclude(
            status=SocialAccount.Status.DISABLED
        )


class FollowDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])
    note = forms.CharField(required=False, max_length=1000, widget=_REASON_WIDGET)


class UnfollowForm(forms.Form):
    reason = forms.CharField(
        label="Why stop following?",
        max_length=1000,
        widget=_REASON_WIDGET,
        help_text="Kept with the account's record.",
        error_messages={"required": "Say why the school should stop following this account: the reason is kept."},
    )
