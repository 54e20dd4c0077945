"""The network adapter layer: the registry, the base class's refusals, and the local network."""

import io
import re
import sys

import pytest
from PIL import Image

import networks.local as local_package
from accounts.models import SocialAccount
from networks import registry
from networks.base import LengthRule, Network, NetworkError, PostNotFound, PostPayload
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkMedia, LocalNetworkPost
from networks.registry import get_network


def jpeg(width: int = 40, height: int = 30, colour: str = "teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def network(accounts) -> LocalNetwork:
    return get_network(accounts.whole_school)


@pytest.fixture
def fresh_registry():
    registry.network_class.cache_clear()
    yield
    registry.network_class.cache_clear()


# Registry


def test_local_account_gets_the_local_adapter(accounts):
    network = get_network(accounts.year3)
    assert isinstance(network, LocalNetwork) and network.account == accounts.year3


def test_registry_imports_an_adapter_on_first_use_and_only_once(accounts, monkeypatch, fresh_registry):
    # Forget the module (the import system rebinds the package attribute, so restore that too).
    monkeypatch.setattr(local_package, "adapter", sys.modules["networks.local.adapter"])
    monkeypatch.delitem(sys.modules, "networks.local.adapter")

    first = get_network(accounts.whole_school)

    assert "networks.local.adapter" in sys.modules
    assert type(first) is sys.modules["networks.local.adapter"].LocalNetwork
    get_network(accounts.year3)
    assert registry.network_class.cache_info().hits == 1


def test_unknown_network_is_a_permanent_error(accounts):
    account = accounts.whole_school
    account.network = "myspace"

    with pytest.raises(NetworkError) as raised:
        get_network(account)

    assert raised.value.permanent
    assert "myspace" in raised.value.message


def test_x_account_without_the_x_adapter_says_it_is_not_set_up(school, monkeypatch, fresh_registry):
    # None in sys.modules makes the import fail whether or not x.py exists yet.
    monkeypatch.setitem(sys.modules, "networks.x.adapter", None)
    account = SocialAccount.objects.create(
        school=school, kind="whole_school", network="x", handle="alpha_on_x", display_name="Alpha"
    )

    with pytest.raises(NetworkError) as raised:
        get_network(account)

    assert raised.value.permanent
    assert raised.value.message == "Publishing to X is not set up yet on this portal."


def test_an_import_failure_other_than_the_adapter_module_itself_is_not_hidden(accounts, monkeypatch, fresh_registry):
    # As when an adapter's client library is not installed: an installation fault, not "not set up".
    monkeypatch.setitem(registry.NETWORKS, "local", "networks.no_such_package.adapter.LocalNetwork")

    with pytest.raises(ModuleNotFoundError):
        get_network(accounts.whole_school)


# Base class


def test_operations_a_network_lacks_are_permanent_errors_from_the_base_class(accounts):
    class PublishOnly(Network):
        label = "a publish-only network"
        capabilities = LocalNetwork.capabilities

        def publish(self, payload, *, idempotency_key=None): ...

        def delete(self, ref_id): ...

        def recent_own_posts(self, limit=20):
            return []

        def fetch_post(self, post_id): ...

    with pytest.raises(NetworkError) as raised:
        PublishOnly(accounts.whole_school).hide_reply("123")

    assert raised.value.permanent
    assert raised.value.message == "Hiding a reply is not available on this network (a publish-only network)."


def test_an_adapter_must_publish_delete_and_list_its_own_posts(accounts):
    class Incomplete(Network):
        def publish(self, payload, *, idempotency_key=None): ...

    with pytest.raises(TypeError):
        Incomplete(accounts.whole_school)


def test_an_adapter_must_read_posts_by_id(accounts):
    class NoReading(Network):
        def publish(self, payload, *, idempotency_key=None): ...

        def delete(self, ref_id): ...

        def recent_own_posts(self, limit=20):
            return []

    with pytest.raises(TypeError):
        NoReading(accounts.whole_school)


def test_network_error_defaults_to_temporary_with_no_wait():
    error = NetworkError("Rate limited")
    assert (error.message, error.permanent, error.retry_after) == ("Rate limited", False, None)
    assert str(error) == "Rate limited"


# Local network: publishing


def test_local_network_keeps_xs_limits(network):
    caps = network.capabilities
    assert (caps.max_length, caps.length_rule, caps.max_images) == (280, LengthRule.X_WEIGHTED, 4)
    assert (caps.max_image_bytes, caps.alt_text_limit) == (5 * 1024 * 1024, 1000)
    assert caps.supports_block and caps.supports_idempotency_key and caps.supports_hide_reply


def test_publish_stores_the_post_and_returns_its_timeline_url(network, accounts, settings):
    ref = network.publish(PostPayload(text="Sports day!"))

    post = LocalNetworkPost.objects.get(pk=int(ref.id))
    assert (post.account, post.text, post.deleted_at) == (accounts.whole_school, "Sports day!", None)
    assert ref.url == f"{settings.SITE_URL}/local/alpha_school/#post-{ref.id}"


def test_uploaded_images_are_stored_with_alt_text_and_attached_in_order(network, accounts, media_root):
    first = network.upload_media(jpeg(60, 40), "Children running a relay race")
    second = network.upload_media(jpeg(), "The winning team's trophy")

    ref = network.publish(PostPayload(text="Relay results", media=[second, first]))

    media = list(LocalNetworkPost.objects.get(pk=ref.id).media.all())
    assert [m.alt_text for m in media] == ["The winning team's trophy", "Children running a relay race"]
    assert (media[1].width, media[1].height) == (60, 40)
    assert re.fullmatch(rf"local-network/{accounts.whole_school.pk}/[0-9a-f]{{32}}\.jpg", media[0].file.name)
    assert (media_root / media[1].file.name).read_bytes() == jpeg(60, 40)


def test_a_repeated_idempotency_key_returns_the_first_post(network):
    first = network.publish(PostPayload(text="Harvest festival"), idempotency_key="post-41-attempt")
    again = network.publish(PostPayload(text="Harvest festival"), idempotency_key="post-41-attempt")

    assert again == first
    assert LocalNetworkPost.objects.count() == 1


def test_a_publisher_that_loses_an_idempotency_key_race_gets_the_winners_post(network, accounts, monkeypatch):
    winner = LocalNetworkPost.objects.create(account=accounts.whole_school, text="Trip", idempotency_key="k-1")
    lookups = iter([None, winner])
    # The first lookup runs before the other publisher's insert commits; the second, after.
    monkeypatch.setattr(LocalNetwork, "_post_for_key", lambda self, key: next(lookups))

    ref = network.publish(PostPayload(text="Trip"), idempotency_key="k-1")

    assert ref.id == str(winner.pk)
    assert LocalNetworkPost.objects.count() == 1


def test_an_idempotency_key_of_another_account_is_refused(network, accounts):
    network.publish(PostPayload(text="Harvest festival"), idempotency_key="shared-key")

    with pytest.raises(NetworkError) as raised:
        get_network(accounts.year3).publish(PostPayload(text="Something else"), idempotency_key="shared-key")

    assert raised.value.permanent
    assert LocalNetworkPost.objects.count() == 1


def test_more_images_than_the_network_allows_is_a_permanent_error(network):
    media = [network.upload_media(jpeg(), f"Picture {n}") for n in range(5)]

    with pytest.raises(NetworkError) as raised:
        network.publish(PostPayload(text="Too many", media=media))

    assert raised.value.permanent
    assert "at most 4 images" in raised.value.message
    assert not LocalNetworkPost.objects.exists()


def test_an_empty_post_is_refused(network):
    with pytest.raises(NetworkError) as raised:
        network.publish(PostPayload(text="  "))
    assert raised.value.permanent


@pytest.mark.parametrize(
    ("image", "alt_text", "message"),
    [
        (b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "A photo", "accepts images up to 5 MB"),
        (jpeg(), "x" * 1001, "allows 1000"),
        (b"GIF89a not really", "A photo", "not an image"),
    ],
    ids=["too-large", "alt-text-too-long", "not-an-image"],
)
def test_images_outside_the_limits_are_permanent_errors(network, media_root, image, alt_text, message):
    with pytest.raises(NetworkError) as raised:
        network.upload_media(image, alt_text)

    assert raised.value.permanent and message in raised.value.message
    assert not LocalNetworkMedia.objects.exists()
    assert not any(media_root.rglob("*.jpg"))


def test_only_jpeg_images_are_accepted(network):
    png = io.BytesIO()
    Image.new("RGB", (10, 10)).save(png, "PNG")

    with pytest.raises(NetworkError, match="JPEG images only"):
        network.upload_media(png.getvalue(), "A picture")


def test_an_image_is_used_once_and_only_by_the_account_that_uploaded_it(network, accounts):
    media_id = network.upload_media(jpeg(), "Class photo")
    other = get_network(accounts.year3)

    with pytest.raises(NetworkError) as raised:
        other.publish(PostPayload(text="Borrowed", media=[media_id]))
    assert raised.value.permanent

    network.publish(PostPayload(text="First use", media=[media_id]))
    with pytest.raises(NetworkError):
        network.publish(PostPayload(text="Second use", media=[media_id]))
    assert list(LocalNetworkPost.objects.values_list("text", flat=True)) == ["First use"]


def test_quoting_a_post_that_is_not_there_is_refused(network):
    deleted = network.publish(PostPayload(text="Gone soon"))
    network.delete(deleted.id)

    for quote_of in ("999999", deleted.id):
        with pytest.raises(NetworkError) as raised:
            network.publish(PostPayload(text="Quoting", quote_of=quote_of))
        assert raised.value.permanent


# Local network: deleting and reading back


def test_delete_keeps_the_row_but_hides_the_post_and_removes_its_images(network, media_root):
    media_id = network.upload_media(jpeg(), "Book week costumes")
    ref = network.publish(PostPayload(text="Book week", media=[media_id]))
    stored = media_root / LocalNetworkMedia.objects.get(pk=media_id).file.name
    assert stored.exists()

    network.delete(ref.id)

    assert LocalNetworkPost.objects.get(pk=ref.id).deleted_at is not None
    assert ref.id not in [post.id for post in network.recent_own_posts()]
    assert not stored.exists()
    media = LocalNetworkMedia.objects.get(pk=media_id)
    assert media.file.name == "" and media.alt_text == "Book week costumes"


def test_deleting_twice_or_an_unknown_id_is_post_not_found(network, accounts):
    ref = network.publish(PostPayload(text="Once"))
    network.delete(ref.id)
    someone_elses = get_network(accounts.year3).publish(PostPayload(text="Not yours"))

    for ref_id in (ref.id, "424242", "not-a-number", someone_elses.id):
        with pytest.raises(PostNotFound) as raised:
            network.delete(ref_id)
        assert raised.value.permanent

    assert LocalNetworkPost.objects.get(pk=someone_elses.id).deleted_at is None


def test_recent_own_posts_are_the_accounts_live_posts_newest_first(network, accounts):
    refs = [network.publish(PostPayload(text=f"Post {n}")) for n in range(4)]
    network.delete(refs[2].id)
    get_network(accounts.year3).publish(PostPayload(text="Another account"))

    recent = network.recent_own_posts(limit=2)

    assert [(post.id, post.text, post.url) for post in recent] == [
        (refs[3].id, "Post 3", refs[3].url),
        (refs[1].id, "Post 1", refs[1].url),
    ]
    assert recent[0].created_at >= recent[1].created_at


def test_a_new_local_account_has_no_followers_or_mentions(network):
    assert network.mentions(since=None) == []
    assert network.followers(cursor=None) == ([], None)


# Local network: reading a post by id (for quotes)


def test_fetch_post_reads_any_accounts_live_post_with_its_author_and_address(network, accounts):
    ref = get_network(accounts.year3).publish(PostPayload(text="Year 3 won the quiz!"))

    fetched = network.fetch_post(ref.id)

    assert (fetched.id, fetched.text, fetched.author_handle, fetched.url) == (
        ref.id,
        "Year 3 won the quiz!",
        "alpha_year3",
        ref.url,
    )


def test_fetch_post_of_a_deleted_or_unknown_post_is_post_not_found(network):
    deleted = network.publish(PostPayload(text="Gone soon"))
    network.delete(deleted.id)

    for post_id in (deleted.id, "999999", "not-a-number"):
        with pytest.raises(PostNotFound):
            network.fetch_post(post_id)


def test_the_local_network_shows_link_previews_like_x(network):
    assert network.capabilities.shows_link_previews
