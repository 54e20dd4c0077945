"""The length rule follows the account's network even before that network's adapter is set up
on this portal (networks.limits): Bluesky's 300 graphemes, a Mastodon server's own limit."""

from accounts.models import SocialAccount

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"


def make(school, network, handle, **settings):
    return SocialAccount.objects.create(
        school=school,
        kind=SocialAccount.Kind.WHOLE_SCHOOL,
        network=network,
        handle=handle,
        display_name=handle,
        network_settings=settings,
    )


def test_bluesky_counts_a_family_emoji_once_up_to_300(check, school):
    bluesky = make(school, "bluesky", "alpha.bsky.social")
    assert check(FAMILY * 300, rule="length", account=bluesky) == []
    (finding,) = check(FAMILY * 301, rule="length", account=bluesky)
    assert "301 characters as Bluesky counts them" in finding.message


def test_a_mastodon_server_with_a_longer_limit_is_followed(check, school):
    mastodon = make(school, "mastodon", "alpha", max_characters=1000)
    assert check("a" * 1000, rule="length", account=mastodon) == []
    assert len(check("a" * 1001, rule="length", account=mastodon)) == 1
