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


def test_bluesky_counts_what_a_reader_sees_as_one_character_once_up_to_300(check, school):
    bluesky = make(school, "bluesky", "alpha.bsky.social")
    accented = "e\u0301"  # an e with its accent written as a second code point: one grapheme
    assert check(accented * 300, rule="length", account=bluesky) == []
    (finding,) = check(accented * 301, rule="length", account=bluesky)
    assert "301 characters as Bluesky counts them" in finding.message


def test_bluesky_also_refuses_more_than_3000_bytes_within_300_characters(check, school):
    """100 family emoji are 100 characters to Bluesky's counter but 1,800 bytes; 200 are 3,600."""
    bluesky = make(school, "bluesky", "alpha.bsky.social")
    assert check(FAMILY * 100, rule="length", account=bluesky) == []
    text = "Sports day! " + FAMILY * 200
    (finding,) = check(text, rule="length", account=bluesky)
    assert finding.severity == "block"
    assert "3,612 bytes" in finding.message and "3,000" in finding.message and "emoji" in finding.message
    # Marked from where it goes over: what comes before fits.
    assert len(text[: finding.start].encode()) <= 3000 < len(text[: finding.start + 1].encode())
    x_account = make(school, "x", "alpha_x")
    assert [f.message for f in check(text, rule="length", account=x_account)] != [finding.message]


def test_a_mastodon_server_with_a_longer_limit_is_followed(check, school):
    mastodon = make(school, "mastodon", "alpha", max_characters=1000)
    assert check("a" * 1000, rule="length", account=mastodon) == []
    assert len(check("a" * 1001, rule="length", account=mastodon)) == 1
