"""Accounts on other networks, for the tests of a post written for several accounts (issue 17)."""

from accounts.models import SocialAccount


def network_account(school, network: str, handle: str, **fields) -> SocialAccount:
    return SocialAccount.objects.create(
        school=school,
        kind=SocialAccount.Kind.WHOLE_SCHOOL,
        network=network,
        handle=handle,
        display_name=f"Alpha Primary on {network.title()}",
        **fields,
    )
