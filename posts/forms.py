"""The compose page's form: which account, what to say, what to quote, when to publish, and a
description of each photo. The rules about the post as a whole (length, descriptions present,
consent) are checked when it is submitted, in posts.services; this form refuses only what
cannot be saved even as a draft."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from accounts.models import SocialAccount
from networks.limits import short_name, shown_handle

from .models import PostImage
from .quote_links import QuotedPost, parse_quote_url
from .services import EMPTY_POST, MAX_ALT_TEXT_CHARS

NOT_A_POST = "That link is not a post on X, on Bluesky or on this portal's timeline."
TIME_PASSED = "That time has passed. Choose a later time or leave it empty to publish once approved."
# What may be stored at all: far beyond any post, small enough that checking it stays instant.
MAX_TEXT_CHARS = 5000
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def account_label(account: SocialAccount) -> str:
    return f"{account.display_name} (@{account.handle}, {account.get_network_display()})"


def destination_label(account: SocialAccount) -> str:
    """How the compose page names an account the post also goes to: "@handle (Network)"."""
    return f"{shown_handle(account)} ({short_name(account.network)})"


def add_account_choice(form: forms.Form, accounts, *, label: str, required: str) -> None:
    """A new post's first question: which of the person's accounts it is for (radio buttons),
    with the hidden token that lets a second tap on the button find the draft the first made."""
    form.fields["account"] = forms.TypedChoiceField(
        label=label,
        coerce=int,
        choices=[(account.pk, account_label(account)) for account in accounts],
        widget=forms.RadioSelect,
        error_messages={"required": required},
    )
    form.fields["client_token"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
    form.order_fields(["account"])


@dataclass(frozen=True)
class PhotoField:
    number: int
    image: PostImage
    field: forms.BoundField


@dataclass(frozen=True)
class DestinationField:
    """One account under "Also post to": its tick box and its own words."""

    account: SocialAccount
    checkbox: forms.boundfield.BoundWidget
    words: forms.BoundField
    chosen: bool


class PostForm(forms.Form):
    """`accounts` (the person's drafting accounts) only for a new post: a draft keeps its account.
    `photos` are the post's photos so far; `photos_coming` counts photos on their way (this
    request's files, or uploads the page has started), so a photo-only post is not "empty".
    `also_accounts`: the accounts the post may also go to ("Also post to"), each with a box for
    its own words; `destinations` the post's current choice, as (account id, words)."""

    text = forms.CharField(
        label="What do you want to say?",
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 7, "autocapitalize": "sentences", "spellcheck": "true"}),
        error_messages={
            "max_length": "That is far longer than any post can be. Keep it under %(limit_value)d characters."
        },
    )
    quote_url = forms.CharField(
        label="Quote a post (optional)",
        required=False,
        max_length=500,
        help_text="Paste the link to a post on X or on this portal's timeline.",
        widget=forms.URLInput(
            attrs={"inputmode": "url", "autocapitalize": "off", "autocorrect": "off", "spellcheck": "false"}
        ),
    )
    publish_at = forms.DateTimeField(
        label="Publish at (optional)",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="School time. Leave it empty to publish as soon as the post is approved.",
    )

    def __init__(
        self,
        *args,
        accounts=None,
        photos=(),
        photos_coming: int = 0,
        portal_hosts=(),
        also_accounts=(),
        destinations=(),
        **kwargs,
    ):
        if destinations:
            kwargs["initial"] = {
                **kwargs.get("initial", {}),
                "also_to": [account_id for account_id, _ in destinations],
                **{self.words_field_name(account_id): words for account_id, words in destinations},
            }
        super().__init__(*args, **kwargs)
        self.photos = list(photos)
        self.photos_coming = photos_coming
        self.portal_hosts = tuple(portal_hosts)
        self.quoted: QuotedPost | None = None
        self.accounts = {account.pk: account for account in accounts or ()}
        if accounts is not None:
            add_account_choice(self, accounts, label="Post to", required="Choose the account this post is for.")
        self.also_accounts = {account.pk: account for account in also_accounts}
        if self.also_accounts:
            self.fields["also_to"] = forms.TypedMultipleChoiceField(
                label="Also post to",
                coerce=int,
                required=False,
                choices=[(account.pk, destination_label(account)) for account in also_accounts],
                widget=forms.CheckboxSelectMultiple,
            )
            for account in also_accounts:
                label = destination_label(account)
                self.fields[self.words_field_name(account.pk)] = forms.CharField(
                    label=f"Words for {label}",
                    required=False,
                    strip=False,
                    max_length=MAX_TEXT_CHARS,
                    widget=forms.Textarea(attrs={"rows": 4, "autocapitalize": "sentences", "spellcheck": "true"}),
                    help_text="Leave it empty to post the same words.",
                    error_messages={
                        "max_length": f"The words for {label} are far longer than any post can be. "
                        "Keep them under %(limit_value)d characters."
                    },
                )
        for number, image in enumerate(self.photos, start=1):
            self.fields[self.alt_field_name(image)] = forms.CharField(
                label=f"Describe photo {number} for people who cannot see it",
                required=False,
                max_length=MAX_ALT_TEXT_CHARS,
                initial=image.alt_text,
                widget=forms.Textarea(attrs={"rows": 2, "autocapitalize": "sentences"}),
                help_text="Say what the photo shows, such as “Three children measuring a sunflower”. No names.",
                error_messages={
                    "max_length": f"Keep the description of photo {number} under {MAX_ALT_TEXT_CHARS:,} characters."
                },
            )

    @staticmethod
    def alt_field_name(image: PostImage) -> str:
        return f"alt_{image.pk}"

    @staticmethod
    def words_field_name(account_id: int) -> str:
        return f"words_{account_id}"

    def chosen_also_to(self) -> list[int]:
        """The ticked accounts' ids as the form holds them (typed, or as it was first shown)."""
        if "also_to" not in self.fields:
            return []
        chosen = []
        for value in self["also_to"].value() or ():
            try:
                chosen.append(int(value))
            except (TypeError, ValueError):
                continue
        return [account_id for account_id in chosen if account_id in self.also_accounts]

    def destination_fields(self) -> list[DestinationField]:
        if "also_to" not in self.fields:
            return []
        chosen = set(self.chosen_also_to())
        return [
            DestinationField(
                account=self.also_accounts[int(checkbox.data["value"])],
                checkbox=checkbox,
                words=self[self.words_field_name(int(checkbox.data["value"]))],
                chosen=int(checkbox.data["value"]) in chosen,
            )
            for checkbox in self["also_to"]
        ]

    def typed_destinations(self, *, besides: int | None) -> list[tuple[SocialAccount, str]]:
        """The ticked accounts other than the post's own (`besides`), each with the words typed
        for it ("" for the post's own words), as the form holds them."""
        return [
            (self.also_accounts[account_id], self[self.words_field_name(account_id)].value() or "")
            for account_id in self.chosen_also_to()
            if account_id != besides
        ]

    def destinations(self, *, besides: int | None) -> list[tuple[SocialAccount, str]]:
        """After `is_valid()`: the accounts to save under "Also post to", in the order shown.
        The post's own account ticked here as well is the same place, so it is left out."""
        if "also_to" not in self.fields:
            return []
        ticked = set(self.cleaned_data.get("also_to") or ())
        return [
            (account, self.cleaned_data.get(self.words_field_name(account.pk)) or "")
            for account in self.also_accounts.values()
            if account.pk in ticked and account.pk != besides
        ]

    def photo_fields(self) -> list[PhotoField]:
        return [
            PhotoField(number=number, image=image, field=self[self.alt_field_name(image)])
            for number, image in enumerate(self.photos, start=1)
        ]

    @property
    def account(self) -> SocialAccount | None:
        return self.accounts.get(self.cleaned_data.get("account"))

    def alt_texts(self) -> list[tuple[PostImage, str]]:
        return [(image, self.cleaned_data[self.alt_field_name(image)]) for image in self.photos]

    def clean_quote_url(self) -> str:
        url = self.cleaned_data["quote_url"].strip()
        if not url:
            return ""
        self.quoted = parse_quote_url(url, portal_hosts=self.portal_hosts)
        if self.quoted is None:
            raise forms.ValidationError(NOT_A_POST)
        return self.quoted.url

    def clean_publish_at(self):
        moment = self.cleaned_data["publish_at"]
        if moment is not None and moment <= timezone.now():
            raise forms.ValidationError(TIME_PASSED)
        return moment

    def clean(self):
        cleaned = super().clean()
        if "text" in cleaned and not cleaned["text"].strip() and not self.photos and not self.photos_coming:
            self.add_error("text", EMPTY_POST)
        return cleaned
