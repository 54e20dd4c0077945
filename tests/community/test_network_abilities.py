"""What each network lets the portal do about the audience (issue 17): the pages offer an action
only where the account's network allows it and otherwise say what to do by hand; reporting,
removing a follower and limiting replies each go through a service that checks the role and the
school, calls the network outside any transaction, and leaves an audit entry; a refusal from the
network keeps what the admin typed."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from community import audience, capabilities, inbox
from community.capabilities import Action
from community.models import Follower, MentionItem, MentionStatus
from networks import registry
from networks.base import Network, NetworkError, PostPayload
from networks.local import adapter as local
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkFollow, LocalNetworkPost, LocalNetworkReport

ABUSE = "@alpha_school what a shit school, run by idiots"
REASON = "Abusive replies about our staff, three times this week."


def _refuse(operation: str):
    """A network method that must not be called: the portal should have known not to."""

    def refused(self, *args, **kwargs):
        raise AssertionError(f"the portal asked for {operation} on a network that does not offer it")

    return refused


class MastodonLike(LocalNetwork):
    """Mute, block, report and remove a follower; no hidden replies, no reply controls."""

    label = "Mastodon"
    capabilities = replace(LocalNetwork.capabilities, supports_hide_reply=False, supports_reply_controls=False)
    hide_reply = _refuse("hiding a reply")
    set_reply_controls = _refuse("reply controls")


class BlueskyLike(LocalNetwork):
    """Everything but removing a follower."""

    label = "Bluesky"
    capabilities = replace(LocalNetwork.capabilities, supports_remove_follower=False)
    remove_follower = _refuse("removing a follower")


class NoModeration(LocalNetwork):
    """Reads followers and mentions, and offers no moderation at all through its API."""

    label = "Nowhere"
    capabilities = replace(
        LocalNetwork.capabilities,
        supports_mute=False,
        supports_block=False,
        supports_report=False,
        supports_remove_follower=False,
        supports_hide_reply=False,
        supports_reply_controls=False,
    )
    mute = _refuse("muting")
    report = _refuse("reporting")
    remove_follower = _refuse("removing a follower")
    hide_reply = _refuse("hiding a reply")
    set_reply_controls = _refuse("reply controls")
    block = Network.block


class Unreachable(LocalNetwork):
    """Offers everything, but its server does not answer."""

    label = "Mastodon"

    def report(self, user_id, reason, post_ids=None):
        raise NetworkError("The server mastodon.example did not answer: try again in a few minutes.")

    def remove_follower(self, user_id):
        raise NetworkError("The server mastodon.example did not answer: try again in a few minutes.")

    def set_reply_controls(self, post_id, allow):
        raise NetworkError("The server did not answer: try again in a few minutes.")


@pytest.fixture
def network_is(monkeypatch, accounts):
    """Stand `cls` in for every network; `name` is the accounts' network, for its own wording."""

    def use(cls, name="local"):
        monkeypatch.setattr(registry, "network_class", lambda _name: cls)
        for account in (accounts.whole_school, accounts.year3):
            account.network = name
            account.save(update_fields=["network"])

    return use


@pytest.fixture
def troll(db):
    return local.simulate_person(
        "angry_neighbour", display_name="Angry Neighbour", bio="Says it as it is", posts_count=40
    )


@pytest.fixture
def follower(rules, accounts, troll) -> Follower:
    local.simulate_follow(troll, accounts.whole_school)
    audience.sync_followers(accounts.whole_school)
    return Follower.objects.get(account=accounts.whole_school, handle="angry_neighbour")


@pytest.fixture
def our_post(accounts) -> LocalNetworkPost:
    ref = LocalNetwork(accounts.whole_school).publish(PostPayload(text="Sports day is on Friday"))
    return LocalNetworkPost.objects.get(pk=ref.id)


@pytest.fixture
def reply(rules, accounts, troll, our_post) -> MentionItem:
    """An abusive reply to one of the school's own posts, in the inbox."""
    local.simulate_mention(troll, accounts.whole_school, ABUSE, in_reply_to=our_post)
    inbox.fetch_mentions(accounts.whole_school)
    return MentionItem.objects.get(account=accounts.whole_school)


def _actions(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# What each network allows, worded in one place.


def test_the_local_network_allows_every_action(accounts):
    abilities = capabilities.abilities_for(accounts.whole_school)

    assert [ability.kind for ability in abilities.rows] == list(Action)
    assert all(ability.allowed for ability in abilities.rows)
    assert abilities.title == "What the local network lets the portal do"


@pytest.mark.parametrize("action", [a for a in Action if a not in (Action.READ_FOLLOWERS, Action.READ_MENTIONS)])
def test_each_action_a_network_does_not_offer_is_refused_with_what_to_do_instead(accounts, network_is, action):
    network_is(NoModeration)

    refusal = capabilities.refusal(accounts.whole_school, action)

    assert refusal is not None and "is not available on Nowhere." in refusal
    # Then what the admin can do by hand: never just "no".
    assert len(refusal.split(".")) > 2
    assert capabilities.refusal(accounts.year3, Action.READ_FOLLOWERS) is None


def test_x_says_which_tier_it_would_take_and_where_to_act_by_hand(accounts, network_is, settings):
    class XFree(NoModeration):
        label = "X"
        capabilities = replace(NoModeration.capabilities, supports_follower_list=False)

    network_is(XFree, "x")
    settings.X_API_TIER = "free"

    abilities = capabilities.abilities_for(accounts.whole_school)

    assert "only on its Enterprise tier (this portal's X app is on the free tier)" in abilities.refusal(Action.BLOCK)
    assert "X does not let apps report accounts" in abilities.refusal(Action.REPORT)
    assert "choose Hide reply" in abilities.refusal(Action.HIDE_REPLY)
    assert not abilities.abilities[Action.READ_MENTIONS].allowed
    assert "paid API access" in abilities.refusal(Action.READ_MENTIONS)


def test_a_network_that_is_not_set_up_allows_nothing_and_says_so(accounts, monkeypatch):
    def not_set_up(name):
        raise NetworkError("Publishing to Bluesky is not set up yet on this portal.", permanent=True)

    monkeypatch.setattr(registry, "network_class", not_set_up)

    abilities = capabilities.abilities_for(accounts.whole_school)

    assert not any(ability.allowed for ability in abilities.rows)
    assert abilities.refusal(Action.MUTE) == "Publishing to Bluesky is not set up yet on this portal."


# The followers page: the actions, or the plain explanation, and the panel.


def test_the_followers_page_offers_every_action_the_local_network_allows(follower, staff, client_for):
    page = client_for(staff.office).get(reverse("audience_followers")).content.decode()

    assert 'aria-label="Mute @angry_neighbour"' in page
    assert reverse("audience_follower_report", args=[follower.pk]) in page
    assert reverse("audience_follower_remove", args=[follower.pk]) in page
    assert "What the local network lets the portal do" in page
    assert page.count('id="ability-local-') == len(Action)


def test_the_followers_page_explains_what_a_network_cannot_do_instead_of_a_button(
    follower, staff, client_for, network_is
):
    network_is(NoModeration)

    page = client_for(staff.office).get(reverse("audience_followers")).content.decode()

    assert 'aria-label="Mute @angry_neighbour"' not in page
    assert "Mute: Muting accounts is not available on Nowhere. Mute them on Nowhere itself" in page
    assert reverse("audience_follower_report", args=[follower.pk]) not in page
    assert "Report to moderators: Reporting accounts to moderators is not available on Nowhere." in page
    assert reverse("audience_follower_remove", args=[follower.pk]) not in page
    assert "Remove follower: Removing followers is not available on Nowhere." in page
    # Blocking is still offered: the portal records it and guides the admin to block by hand.
    assert "Blocking accounts through the portal is not available on Nowhere." in page
    assert "What Nowhere lets the portal do" in page


def test_bluesky_says_a_follower_can_only_be_blocked_not_removed(follower, staff, client_for, network_is):
    network_is(BlueskyLike, "bluesky")

    page = client_for(staff.office).get(reverse("audience_followers")).content.decode()

    assert "Bluesky has no way to remove a follower other than blocking them" in page
    assert reverse("audience_follower_remove", args=[follower.pk]) not in page
    assert reverse("audience_follower_report", args=[follower.pk]) in page


# Reporting a follower.


def test_reporting_a_follower_reports_on_the_network_and_is_audited(follower, staff, school, troll, client_for):
    response = client_for(staff.office).post(
        reverse("audience_follower_report", args=[follower.pk]), {"reason": REASON}, follow=True
    )

    assert "@angry_neighbour is reported to the moderators on the local network." in response.content.decode()
    report = LocalNetworkReport.objects.get()
    assert (report.user, report.reason, report.post_ids) == (troll, REASON, [])
    [event] = _actions("audience.reported")
    assert event.actor == staff.office.user and event.school == school
    assert event.target_id == str(follower.pk) and event.data["reason"] == REASON


@pytest.mark.parametrize("who", ["teacher", "slt", "computing"])
def test_only_the_headteacher_and_office_admin_report_or_remove(follower, staff, who):
    with pytest.raises(PermissionDenied):
        audience.follower_report(actor=getattr(staff, who), follower=follower, reason=REASON)
    with pytest.raises(PermissionDenied):
        audience.follower_remove(actor=getattr(staff, who), follower=follower, reason=REASON)
    assert not LocalNetworkReport.objects.exists()
    assert LocalNetworkFollow.objects.filter(user__handle="angry_neighbour").exists()


def test_another_schools_headteacher_cannot_report_or_remove_our_follower(follower, outsider, client_for):
    with pytest.raises(PermissionDenied):
        audience.follower_report(actor=outsider.head, follower=follower, reason=REASON)
    client = client_for(outsider.head)
    assert client.post(reverse("audience_follower_report", args=[follower.pk]), {"reason": REASON}).status_code == 404
    assert client.post(reverse("audience_follower_remove", args=[follower.pk]), {"reason": REASON}).status_code == 404
    assert not LocalNetworkReport.objects.exists() and not _actions("follower.removed")


def test_a_teacher_is_refused_the_report_page(follower, staff, client_for):
    response = client_for(staff.teacher).post(reverse("audience_follower_report", args=[follower.pk]), {"reason": "x"})
    assert response.status_code == 403


def test_a_report_the_network_refuses_keeps_the_reason_as_typed(follower, staff, client_for, network_is):
    network_is(Unreachable)

    response = client_for(staff.office).post(
        reverse("audience_follower_report", args=[follower.pk]), {"reason": REASON}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "@angry_neighbour was not reported: The server mastodon.example did not answer" in page
    assert f"{REASON}</textarea>" in page
    assert not _actions("audience.reported")


def test_a_report_needs_a_reason(follower, staff, client_for):
    response = client_for(staff.office).post(reverse("audience_follower_report", args=[follower.pk]), {"reason": " "})

    assert response.status_code == 400
    assert "Say why you are reporting this account" in response.content.decode()
    assert not LocalNetworkReport.objects.exists()


def test_a_network_without_reports_is_never_asked(follower, staff, network_is):
    network_is(NoModeration)

    with pytest.raises(audience.AudienceError, match="Reporting accounts to moderators is not available on Nowhere"):
        audience.follower_report(actor=staff.head, follower=follower, reason=REASON)
    assert not _actions("audience.reported")


# Removing a follower.


def test_removing_a_follower_ends_the_follow_and_is_audited(follower, staff, troll, client_for):
    response = client_for(staff.head).post(
        reverse("audience_follower_remove", args=[follower.pk]), {"reason": REASON}, follow=True
    )

    assert "@angry_neighbour no longer follows @alpha_school." in response.content.decode()
    assert not LocalNetworkFollow.objects.filter(user=troll).exists()
    follower.refresh_from_db()
    assert not follower.still_following and follower.reason == REASON
    assert follower.status == "watched", "decided on, so not back in the review queue if they follow again"
    [event] = _actions("follower.removed")
    assert event.actor == staff.head.user and event.data["reason"] == REASON


def test_a_removal_the_network_refuses_keeps_the_reason_and_the_follower(follower, staff, client_for, network_is):
    network_is(Unreachable)

    response = client_for(staff.office).post(
        reverse("audience_follower_remove", args=[follower.pk]), {"reason": REASON}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "still follows @alpha_school: The server mastodon.example did not answer" in page
    assert f"{REASON}</textarea>" in page
    follower.refresh_from_db()
    assert follower.still_following and not _actions("follower.removed")


def test_muting_where_the_network_cannot_is_refused_before_asking_it(follower, staff, network_is):
    network_is(NoModeration)

    with pytest.raises(audience.AudienceError, match="Muting accounts is not available on Nowhere"):
        audience.follower_mute(actor=staff.office, follower=follower, reason="Rude")
    follower.refresh_from_db()
    assert follower.status == "new" and not _actions("follower.muted")


# The blocked accounts page.


def test_a_blocked_author_is_reported_with_the_posts_kept_as_evidence(reply, staff, troll, client_for, network_is):
    network_is(NoModeration)  # the block is recorded, to be made by hand
    inbox.mention_block_author(actor=staff.office, mention=reply, reason="Abuse")
    network_is(LocalNetwork)
    client = client_for(staff.office)
    block = reply.account.blocked_accounts.get()
    assert (
        reverse("audience_blocked_report", args=[block.pk]) in client.get(reverse("audience_blocked")).content.decode()
    )

    response = client.post(reverse("audience_blocked_report", args=[block.pk]), {"reason": REASON}, follow=True)

    assert "reported to the moderators on the local network with their post." in response.content.decode()
    report = LocalNetworkReport.objects.get()
    assert report.user == troll and report.post_ids == [reply.network_id]
    assert _actions("audience.reported")[0].target_id == str(block.pk)


def test_the_blocked_page_explains_where_reports_are_not_available(reply, staff, client_for, network_is):
    network_is(NoModeration)
    inbox.mention_block_author(actor=staff.office, mention=reply, reason="Abuse")

    page = client_for(staff.office).get(reverse("audience_blocked")).content.decode()

    assert "Report to moderators: Reporting accounts to moderators is not available on Nowhere." in page
    assert "/report/" not in page


def test_a_follower_blocked_by_hand_can_be_removed_meanwhile(follower, staff, troll, client_for, network_is):
    network_is(replace_network(supports_block=False))
    outcome = audience.follower_block(actor=staff.office, follower=follower, reason="Abuse")
    client = client_for(staff.office)
    url = reverse("audience_blocked_remove_follower", args=[outcome.blocked.pk])
    assert url in client.get(reverse("audience_blocked")).content.decode()

    client.post(url, {"reason": "Until we block them on the network"})

    assert not LocalNetworkFollow.objects.filter(user=troll).exists()
    assert _actions("follower.removed")


def replace_network(**capabilities_changed) -> type[LocalNetwork]:
    class Changed(LocalNetwork):
        capabilities = replace(LocalNetwork.capabilities, **capabilities_changed)
        block = Network.block

    return Changed


# The mentions inbox.


def test_the_inbox_offers_hide_limit_and_report_where_the_network_allows(reply, staff, client_for):
    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()

    assert reverse("mention_hide_reply", args=[reply.pk]) in page
    assert reverse("mention_limit_replies", args=[reply.pk]) in page
    assert reverse("mention_report_author", args=[reply.pk]) in page
    assert reverse("mention_mute_author", args=[reply.pk]) in page


def test_the_inbox_says_what_mastodon_cannot_do(reply, staff, client_for, network_is):
    network_is(MastodonLike, "mastodon")

    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()

    assert reverse("mention_hide_reply", args=[reply.pk]) not in page
    assert "Hide reply: Hiding replies is not available on Mastodon. Mastodon has no hidden replies." in page
    assert reverse("mention_limit_replies", args=[reply.pk]) not in page
    assert "Mastodon does not let anyone limit who may reply to a post." in page
    assert reverse("mention_report_author", args=[reply.pk]) in page


def test_the_inbox_says_where_muting_is_not_available(reply, staff, client_for, network_is):
    network_is(NoModeration)

    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()

    assert reverse("mention_mute_author", args=[reply.pk]) not in page
    assert "Mute: Muting accounts is not available on Nowhere." in page
    with pytest.raises(inbox.MentionActionRefused, match="Muting accounts is not available"):
        inbox.mention_mute_author(actor=staff.office, mention=reply)


def test_reporting_from_the_inbox_sends_their_post_and_is_audited(reply, staff, troll, client_for):
    response = client_for(staff.office).post(
        reverse("mention_report_author", args=[reply.pk]), {"reason": REASON, "include_post": "on"}, follow=True
    )

    assert "reported to the moderators on the local network with their post." in response.content.decode()
    report = LocalNetworkReport.objects.get()
    assert report.user == troll and report.post_ids == [reply.network_id]
    reply.refresh_from_db()
    assert reply.status == MentionStatus.REPORTED and reply.reported_at is not None and reply.note == REASON
    assert _actions("mention.report_author")[0].actor == staff.office.user
    assert _actions("audience.reported")[0].data["posts"][0]["text"] == ABUSE


def test_reporting_without_the_post_sends_only_the_account(reply, staff):
    inbox.mention_report_author(actor=staff.head, mention=reply, reason=REASON, include_post=False)

    assert LocalNetworkReport.objects.get().post_ids == []


def test_a_report_from_the_inbox_the_network_refuses_keeps_the_reason(reply, staff, client_for, network_is):
    network_is(Unreachable)

    response = client_for(staff.office).post(reverse("mention_report_author", args=[reply.pk]), {"reason": REASON})

    assert response.status_code == 400
    page = response.content.decode()
    assert "was not reported: The server mastodon.example did not answer" in page
    assert f"{REASON}</textarea>" in page
    reply.refresh_from_db()
    assert reply.status == MentionStatus.NEW and not _actions("mention.report_author")


def test_the_inbox_actions_are_for_the_inbox_team_of_the_school(reply, staff, outsider, client_for):
    for someone in (staff.teacher, staff.slt, outsider.head):
        with pytest.raises(PermissionDenied):
            inbox.mention_report_author(actor=someone, mention=reply, reason=REASON)
        with pytest.raises(PermissionDenied):
            inbox.mention_limit_replies(actor=someone, mention=reply, allow="nobody")
    assert client_for(outsider.head).post(reverse("mention_limit_replies", args=[reply.pk])).status_code == 404
    assert not LocalNetworkReport.objects.exists()
    assert LocalNetworkPost.objects.get(pk=reply.conversation_id).reply_controls == "everyone"


def test_limiting_replies_changes_the_schools_post_and_is_audited(reply, staff, troll, our_post, client_for):
    response = client_for(staff.head).post(
        reverse("mention_limit_replies", args=[reply.pk]), {"allow": "nobody"}, follow=True
    )

    assert "Who may reply to the conversation @alpha_school started: nobody." in response.content.decode()
    our_post.refresh_from_db()
    assert our_post.reply_controls == "nobody"
    [event] = _actions("mention.limit_replies")
    assert event.actor == staff.head.user and event.data["allow"] == "nobody"
    # On the local network the limit holds: the next reply is refused.
    with pytest.raises(NetworkError, match="cannot reply"):
        local.simulate_mention(troll, reply.account, "@alpha_school again", in_reply_to=our_post)
    timeline = client_for(staff.head).get(reverse("local_timeline", args=["alpha_school"])).content.decode()
    assert "Who can reply: nobody." in timeline


def test_limiting_replies_needs_a_reply_to_the_schools_own_post(rules, accounts, troll, staff):
    local.simulate_mention(troll, accounts.whole_school, ABUSE, created_at=timezone.now() - timedelta(minutes=1))
    inbox.fetch_mentions(accounts.whole_school)
    mention = MentionItem.objects.get()

    with pytest.raises(inbox.MentionActionRefused, match="no post of the school's to limit replies on"):
        inbox.mention_limit_replies(actor=staff.head, mention=mention, allow="nobody")
    assert not _actions("mention.limit_replies")


def test_a_limit_the_network_refuses_is_shown_and_not_recorded(reply, staff, client_for, network_is):
    network_is(Unreachable)

    response = client_for(staff.office).post(reverse("mention_limit_replies", args=[reply.pk]), {"allow": "following"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Who may reply was not changed: The server did not answer" in page
    assert '<option value="following" selected>' in page
    assert not _actions("mention.limit_replies")
