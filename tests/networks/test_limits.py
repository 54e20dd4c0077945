"""Each network's published limits (networks.limits) while its adapter is not set up, and a
Mastodon server's own limits kept on the account."""

from accounts.models import SocialAccount
from networks import limits
from networks.base import LengthRule


def account(school, network, handle="alpha", **settings) -> SocialAccount:
    return SocialAccount(school=school, network=network, handle=handle, network_settings=settings)


def test_bluesky_counts_graphemes_up_to_300(school):
    capabilities = limits.default_capabilities_for(account(school, "bluesky"))
    assert (capabilities.max_length, capabilities.length_rule, capabilities.max_image_bytes) == (
        300,
        LengthRule.GRAPHEMES,
        1_000_000,
    )


def test_a_mastodon_server_sets_its_own_length_and_link_length(school):
    plain = limits.default_capabilities_for(account(school, "mastodon"))
    own = limits.default_capabilities_for(
        account(school, "mastodon", max_characters=1000, characters_reserved_per_url=30, max_media_attachments="9")
    )
    assert (plain.max_length, plain.url_length, plain.max_images) == (500, 23, 4)
    assert (own.max_length, own.url_length, own.max_images) == (1000, 30, 4)  # "9" is not a number: ignored


def test_the_local_network_asks_its_adapter(school):
    assert limits.capabilities_for(account(school, "local")).length_rule == LengthRule.X_WEIGHTED


def test_handles_are_shown_as_each_network_shows_them(school):
    assert limits.shown_handle(account(school, "mastodon", server="https://mastodon.example/")) == (
        "@alpha@mastodon.example"
    )
    assert limits.shown_handle(account(school, "mastodon", "alpha@other.example")) == "@alpha@other.example"
    assert limits.shown_handle(account(school, "bluesky", "alpha.bsky.social")) == "@alpha.bsky.social"
    assert limits.shown_handle(account(school, "x", "alpha_school")) == "@alpha_school"
