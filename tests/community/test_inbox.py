"""The mentions inbox: mentions fetched through the adapter and screened with the school's rules,
and every decision about one (fine, hide, mute, block, reported, escalate) with its audit entry.

Mentions come from the local network's simulated people (networks.local.adapter); a small fake
adapter stands in for a network that cannot do something (X outside its paid tiers)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from community import inbox
from community.models import BlockedAccount, Incident, MentionItem, MentionStatus, MentionSync
from community.tasks import fetch_mentions_of_account
from moderation.services import seed_default_rules
from networks import registry
from networks.base import Capabilities, LengthRule, Mention, NetworkError, NetworkUser, OwnPost, PostPayload
from networks.local.adapter import LocalNetwork, simulate_mention, simulate_person
from networks.local.models import LocalNetworkMention, LocalNetworkPost, LocalNetworkRelation

ABUSE = "@alpha_school what a shit school, run by idiots"
KIND = "@alpha_school Lovely to see the volcanoes, well done Year 3!"


@pytest.fixture
def rules(school):
    return seed_default_rules(school)


@pytest.fixture
def troll(db):
    return simulate_person("angry_neighbour_1987", display_name="Angry Neighbour", bio="Says it as it is")


@pytest.fixture
def parent(db):
    return simulate_person("proud_parent", display_name="A Proud Parent", bio="Mum of two")


def _audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def _fetched(account) -> list[MentionItem]:
    inbox.fetch_mentions(account)
    return list(MentionItem.objects.filter(account=account).order_by("pk"))


class FakeNetwork(LocalNetwork):
    """A network like X on a plan without blocking or hiding replies: the local network's
    mentions and mutes, but no hide_reply and no block through the API."""

    label = "Fake X"
    capabilities = Capabilities(
        max_length=280,
        length_rule=LengthRule.X_WEIGHTED,
        max_images=4,
        max_image_bytes=5 * 1024 * 1024,
        alt_text_limit=1000,
        supports_block=False,
        supports_hide_reply=False,
        supports_mute=True,
    )

    def block(self, user_id: str) -> None:
        raise self._unavailable("Blocking an account")

    def hide_reply(self, post_id: str) -> None:
        raise self._unavailable("Hiding a reply")


class NoMentionsNetwork(LocalNetwork):
    label = "Fake X"

    def mentions(self, since=None):
        raise NetworkError("Reading mentions needs the Basic plan or above on Fake X.", permanent=True)


@pytest.fixture
def use_network(monkeypatch):
    def use(network_class):
        monkeypatch.setattr(registry, "network_class", lambda name: network_class)

    return use


# Fetching and screening.


def test_abusive_mentions_are_flagged_and_kind_ones_are_not(rules, accounts, troll, parent):
    simulate_mention(troll, accounts.whole_school, ABUSE)
    simulate_mention(parent, accounts.whole_school, KIND)

    abusive, kind = _fetched(accounts.whole_school)

    assert abusive.flagged and abusive.author_handle == "angry_neighbour_1987"
    assert [finding["rule"] for finding in abusive.findings] == ["offensive_language", "tone"]
    assert ABUSE[abusive.findings[0]["start"] : abusive.findings[0]["end"]] == "shit"
    # Every mention names our account: the rule about whom *we* tag must not flag them all.
    assert not kind.flagged and kind.findings == []
    assert kind.status == MentionStatus.NEW


def test_fetch_continues_from_where_it_stopped(rules, accounts, troll, parent):
    simulate_mention(troll, accounts.whole_school, ABUSE)
    assert inbox.fetch_mentions(accounts.whole_school) == 1
    assert inbox.fetch_mentions(accounts.whole_school) == 0

    later = simulate_mention(parent, accounts.whole_school, KIND)

    assert inbox.fetch_mentions(accounts.whole_school) == 1
    assert MentionSync.objects.get(account=accounts.whole_school).since_id == str(later.pk)
    assert MentionItem.objects.filter(account=accounts.whole_school).count() == 2


def test_a_network_without_mentions_is_recorded_not_raised(rules, accounts, use_network, client_for, staff):
    use_network(NoMentionsNetwork)

    assert fetch_mentions_of_account(accounts.whole_school.pk) == 0

    sync = MentionSync.objects.get(account=accounts.whole_school)
    assert sync.unsupported and "Basic plan" in sync.last_error
    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()
    assert "the portal cannot read this account's mentions" in page and "Basic plan" in page


def test_the_beat_task_survives_an_unexpected_failure(rules, accounts, use_network):
    class Broken(LocalNetwork):
        def mentions(self, since=None):
            raise RuntimeError("boom")

    use_network(Broken)

    assert fetch_mentions_of_account(accounts.whole_school.pk) == 0


def test_replies_in_our_own_conversations_are_recognised(rules, accounts, troll, parent, outsider):
    ours = LocalNetwork(accounts.whole_school).publish(PostPayload(text="Sports day is on Friday"))
    theirs = LocalNetwork(outsider.account).publish(PostPayload(text="Beta's sports day"))
    simulate_mention(
        troll, accounts.whole_school, "@alpha_school rubbish", in_reply_to=LocalNetworkPost.objects.get(pk=ours.id)
    )
    simulate_mention(
        parent,
        accounts.whole_school,
        "@beta_school @alpha_school see you there",
        in_reply_to=LocalNetworkPost.objects.get(pk=theirs.id),
    )

    in_ours, in_theirs = _fetched(accounts.whole_school)

    assert in_ours.is_reply_to_our_conversation
    assert in_theirs.in_reply_to and not in_theirs.is_reply_to_our_conversation


def test_a_reply_is_recognised_by_its_conversation_when_the_network_does_not_say_what_it_replies_to(
    rules, accounts, use_network
):
    """X gives a mention's conversation but not always the post it replies to."""
    posted = timezone.now()

    class XLike(LocalNetwork):
        def recent_own_posts(self, limit=20):
            return [OwnPost(id="1000", text="Sports day", created_at=posted, url="https://x.test/alpha/1000")]

        def mentions(self, since=None):
            someone = NetworkUser(id="7", handle="someone")
            return [
                Mention(
                    id="1001",
                    text="@alpha_school great",
                    created_at=posted,
                    author=someone,
                    url="",
                    conversation_id="1000",
                ),
                Mention(
                    id="1002",
                    text="@alpha_school hello",
                    created_at=posted,
                    author=someone,
                    url="",
                    conversation_id="1002",
                ),
                Mention(
                    id="1003", text="@alpha_school no", created_at=posted, author=someone, url="", conversation_id="555"
                ),
            ]

    use_network(XLike)

    in_ours, starts_one, in_another = _fetched(accounts.whole_school)

    assert in_ours.is_reply and in_ours.is_reply_to_our_conversation
    assert not starts_one.is_reply and not starts_one.is_reply_to_our_conversation
    assert in_another.is_reply and not in_another.is_reply_to_our_conversation


# The inbox page.


def test_inbox_shows_flagged_first_with_findings_highlighted(rules, accounts, troll, parent, client_for, staff):
    simulate_mention(troll, accounts.whole_school, ABUSE, created_at=timezone.now() - timedelta(hours=2))
    simulate_mention(parent, accounts.whole_school, KIND)
    inbox.fetch_mentions(accounts.whole_school)

    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()

    assert page.index("angry_neighbour_1987") < page.index("proud_parent"), "flagged comes first, though older"
    assert "<mark>shit</mark>" in page and "“shit” is offensive or unsuitable language." in page
    assert "See it on the network" in page


def test_inbox_filters_by_account_and_status(rules, accounts, troll, client_for, staff):
    simulate_mention(troll, accounts.whole_school, ABUSE)
    simulate_mention(troll, accounts.year3, "@alpha_year3 nice volcanoes")
    inbox.fetch_mentions(accounts.whole_school)
    inbox.fetch_mentions(accounts.year3)
    client = client_for(staff.head)

    year3_only = client.get(reverse("inbox_list"), {"account": accounts.year3.pk}).content.decode()
    assert "nice volcanoes" in year3_only and "shit school" not in year3_only

    item = MentionItem.objects.get(account=accounts.year3)
    client.post(reverse("mention_mark_ok", args=[item.pk]))
    waiting = client.get(reverse("inbox_list")).content.decode()
    decided = client.get(reverse("inbox_list"), {"status": "ok"}).content.decode()
    assert "nice volcanoes" not in waiting and "nice volcanoes" in decided


def test_inbox_shows_nothing_of_another_school(rules, accounts, troll, outsider, client_for, staff):
    simulate_mention(troll, outsider.account, "@beta_school secret beta business")
    inbox.fetch_mentions(outsider.account)

    page = client_for(staff.head).get(reverse("inbox_list")).content.decode()

    assert "secret beta business" not in page


# Actions, each with its audit entry.


@pytest.fixture
def abusive(rules, accounts, troll):
    simulate_mention(troll, accounts.whole_school, ABUSE)
    inbox.fetch_mentions(accounts.whole_school)
    return MentionItem.objects.get(account=accounts.whole_school)


def test_mark_ok(abusive, staff):
    inbox.mention_mark_ok(actor=staff.office, mention=abusive, note="Robust but fair")

    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.OK and abusive.decided_by == staff.office.user
    [event] = _audit("mention.mark_ok")
    assert event.actor == staff.office.user and event.data["note"] == "Robust but fair"


def test_hide_a_reply_in_our_conversation(rules, accounts, troll, staff):
    ours = LocalNetwork(accounts.whole_school).publish(PostPayload(text="Sports day is on Friday"))
    reply = simulate_mention(troll, accounts.whole_school, ABUSE, in_reply_to=LocalNetworkPost.objects.get(pk=ours.id))
    [item] = _fetched(accounts.whole_school)

    inbox.mention_hide_reply(actor=staff.head, mention=item)

    item.refresh_from_db()
    assert item.status == MentionStatus.HIDDEN
    assert LocalNetworkMention.objects.get(pk=reply.pk).hidden_at is not None
    assert _audit("mention.hide_reply")[0].target_id == str(item.pk)


def test_hiding_is_refused_outside_our_conversations(abusive, staff):
    with pytest.raises(inbox.MentionActionRefused, match="not a reply"):
        inbox.mention_hide_reply(actor=staff.head, mention=abusive)

    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.NEW and not _audit("mention.hide_reply")


def test_hiding_is_refused_where_the_network_does_not_allow_it(rules, accounts, troll, staff, use_network, client_for):
    ours = LocalNetwork(accounts.whole_school).publish(PostPayload(text="Sports day is on Friday"))
    simulate_mention(troll, accounts.whole_school, ABUSE, in_reply_to=LocalNetworkPost.objects.get(pk=ours.id))
    use_network(FakeNetwork)
    [item] = _fetched(accounts.whole_school)
    assert item.is_reply_to_our_conversation

    response = client_for(staff.office).post(reverse("mention_hide_reply", args=[item.pk]), follow=True)

    assert "Hiding replies is not available on Fake X." in response.content.decode()
    item.refresh_from_db()
    assert item.status == MentionStatus.NEW and not _audit("mention.hide_reply")


def test_mute_the_author(abusive, staff, troll):
    inbox.mention_mute_author(actor=staff.office, mention=abusive)

    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.AUTHOR_MUTED
    assert LocalNetworkRelation.objects.filter(user=troll, kind="mute").exists()
    assert _audit("mention.mute_author")[0].actor == staff.office.user


def test_block_the_author_through_the_network(abusive, staff, troll, accounts, parent, client_for):
    response = client_for(staff.office).post(
        reverse("mention_block_author", args=[abusive.pk]), {"reason": "Abuse about the school"}, follow=True
    )

    assert "@angry_neighbour_1987 is blocked from @alpha_school." in response.content.decode()
    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.AUTHOR_BLOCKED
    block = BlockedAccount.objects.get(account=accounts.whole_school, network_user_id=str(troll.pk))
    assert block.how == BlockedAccount.How.API and block.reason == "Abuse about the school"
    assert block.evidence["posts"][0]["text"] == ABUSE
    assert _audit("mention.block_author")[0].data["blocked_account"] == block.pk
    assert _audit("audience.blocked")
    # The network no longer gives their mentions.
    simulate_mention(troll, accounts.whole_school, "@alpha_school again")
    simulate_mention(parent, accounts.whole_school, KIND)
    inbox.fetch_mentions(accounts.whole_school)
    assert not MentionItem.objects.filter(text="@alpha_school again").exists()
    assert MentionItem.objects.filter(text=KIND).exists()


def test_block_where_the_network_cannot_mutes_and_leaves_a_link(abusive, staff, use_network, troll, client_for):
    use_network(FakeNetwork)

    response = client_for(staff.office).post(reverse("mention_block_author", args=[abusive.pk]), {"reason": "Abuse"})

    block = BlockedAccount.objects.get(network_user_id=str(troll.pk))
    assert block.how == BlockedAccount.How.MANUAL_PENDING and block.muted_via_api
    assert block.block_url.endswith(f"/local/people/{troll.handle}/")
    assert LocalNetworkRelation.objects.filter(user=troll, kind="mute").exists()
    # The admin is taken to the blocked accounts page, where the link and the "done" button are.
    assert response.url == reverse("audience_blocked")
    page = client_for(staff.office).get(response.url).content.decode()
    assert "Block them by hand" in page and block.block_url in page
    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.AUTHOR_BLOCKED
    assert _audit("mention.block_author")[0].data["how"] == "manual_pending"


def test_blocking_needs_a_reason(abusive, staff):
    with pytest.raises(ValidationError):
        inbox.mention_block_author(actor=staff.office, mention=abusive, reason="  ")
    assert not BlockedAccount.objects.exists()


def test_mark_reported_gives_the_link(abusive, staff, client_for):
    page = client_for(staff.office).get(reverse("inbox_list")).content.decode()
    assert f'href="{abusive.url}"' in page and "Open the post to report it" in page

    inbox.mention_mark_reported(actor=staff.office, mention=abusive, note="Reported as abuse")

    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.REPORTED and abusive.reported_at is not None
    assert _audit("mention.mark_reported")[0].data["url"] == abusive.url


def test_escalate_opens_an_incident_with_the_mention_as_evidence(
    abusive, staff, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff.office).post(
            reverse("mention_escalate", args=[abusive.pk]),
            {"title": "Abuse from a neighbour", "severity": "high", "note": "Third time this month"},
            follow=True,
        )

    incident = Incident.objects.get()
    assert incident.title == "Abuse from a neighbour" and incident.severity == "high"
    assert incident.evidence[0]["text"] == ABUSE and incident.evidence[0]["author_handle"] == "angry_neighbour_1987"
    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.ESCALATED and abusive.incident == incident
    assert "The headteacher has been emailed" in response.content.decode()
    [email] = mail.outbox
    assert email.to == [staff.head.user.email] and "Abuse from a neighbour" in email.subject
    assert _audit("mention.escalate") and _audit("incident.opened")


def test_only_the_inbox_team_of_the_school_acts(abusive, staff, outsider):
    for someone in (staff.teacher, staff.slt, outsider.head):
        with pytest.raises(PermissionDenied):
            inbox.mention_mark_ok(actor=someone, mention=abusive)
    abusive.refresh_from_db()
    assert abusive.status == MentionStatus.NEW


def test_the_local_network_mention_carries_the_author(abusive, troll):
    """What the inbox stores is what the adapter said (the author as a NetworkUser)."""
    mention: Mention = LocalNetwork(abusive.account).mentions()[0]
    assert isinstance(mention.author, NetworkUser)
    assert (abusive.author_id, abusive.author_url) == (mention.author.id, mention.author.url)


def test_the_inbox_page_does_a_fixed_number_of_queries(rules, accounts, troll, parent, client_for, staff):
    client = client_for(staff.office)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("inbox_list"), {"status": ""}).status_code == 200
        return len(captured)

    simulate_mention(troll, accounts.whole_school, ABUSE)
    inbox.fetch_mentions(accounts.whole_school)
    inbox.mention_mark_ok(actor=staff.office, mention=MentionItem.objects.get(), note="Fine")
    queries()
    before = queries()
    for number in range(10):
        simulate_mention(parent, accounts.year3, f"@alpha_year3 well done {number}")
    inbox.fetch_mentions(accounts.year3)

    assert queries() == before
