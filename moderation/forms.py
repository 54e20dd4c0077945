"""Forms for the rules settings page and the policy pages.

A rule's settings are not a JSON box: each setting in `rules.SETTINGS` becomes its own field
(a list as one entry per line, a switch as a tick box, a limit as a number), checked by the
same function the engine's validation uses, so its message appears next to the field typed.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import School
from accounts.selectors import social_accounts_for_school

from .models import Rule
from .policy import MAX_POLICY_CHARS
from .rules import SETTINGS, RuleType, Scope, Setting, Severity

SETTING_PREFIX = "setting_"
MAX_TRY_CHARS = 5_000

RULE_TYPE_HELP = {
    RuleType.OFFENSIVE_LANGUAGE: "Swear words, slurs and unkind words, from a standard list and the school's own.",
    RuleType.PUPIL_FULL_NAMES: "A pupil's first name and surname together, from the pupil register.",
    RuleType.PUPIL_FIRST_NAMES: "A pupil's first name in a post with photos on a class account.",
    RuleType.HASHTAGS: "Hashtags every post needs, hashtags not to use, and how many a post may carry.",
    RuleType.MENTIONS_AND_LINKS: "Accounts a post may tag and websites it may link to.",
    RuleType.TONE: "Negative or opinionated wording that does not suit a school post.",
    RuleType.SPELLING: "Misspelt words, with the school's own names and places allowed.",
    RuleType.GRAMMAR: "Capital letters, repeated words, unclosed brackets, words in capitals.",
    RuleType.LENGTH: "Posts longer than the network or the school allows.",
}

_SETTING_HELP = {
    "words": "One word or phrase per line.",
    "allowed_words": "One word or phrase per line: the rule leaves these alone.",
    "required": "One hashtag per line; the # is optional.",
    "forbidden": "One hashtag per line; the # is optional.",
    "allowed_handles": "One account per line, as it appears after the @. The school's own accounts are always allowed.",
    "allowed_domains": "One website per line, e.g. gov.uk (its sub-sites are included).",
    "max_count": "Leave empty for no limit.",
    "max_length": "Leave empty to use the network's own limit.",
}


def _setting_field(setting: Setting) -> forms.Field:
    help_text = _SETTING_HELP.get(setting.name, "")
    if isinstance(setting.default, bool):
        return forms.BooleanField(required=False, label=setting.label, help_text=help_text)
    if isinstance(setting.default, list):
        return forms.CharField(
            required=False,
            label=setting.label,
            help_text=help_text or "One entry per line.",
            widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "off"}),
        )
    return forms.IntegerField(required=False, label=setting.label, help_text=help_text)


def _to_field(setting: Setting, value: Any) -> Any:
    return "\n".join(value) if isinstance(setting.default, list) else value


def _from_field(setting: Setting, value: Any) -> Any:
    if isinstance(setting.default, list):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]
    if isinstance(setting.default, bool):
        return bool(value)
    return value


class RuleForm(forms.Form):
    severity = forms.ChoiceField(
        choices=Severity.choices, widget=forms.RadioSelect, label="When a post breaks this rule", initial=Severity.WARN
    )
    scope = forms.ChoiceField(
        choices=Scope.choices, widget=forms.RadioSelect, label="Accounts it covers", initial=Scope.ALL
    )
    account = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="The account",
        empty_label="Choose an account",
        help_text="Only for a rule about one account.",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="The rule is on")
    policy_paragraph = forms.ChoiceField(
        required=False,
        label="The policy paragraph it puts into practice",
        help_text="Staff who are warned by this rule are shown this paragraph of the policy.",
    )

    def __init__(
        self, *args, rule_type: str, school: School, paragraphs: dict[str, str], rule: Rule | None = None, **kwargs
    ):
        self.rule_type = rule_type
        self.settings = SETTINGS[rule_type]
        if rule is not None:
            kwargs.setdefault("initial", self._initial(rule))
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = social_accounts_for_school(school=school)
        choices = [("", "None")] + list(paragraphs.items())
        linked = rule.policy_paragraph if rule is not None else ""
        if linked and linked not in paragraphs:
            choices.append((linked, f"“{linked}” (not in the policy)"))
        self.fields["policy_paragraph"].choices = choices
        settings_fields = {}
        for setting in self.settings:
            field = _setting_field(setting)
            field.initial = _to_field(setting, setting.default)
            settings_fields[SETTING_PREFIX + setting.name] = field
        # The rule's own settings come first: they are what the rule is about.
        self.fields = {**settings_fields, **self.fields}
        self.parameters: dict[str, Any] = {}

    def _initial(self, rule: Rule) -> dict[str, Any]:
        initial = {
            "severity": rule.severity,
            "scope": rule.scope,
            "account": rule.account_id,
            "enabled": rule.enabled,
            "policy_paragraph": rule.policy_paragraph,
        }
        for setting in self.settings:
            value = rule.parameters.get(setting.name, setting.default)
            initial[SETTING_PREFIX + setting.name] = _to_field(setting, value)
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for setting in self.settings:
            name = SETTING_PREFIX + setting.name
            if name not in cleaned:
                continue  # the field's own error (not a number) is already shown
            try:
                self.parameters[setting.name] = setting.check(_from_field(setting, cleaned[name]), setting.label)
            except ValidationError as error:
                self.add_error(name, error)
        if cleaned.get("scope") == Scope.ACCOUNT:
            if cleaned.get("account") is None:
                self.add_error("account", "Choose the account this rule is about.")
        else:
            cleaned["account"] = None
        return cleaned

    def rule_fields(self) -> dict[str, Any]:
        """The cleaned values, as `rule_create` and `rule_update` take them."""
        return {
            "severity": self.cleaned_data["severity"],
            "scope": self.cleaned_data["scope"],
            "account": self.cleaned_data["account"],
            "enabled": self.cleaned_data["enabled"],
            "policy_paragraph": self.cleaned_data["policy_paragraph"],
            "parameters": self.parameters,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a refusal from the service beside the field it is about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class RuleTryForm(forms.Form):
    text = forms.CharField(
        max_length=MAX_TRY_CHARS,
        label="A sample post",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Type a sample post to check."},
    )
    account = forms.ModelChoiceField(
        queryset=None, required=False, label="For the account", empty_label="No particular account"
    )
    has_images = forms.BooleanField(required=False, label="The post has photos")

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = social_accounts_for_school(school=school)


class PolicyDraftForm(forms.Form):
    body = forms.CharField(
        max_length=MAX_POLICY_CHARS,
        label="The policy",
        widget=forms.Textarea(attrs={"rows": 30, "class": "policy-editor"}),
        help_text=(
            "Plain text. Leave a blank line between paragraphs. Start a heading with “## ”. "
            "A list is lines starting with “- ”. The name in braces after a heading, e.g. {#pupil-names}, "
            "is how the rules link to that section: keep it when you reword the heading."
        ),
    )


class PolicySignOffForm(forms.Form):
    adopted_on = forms.DateField(label="Adopted on", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    review_due = forms.DateField(
        required=False,
        label="Review by",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="A year after adoption if left empty. You will be reminded by email a month before.",
    )
