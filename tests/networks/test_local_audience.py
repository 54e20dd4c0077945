"""The local network's simulated audience: people who follow, mention, reply; and what the
school's account can do about them through the adapter (mute, block, hide a reply, follow)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from networks.base import NetworkError, PostNotFound, PostPayload
from networks.local import adapter as local
from networks.local.models import LocalNetworkFollow, LocalNetworkPost, LocalNetworkRelation, LocalNetworkReport
from networks.registry import get_network


@pytest.fixture
def network(accounts):
    return get_network(accounts.whole_school)


@pytest.fixture
def sam(db):
    return local.simulate_person(
        "sam_reads",
        display_name="Sam Reads",
        bio="Parent and governor. Loves a good book.",
        created_at=timezone.now() - timedelta(days=900),
        followers_count=120,
        following_count=80,
        posts_count=350,
    )


@pytest.fixture
def troll(db):
    return local.simulate_person("user84920571", display_name="", bio="")


def test_the_local_network_says_what_it_supports(network):
    caps = network.capabilities
    assert caps.supports_block and caps.supports_follower_list and caps.supports_hide_reply


def test_followers_are_listed_with_their_profiles(network, accounts, sam, troll):
    local.simulate_follow(sam, accounts.whole_school)
    local.simulate_follow(troll, accounts.whole_school)
    local.simulate_follow(troll, accounts.year3)  # another account's follower is not ours

    followers, cursor = network.followers()

    assert cursor is None
    assert [f.handle for f in followers] == ["sam_reads", "user84920571"]
    assert followers[0].id == str(sam.pk)
    assert followers[0].description == "Parent and governor. Loves a good book."
    assert followers[0].posts_count == 350
    assert followers[0].url.endswith(reverse("local_person", args=["sam_reads"]))


def test_followers_come_in_pages(network, accounts, monkeypatch):
    monkeypatch.setattr(local, "FOLLOWERS_PAGE_SIZE", 2)
    for n in range(5):
        local.simulate_follow(local.simulate_person(f"reader{n}"), accounts.whole_school)

    seen, cursor, pages = [], None, 0
    while True:
        page, cursor = network.followers(cursor)
        seen += [f.handle for f in page]
        pages += 1
        if cursor is None:
            break

    assert pages == 3
    assert seen == [f"reader{n}" for n in range(5)]


def test_mentions_come_oldest_first_after_since(network, accounts, sam, troll):
    first = local.simulate_mention(sam, accounts.whole_school, "Well done @alpha_school on the fair!")
    second = local.simulate_mention(troll, accounts.whole_school, "@alpha_school rubbish school")
    local.simulate_mention(sam, accounts.year3, "@alpha_year3 lovely volcanoes")

    everything = network.mentions()
    after_first = network.mentions(since=str(first.pk))

    assert [m.id for m in everything] == [str(first.pk), str(second.pk)]
    assert everything[0].author.handle == "sam_reads"
    assert everything[0].text == "Well done @alpha_school on the fair!"
    assert everything[0].url.endswith(f"#mention-{first.pk}")
    assert [m.id for m in after_first] == [str(second.pk)]


def test_a_reply_knows_its_conversation(network, accounts, sam):
    ours = network.publish(PostPayload(text="Sports day is on Friday."))
    our_reply = network.publish(PostPayload(text="Bring a water bottle.", reply_to=ours.id))
    reply = local.simulate_mention(
        sam,
        accounts.whole_school,
        "@alpha_school what time?",
        in_reply_to=local.LocalNetworkPost.objects.get(pk=our_reply.id),
    )

    (mention,) = network.mentions()

    assert mention.id == str(reply.pk)
    assert mention.in_reply_to == our_reply.id
    assert mention.conversation_id == ours.id


def test_blocking_stops_their_mentions_and_their_follow(network, accounts, sam, troll):
    local.simulate_follow(troll, accounts.whole_school)
    local.simulate_follow(sam, accounts.whole_school)
    local.simulate_mention(troll, accounts.whole_school, "@alpha_school rubbish")
    network.follow(str(troll.pk))

    network.block(str(troll.pk))

    assert [f.handle for f in network.followers()[0]] == ["sam_reads"]
    assert network.mentions() == []
    assert not LocalNetworkFollow.objects.filter(user=troll).exists()
    with pytest.raises(NetworkError, match="blocked"):
        local.simulate_follow(troll, accounts.whole_school)


def test_unblocking_shows_their_mentions_again_but_they_do_not_follow_again(network, accounts, troll):
    local.simulate_follow(troll, accounts.whole_school)
    local.simulate_mention(troll, accounts.whole_school, "@alpha_school hello")
    network.block(str(troll.pk))

    network.unblock(str(troll.pk))

    assert len(network.mentions()) == 1
    assert network.followers()[0] == []


def test_muting_keeps_them_as_a_follower_and_their_mentions_visible(network, accounts, troll):
    local.simulate_follow(troll, accounts.whole_school)
    local.simulate_mention(troll, accounts.whole_school, "@alpha_school hello")

    network.mute(str(troll.pk))
    network.mute(str(troll.pk))  # muting twice is harmless

    assert LocalNetworkRelation.objects.filter(user=troll, kind="mute").count() == 1
    assert len(network.followers()[0]) == 1 and len(network.mentions()) == 1
    network.unmute(str(troll.pk))
    assert not LocalNetworkRelation.objects.filter(user=troll).exists()


def test_a_reply_in_our_own_conversation_can_be_hidden(network, accounts, troll):
    ours = network.publish(PostPayload(text="Our new library is open."))
    reply = local.simulate_mention(
        troll, accounts.whole_school, "@alpha_school boring", in_reply_to=local.LocalNetworkPost.objects.get(pk=ours.id)
    )

    network.hide_reply(str(reply.pk))

    reply.refresh_from_db()
    assert reply.hidden_at is not None


def test_a_mention_that_is_not_a_reply_to_our_conversation_cannot_be_hidden(network, accounts, troll, outsider):
    plain = local.simulate_mention(troll, accounts.whole_school, "@alpha_school hello")
    theirs = get_network(outsider.account).publish(PostPayload(text="Beta news"))
    in_their_thread = local.simulate_mention(
        troll,
        accounts.whole_school,
        "@alpha_school @beta_school hi",
        in_reply_to=local.LocalNetworkPost.objects.get(pk=theirs.id),
    )

    for mention in (plain, in_their_thread):
        with pytest.raises(NetworkError, match="conversations that @alpha_school started") as raised:
            network.hide_reply(str(mention.pk))
        assert raised.value.permanent
    with pytest.raises(PostNotFound):
        network.hide_reply("999999")


def test_following_and_unfollowing_someone(network, accounts, sam):
    found = network.user_by_handle("@Sam_Reads")
    network.follow(found.id)
    network.follow(found.id)

    assert LocalNetworkFollow.objects.filter(user=sam, direction="account_follows_user").count() == 1
    network.unfollow(found.id)
    assert not LocalNetworkFollow.objects.filter(user=sam).exists()


def test_a_blocked_person_cannot_be_followed(network, sam):
    network.block(str(sam.pk))
    with pytest.raises(NetworkError, match="unblock them first"):
        network.follow(str(sam.pk))


def test_looking_up_someone_who_is_not_there(network, db):
    with pytest.raises(NetworkError, match="nobody called @nobody_here") as raised:
        network.user_by_handle("nobody_here")
    assert raised.value.permanent
    with pytest.raises(NetworkError, match="no user 12345"):
        network.mute("12345")


def test_block_url_is_the_persons_public_profile(client, network, accounts, sam):
    local.simulate_mention(sam, accounts.whole_school, "Thank you @alpha_school for the concert")
    url = network.block_url(network.user_by_handle("sam_reads"))
    path = reverse("local_person", args=["sam_reads"])
    assert url.endswith(path)

    response = client.get(path)

    assertContains(response, "<h1>Sam Reads</h1>", html=True)
    assertContains(response, "Parent and governor. Loves a good book.")
    assertContains(response, "Thank you @alpha_school for the concert")
    assert client.get(reverse("local_person", args=["nobody_here"])).status_code == 404


def test_the_profile_marks_hidden_replies_and_escapes_text(client, network, accounts, troll):
    ours = network.publish(PostPayload(text="Our new library is open."))
    reply = local.simulate_mention(
        troll, accounts.whole_school, "<b>shouting</b>", in_reply_to=local.LocalNetworkPost.objects.get(pk=ours.id)
    )
    network.hide_reply(str(reply.pk))

    response = client.get(reverse("local_person", args=[troll.handle]))

    assertContains(response, "hidden by @alpha_school")
    assertContains(response, "&lt;b&gt;shouting&lt;/b&gt;")
    assertNotContains(response, "<b>shouting</b>")


# Reporting, removing a follower and limiting replies (issue 17).


def test_a_report_is_kept_with_the_reason_and_the_reported_posts(network, accounts, troll):
    mention = local.simulate_mention(troll, accounts.whole_school, "@alpha_school rubbish")

    network.report(str(troll.pk), "Abusive", [str(mention.pk)])

    report = LocalNetworkReport.objects.get()
    assert (report.account, report.user, report.reason, report.post_ids) == (
        accounts.whole_school,
        troll,
        "Abusive",
        [str(mention.pk)],
    )


def test_a_report_cannot_carry_someone_elses_post(network, accounts, troll, sam):
    theirs = local.simulate_mention(sam, accounts.whole_school, "@alpha_school lovely")

    with pytest.raises(NetworkError, match="Only posts by @user84920571"):
        network.report(str(troll.pk), "Abusive", [str(theirs.pk)])
    assert not LocalNetworkReport.objects.exists()


def test_removing_a_follower_ends_their_follow_and_they_may_follow_again(network, accounts, troll):
    local.simulate_follow(troll, accounts.whole_school)

    network.remove_follower(str(troll.pk))
    network.remove_follower(str(troll.pk))  # already gone: nothing to do

    assert not LocalNetworkFollow.objects.filter(user=troll).exists()
    local.simulate_follow(troll, accounts.whole_school)
    assert LocalNetworkFollow.objects.filter(user=troll).exists()


def test_reply_controls_hold_for_the_whole_conversation(network, accounts, troll, sam):
    ours = network.publish(PostPayload(text="Sports day, with thanks to @sam_reads"))
    post = LocalNetworkPost.objects.get(pk=ours.id)
    first = local.simulate_mention(sam, accounts.whole_school, "@alpha_school thanks!", in_reply_to=post)

    network.set_reply_controls(ours.id, "mentioned")

    with pytest.raises(NetworkError, match="cannot reply"):
        local.simulate_mention(troll, accounts.whole_school, "@alpha_school boo", in_reply_to=post)
    assert local.simulate_mention(sam, accounts.whole_school, "@alpha_school again", in_reply_to=post)
    assert first.conversation_root == post
    network.set_reply_controls(ours.id, "everyone")
    assert local.simulate_mention(troll, accounts.whole_school, "@alpha_school ok", in_reply_to=post)


def test_reply_controls_are_only_for_the_accounts_own_live_posts(network, accounts):
    theirs = get_network(accounts.year3).publish(PostPayload(text="Year 3 news"))

    with pytest.raises(PostNotFound):
        network.set_reply_controls(theirs.id, "nobody")
    with pytest.raises(NetworkError, match="not a choice"):
        network.set_reply_controls(theirs.id, "friends")
    assert LocalNetworkPost.objects.get(pk=theirs.id).reply_controls == "everyone"
