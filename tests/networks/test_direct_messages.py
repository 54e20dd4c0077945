"""Private messages (issue 18) through each network's adapter: the local network's own rows, and
X against its stub server (every request checked against X's API description)."""

import pytest

from networks.base import NetworkError
from networks.local import adapter as local
from networks.local.models import LocalNetworkDirectMessage, LocalNetworkRelation
from networks.registry import get_network
from networks.x.adapter import tier_capabilities
from tests.factories import make_account

# The local network.


@pytest.fixture
def local_account(school):
    return make_account(school, "local_school")


@pytest.fixture
def visitor():
    return local.simulate_person("museum_outreach", display_name="Town Museum")


def test_local_network_sends_a_message_to_a_person(local_account, visitor):
    sent = get_network(local_account).send_direct_message("@museum_outreach", "Could Year 4 visit on Friday?")

    message = LocalNetworkDirectMessage.objects.get(pk=int(sent.id))
    assert message.person == visitor
    assert message.direction == LocalNetworkDirectMessage.Direction.FROM_ACCOUNT
    assert message.text == "Could Year 4 visit on Friday?"


def test_local_network_send_with_the_same_key_sends_once(local_account, visitor):
    network = get_network(local_account)
    first = network.send_direct_message("museum_outreach", "Our visit", idempotency_key="message-1")
    again = network.send_direct_message("museum_outreach", "Our visit", idempotency_key="message-1")

    assert first.id == again.id
    assert LocalNetworkDirectMessage.objects.count() == 1


def test_local_network_refuses_an_unknown_recipient(local_account):
    with pytest.raises(NetworkError) as refused:
        get_network(local_account).send_direct_message("nobody_here", "Hello")

    assert refused.value.permanent
    assert "nobody called @nobody_here" in refused.value.message


def test_local_network_reads_messages_sent_to_the_account_after_a_cursor(local_account, visitor):
    first = local.simulate_message(visitor, local_account, "Thank you for the visit")
    local.simulate_message(visitor, local_account, "Here are the worksheets")
    get_network(local_account).send_direct_message("museum_outreach", "Our reply")

    everything = get_network(local_account).direct_messages()
    later = get_network(local_account).direct_messages(since=str(first.pk))

    assert [m.text for m in everything] == ["Thank you for the visit", "Here are the worksheets"]
    assert [m.text for m in later] == ["Here are the worksheets"]
    assert later[0].sender.handle == "museum_outreach"


def test_local_network_stops_delivering_a_blocked_persons_messages(local_account, visitor):
    local.simulate_message(visitor, local_account, "Hello")
    LocalNetworkRelation.objects.create(account=local_account, user=visitor, kind=LocalNetworkRelation.Kind.BLOCK)

    assert get_network(local_account).direct_messages() == []
    with pytest.raises(NetworkError):
        local.simulate_message(visitor, local_account, "Hello again")


# X: paid tiers only.


@pytest.fixture
def x_user(x_stub):
    return x_stub.add_user("alpha_school", name="Alpha Primary")


@pytest.fixture
def x_account(school, x_stub, x_user):
    account = make_account(school, "alpha_school")
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(x_user)
    account.save()
    return account


def test_x_says_private_messages_need_a_paid_tier():
    free = tier_capabilities("free")

    assert not free.supports_direct_messages
    assert "paid API access" in free.direct_messages_note
    assert tier_capabilities("basic").supports_direct_messages


def test_x_on_the_free_tier_refuses_before_calling_x(x_stub, x_account):
    with pytest.raises(NetworkError) as refused:
        get_network(x_account).send_direct_message("someone", "Hello")

    assert refused.value.permanent
    assert "paid API access" in refused.value.message
    assert x_stub.requests_to("POST /2/dm_conversations/with/{participant_id}/messages") == []


def test_x_sends_a_message_to_a_handle_on_a_paid_tier(x_stub, x_account, x_user):
    x_stub.use_tier("basic")
    museum = x_stub.add_user("town_museum", name="Town Museum")

    sent = get_network(x_account).send_direct_message("@town_museum", "Could Year 4 visit on Friday?")

    [event] = x_stub.direct_messages_to(museum)
    assert event["text"] == "Could Year 4 visit on Friday?"
    assert event["sender_id"] == x_user.id
    assert sent.id == event["id"]


def test_x_reads_messages_sent_to_the_account_after_a_cursor(x_stub, x_account, x_user):
    x_stub.use_tier("basic")
    museum = x_stub.add_user("town_museum", name="Town Museum")
    first = x_stub.add_direct_message(museum, x_user, "Thank you for visiting")
    x_stub.add_direct_message(x_user, museum, "Our reply")
    x_stub.add_direct_message(museum, x_user, "Here are the worksheets")
    network = get_network(x_account)

    everything = network.direct_messages()
    later = network.direct_messages(since=first["id"])

    assert [m.text for m in everything] == ["Thank you for visiting", "Here are the worksheets"]
    assert [m.text for m in later] == ["Here are the worksheets"]
    assert later[0].sender.handle == "town_museum"


def test_x_maps_a_server_error_on_send_to_an_unknown_outcome(x_stub, x_account):
    x_stub.use_tier("basic")
    x_stub.add_user("town_museum")
    x_stub.fail_next("POST /2/dm_conversations/with/{participant_id}/messages", 503, apply=True)

    with pytest.raises(NetworkError) as failed:
        get_network(x_account).send_direct_message("town_museum", "Hello")

    assert failed.value.outcome_unknown
    assert not failed.value.permanent


# Mastodon: a private message is a "direct" status that mentions the person.


@pytest.fixture
def mastodon_school(mastodon_stub):
    return mastodon_stub.add_account("alpha_year3", display_name="Alpha Year 3")


@pytest.fixture
def mastodon_account(school, mastodon_stub, mastodon_school):
    account = make_account(school, "alpha_year3")
    account.network = "mastodon"
    account.credentials, account.network_settings = mastodon_stub.connect(mastodon_school)
    account.save()
    return account


def test_mastodon_says_who_else_can_read_a_private_message(mastodon_account):
    caps = get_network(mastodon_account).limits

    assert caps.supports_direct_messages
    assert "administrators of both servers" in caps.direct_messages_note


def test_mastodon_sends_a_direct_status_that_mentions_the_recipient(mastodon_stub, mastodon_account, mastodon_school):
    museum = mastodon_stub.add_account("town_museum")

    sent = get_network(mastodon_account).send_direct_message("@town_museum", "Could Year 3 visit on Friday?")

    [status] = mastodon_stub.statuses_by(mastodon_school)
    assert status["visibility"] == "direct" and status["id"] == sent.id
    assert status["text"] == "@town_museum Could Year 3 visit on Friday?"
    assert [n["status_id"] for n in mastodon_stub.notifications_of(museum)] == [sent.id]


def test_mastodon_sends_once_when_the_same_key_is_sent_again(mastodon_stub, mastodon_account, mastodon_school):
    mastodon_stub.add_account("town_museum")
    network = get_network(mastodon_account)

    first = network.send_direct_message("town_museum", "Hello", idempotency_key="message-7")
    again = network.send_direct_message("town_museum", "Hello", idempotency_key="message-7")

    assert first.id == again.id and len(mastodon_stub.statuses_by(mastodon_school)) == 1


def test_mastodon_reads_direct_statuses_as_messages_and_keeps_them_out_of_mentions(
    mastodon_stub, mastodon_account, mastodon_school
):
    parent = mastodon_stub.add_account("proud_parent")
    mastodon_stub.add_mention(mastodon_school, parent, "@alpha_year3 lovely photos")
    first = mastodon_stub.add_direct_message(mastodon_school, parent, "Can I help on the trip?")
    mastodon_stub.add_direct_message(mastodon_school, parent, "I have a minibus licence")
    network = get_network(mastodon_account)

    received = network.direct_messages()
    later = network.direct_messages(since=first["id"])

    assert [m.text for m in received] == [
        "@alpha_year3 Can I help on the trip?",
        "@alpha_year3 I have a minibus licence",
    ]
    assert [m.text for m in later] == ["@alpha_year3 I have a minibus licence"]
    assert received[0].sender.handle == "proud_parent"
    assert [m.text for m in network.mentions()] == ["@alpha_year3 lovely photos"]


def test_mastodon_refusal_is_a_permanent_error(mastodon_stub, mastodon_account):
    mastodon_stub.fail_next("POST /api/v1/statuses", 422, body={"error": "Validation failed: Text can't be blank"})

    with pytest.raises(NetworkError) as refused:
        get_network(mastodon_account).send_direct_message("town_museum", "Hello")

    assert refused.value.permanent


# Bluesky: chat through the account's server, with an app password that allows direct messages.


@pytest.fixture
def bsky_user(bluesky_stub):
    return bluesky_stub.add_user("alpha.bsky.social", display_name="Alpha Primary")


@pytest.fixture
def bsky_account(school, bluesky_stub, bsky_user):
    account = make_account(school, "alpha.bsky.social")
    account.network = "bluesky"
    account.credentials = bluesky_stub.credentials(bsky_user)
    account.save()
    return account


def test_bluesky_sends_a_message_through_the_chat_proxy(bluesky_stub, bsky_account, bsky_user):
    museum = bluesky_stub.add_user("museum.bsky.social")

    sent = get_network(bsky_account).send_direct_message("@museum.bsky.social", "Could Year 3 visit on Friday?")

    [message] = bluesky_stub.direct_messages_to(museum)
    assert message["text"] == "Could Year 3 visit on Friday?" and message["sender"] == bsky_user.did
    assert sent.id == message["id"]
    assert all(
        r.headers.get("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat"
        for r in bluesky_stub.requests
        if r.nsid.startswith("chat.")
    )


def test_bluesky_reads_messages_sent_to_the_account_after_a_cursor(bluesky_stub, bsky_account, bsky_user):
    parent = bluesky_stub.add_user("parent.bsky.social")
    bluesky_stub.add_direct_message(parent, bsky_user, "Can I help on the trip?")
    bluesky_stub.add_direct_message(bsky_user, parent, "Thank you, yes please")
    bluesky_stub.add_direct_message(parent, bsky_user, "I will bring my DBS certificate")
    network = get_network(bsky_account)

    received = network.direct_messages()
    later = network.direct_messages(since=received[0].id)

    assert [m.text for m in received] == ["Can I help on the trip?", "I will bring my DBS certificate"]
    assert [m.text for m in later] == ["I will bring my DBS certificate"]
    assert received[0].sender.handle == "parent.bsky.social"


def test_bluesky_says_plainly_when_the_app_password_has_no_message_access(bluesky_stub, bsky_account, bsky_user):
    bluesky_stub.add_user("museum.bsky.social")
    bluesky_stub.deny_chat(bsky_user)

    with pytest.raises(NetworkError) as refused:
        get_network(bsky_account).send_direct_message("museum.bsky.social", "Hello")

    assert refused.value.permanent
    assert "Allow access to your direct messages" in refused.value.message
    assert get_network(bsky_account).limits.supports_direct_messages
