"""The "Repost" form (issue 18): which account, the link of the post to share, and when."""

from django import forms
from django.utils import timezone

from accounts.models import SocialAccount

from .forms import DATETIME_LOCAL, TIME_PASSED, add_account_choice
from .quote_links import parse_repost_url

NOT_A_REPOSTABLE_POST = (
    "That link is not a post the account can repost: paste the link of a post on X, on Bluesky, on Mastodon "
    "or on this portal's timeline, on the same network as the account."
)


class RepostForm(forms.Form):
    """`accounts`: the person's drafting accounts, for a new repost (a draft keeps its account)."""

    repost_url = forms.CharField(
        label="Link of the post to repost",
        max_length=500,
        help_text="Open the post on the network, copy its link (Share, then Copy link) and paste it here.",
        widget=forms.URLInput(
            attrs={"inputmode": "url", "autocapitalize": "off", "autocorrect": "off", "spellcheck": "false"}
        ),
        error_messages={"required": "Paste the link of the post you want to repost."},
    )
    publish_at = forms.DateTimeField(
        label="Repost at (optional)",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text="School time. Leave it empty to repost as soon as it is approved.",
    )

    def __init__(self, *args, accounts=None, account: SocialAccount | None = None, portal_hosts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_account = account
        self.portal_hosts = tuple(portal_hosts)
        self.accounts = {each.pk: each for each in accounts or ()}
        if accounts is not None:
            add_account_choice(self, accounts, label="Repost on", required="Choose the account that reposts it.")

    @property
    def account(self) -> SocialAccount | None:
        if self.fixed_account is not None:
            return self.fixed_account
        return self.accounts.get(self.cleaned_data.get("account"))

    def clean_publish_at(self):
        moment = self.cleaned_data["publish_at"]
        if moment is not None and moment <= timezone.now():
            raise forms.ValidationError(TIME_PASSED)
        return moment

    def clean(self):
        cleaned = super().clean()
        url = (cleaned.get("repost_url") or "").strip()
        account = self.account if "account" in cleaned or self.fixed_account else None
        if url and account is not None:
            reposted = parse_repost_url(url, network=account.network, portal_hosts=self.portal_hosts)
            if reposted is None or reposted.network != account.network:
                self.add_error("repost_url", NOT_A_REPOSTABLE_POST)
            else:
                cleaned["repost_url"] = reposted.url
        return cleaned
