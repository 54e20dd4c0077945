"""Followers, blocks and follows (issue 7): screening, the sync, every decision with its audit
entry, the fallback where the network cannot block through its API, and the pages."""

import csv
import io
from dataclasses import replace
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from audit.models import AuditEvent
from community import audience
from community.models import AudienceSync, BlockedAccount, Follower, FollowerStatus, FollowRequest
from community.tasks import sync_audience
from networks import registry
from networks.base import Network, NetworkError, NetworkUser
from networks.local import adapter as local
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkFollow, LocalNetworkRelation

NOW = timezone.now()


def user(handle="sam_reads", **fields) -> NetworkUser:
    profile = {
        "display_name": "Sam Reads",
        "description": "Parent, reader, school governor.",
        "created_at": NOW - timedelta(days=900),
        "posts_count": 350,
    }
    return NetworkUser(id="1", handle=handle, **{**profile, **fields})


def codes(findings) -> list[str]:
    return [finding["code"] for finding in findings]


def audit_actions(school) -> list[str]:
    return list(AuditEvent.objects.filter(school=school).order_by("pk").values_list("action", flat=True))


# The local network's people, following the whole-school account.


@pytest.fixture
def people(accounts):
    whole = accounts.whole_school
    sam = local.simulate_person(
        "sam_reads",
        display_name="Sam Reads",
        bio="Parent, reader, school governor.",
        created_at=NOW - timedelta(days=900),
        posts_count=350,
        followers_count=80,
    )
    troll = local.simulate_person(
        "angry_neighbour",
        display_name="Angry Neighbour",
        bio="Teachers are scum. Tell it like it is.",
        created_at=NOW - timedelta(days=400),
        posts_count=900,
    )
    fresh = local.simulate_person("user84920571", created_at=NOW - timedelta(days=2))
    for person in (sam, troll, fresh):
        local.simulate_follow(person, whole)
    return {"sam": sam, "troll": troll, "fresh": fresh}


@pytest.fixture
def synced(rules, accounts, people):
    audience.sync_followers(accounts.whole_school)
    return {f.handle: f for f in Follower.objects.filter(account=accounts.whole_school)}


# A stand-in for X on the free tier: the local network underneath, but no blocking through the
# API and a block link on x.com. Registered in place of the local network for the test.


class NoBlockNetwork(LocalNetwork):
    label = "X"
    capabilities = replace(LocalNetwork.capabilities, supports_block=False)
    block = Network.block
    unblock = Network.unblock

    def block_url(self, user):
        return f"https://x.com/{user.handle}"


class NoBlockNorMuteNetwork(NoBlockNetwork):
    def mute(self, user_id):
        raise NetworkError("Too many requests: try again in 15 minutes.", retry_after=900)


class NoFollowerListNetwork(LocalNetwork):
    label = "X"
    capabilities = replace(LocalNetwork.capabilities, supports_follower_list=False)

    def followers(self, cursor=None):
        raise AssertionError("the portal asked a network that cannot list followers")


@pytest.fixture
def network_is(monkeypatch):
    def use(cls):
        monkeypatch.setattr(registry, "network_class", lambda name: cls)

    return use


# Screening.


def test_a_settled_profile_raises_nothing(rules, school):
    assert audience.screen_user(school, user(), now=NOW) == []


def test_an_offensive_bio_or_name_is_flagged_with_the_word(rules, school):
    findings = audience.screen_user(
        school, user(display_name="Crap Teachers", description="Teachers are scum."), now=NOW
    )

    assert codes(findings) == ["offensive_name", "offensive_bio"]
    assert "“Crap”" in findings[0]["message"] and "“scum”" in findings[1]["message"]


def test_the_schools_own_offensive_words_count(school):
    from moderation.models import Rule
    from moderation.services import seed_default_rules

    seed_default_rules(school)
    rule = Rule.objects.get(school=school, type="offensive_language")
    rule.parameters = {**rule.parameters, "words": ["grockle"]}
    rule.save()

    assert codes(audience.screen_user(school, user(description="No grockle welcome"), now=NOW)) == ["offensive_bio"]


def test_an_empty_brand_new_account_with_a_made_up_handle_is_flagged_three_times(rules, school):
    findings = audience.screen_user(
        school,
        user(handle="user84920571", display_name="", description="", posts_count=0, created_at=NOW - timedelta(days=3)),
        now=NOW,
    )

    assert codes(findings) == ["empty_profile", "new_account", "default_handle"]
    assert "3 days ago" in findings[1]["message"]
    assert "@user84920571" in findings[2]["message"]


def test_an_account_a_month_old_is_not_brand_new(rules, school):
    assert audience.screen_user(school, user(created_at=NOW - timedelta(days=31)), now=NOW) == []


def test_a_few_digits_in_a_handle_are_fine(rules, school):
    assert audience.screen_user(school, user(handle="class_of_2024"), now=NOW) == []


# The sync.


def test_sync_records_and_screens_new_followers(synced, accounts):
    assert set(synced) == {"sam_reads", "angry_neighbour", "user84920571"}
    assert not synced["sam_reads"].flagged
    assert codes(synced["angry_neighbour"].findings) == ["offensive_bio"]
    assert codes(synced["user84920571"].findings) == ["empty_profile", "new_account", "default_handle"]
    assert all(f.status == FollowerStatus.NEW and f.still_following for f in synced.values())
    sync = AudienceSync.objects.get(account=accounts.whole_school)
    assert sync.last_success is not None and sync.last_error == "" and sync.unsupported == ""


def test_a_second_sync_updates_without_duplicates_and_marks_who_left(synced, accounts, people):
    LocalNetworkFollow.objects.filter(user=people["fresh"]).delete()
    people["sam"].bio = "Parent and governor."
    people["sam"].save()

    audience.sync_followers(accounts.whole_school)

    followers = {f.handle: f for f in Follower.objects.filter(account=accounts.whole_school)}
    assert len(followers) == 3
    assert followers["sam_reads"].bio == "Parent and governor."
    assert followers["sam_reads"].last_seen > synced["sam_reads"].last_seen
    assert followers["user84920571"].still_following is False


def test_an_accepted_follower_who_turns_offensive_comes_back_for_review(synced, accounts, people, staff):
    audience.follower_accept(actor=staff.office, follower=synced["sam_reads"])
    people["sam"].bio = "This school is crap."
    people["sam"].save()

    audience.sync_followers(accounts.whole_school)

    sam = Follower.objects.get(pk=synced["sam_reads"].pk)
    assert sam.status == FollowerStatus.NEW and sam.flagged


def test_a_long_follower_list_is_read_over_several_runs(rules, accounts, monkeypatch):
    monkeypatch.setattr(local, "FOLLOWERS_PAGE_SIZE", 2)
    monkeypatch.setattr(audience, "MAX_PAGES_PER_SYNC", 2)
    for n in range(6):
        local.simulate_follow(local.simulate_person(f"reader_{n}", bio="Reader", posts_count=5), accounts.whole_school)

    first = audience.sync_followers(accounts.whole_school)
    assert Follower.objects.count() == 4 and first.cursor
    second = audience.sync_followers(accounts.whole_school)

    assert Follower.objects.count() == 6 and second.cursor == ""
    assert Follower.objects.filter(still_following=True).count() == 6


def test_when_the_network_cannot_list_followers_the_sync_says_so_and_does_not_raise(
    rules, accounts, people, network_is
):
    network_is(NoFollowerListNetwork)

    sync = audience.sync_followers(accounts.whole_school)

    assert sync.unsupported == "Reading the follower list is not available on this network (X)."
    assert not Follower.objects.exists()
    network_is(LocalNetwork)  # e.g. the school moves to a paid tier
    sync = audience.sync_followers(accounts.whole_school)
    assert sync.unsupported == "" and Follower.objects.count() == 3


def test_a_temporary_network_failure_is_stored_for_the_next_run(rules, accounts, people, monkeypatch):
    def fail(self, cursor=None):
        raise NetworkError("The network is busy.")

    monkeypatch.setattr(LocalNetwork, "followers", fail)

    sync = audience.sync_followers(accounts.whole_school)

    assert (sync.last_error, sync.unsupported, sync.last_success) == ("The network is busy.", "", None)


def test_the_periodic_task_reads_every_active_account_and_survives_a_crash(rules, accounts, people, monkeypatch):
    accounts.year3.status = "disabled"
    accounts.year3.save()
    real_sync = audience.sync_followers
    calls = []

    def sync_or_crash(account):
        calls.append(account.handle)
        if account.handle == "alpha_school":
            raise RuntimeError("bug")
        return real_sync(account)

    monkeypatch.setattr(audience, "sync_followers", sync_or_crash)

    assert sync_audience.delay().get() == 1

    assert calls == ["alpha_school"]
    assert "Something went wrong" in AudienceSync.objects.get(account=accounts.whole_school).last_error


# Decisions on followers, each with its audit entry.


@pytest.mark.parametrize(
    "decide, status, action",
    [
        (audience.follower_accept, FollowerStatus.ACCEPTED, "follower.accepted"),
        (audience.follower_watch, FollowerStatus.WATCHED, "follower.watched"),
        (audience.follower_mute, FollowerStatus.MUTED, "follower.muted"),
    ],
)
def test_accept_watch_and_mute_are_recorded_and_audited(synced, staff, school, decide, status, action):
    follower = synced["user84920571"]

    decide(actor=staff.office, follower=follower)

    follower.refresh_from_db()
    assert (follower.status, follower.decided_by) == (status, staff.office.user)
    event = AuditEvent.objects.get(action=action)
    assert (event.actor, event.school, event.data["handle"]) == (staff.office.user, school, "user84920571")


def test_muting_mutes_on_the_network(synced, staff, people):
    audience.follower_mute(actor=staff.office, follower=synced["angry_neighbour"], reason="Rude")
    assert LocalNetworkRelation.objects.filter(user=people["troll"], kind="mute").exists()


def test_a_mute_the_network_refuses_is_not_recorded(synced, staff, network_is):
    network_is(NoBlockNorMuteNetwork)

    with pytest.raises(audience.AudienceError, match="was not muted: Too many requests"):
        audience.follower_mute(actor=staff.office, follower=synced["angry_neighbour"])

    assert Follower.objects.get(pk=synced["angry_neighbour"].pk).status == FollowerStatus.NEW
    assert not AuditEvent.objects.filter(action="follower.muted").exists()


@pytest.mark.parametrize("role", ["teacher", "slt", "computing"])
def test_only_the_headteacher_and_office_admin_review_followers(synced, staff, role):
    with pytest.raises(PermissionDenied):
        audience.follower_accept(actor=getattr(staff, role), follower=synced["sam_reads"])


def test_another_schools_headteacher_cannot_decide(synced, outsider):
    with pytest.raises(PermissionDenied):
        audience.follower_block(actor=outsider.head, follower=synced["angry_neighbour"], reason="No")


# Blocking where the network can block through its API (the local network).


def test_blocking_through_the_api_keeps_evidence_and_audits(synced, staff, school, people, accounts):
    troll = synced["angry_neighbour"]

    outcome = audience.follower_block(actor=staff.office, follower=troll, reason="Abusive bio about staff")

    blocked = outcome.blocked
    assert (blocked.how, blocked.reason, blocked.decided_by) == ("api", "Abusive bio about staff", staff.office.user)
    assert blocked.evidence["bio"] == "Teachers are scum. Tell it like it is."
    assert blocked.evidence["seen_at"] and codes(blocked.evidence["findings"]) == ["offensive_bio"]
    assert outcome.message == "@angry_neighbour is blocked from @alpha_school."
    troll.refresh_from_db()
    assert troll.status == FollowerStatus.BLOCKED
    # On the network: blocked, and no longer a follower.
    assert LocalNetworkRelation.objects.filter(user=people["troll"], kind="block").exists()
    assert not LocalNetworkFollow.objects.filter(user=people["troll"]).exists()
    event = AuditEvent.objects.get(action="audience.blocked")
    assert event.data["reason"] == "Abusive bio about staff" and event.data["how"] == "api"


def test_a_block_needs_a_reason(synced, staff):
    with pytest.raises(audience.AudienceError, match="Say why"):
        audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="  ")
    assert not BlockedAccount.objects.exists()


def test_blocking_twice_is_refused(synced, staff, accounts):
    audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse")
    with pytest.raises(audience.AudienceError, match="already blocked"):
        audience.block_user(
            actor=staff.head,
            account=accounts.whole_school,
            user=audience.follower_as_network_user(synced["angry_neighbour"]),
            reason="Again",
        )


def test_a_blocked_follower_cannot_simply_be_accepted(synced, staff):
    audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse")
    with pytest.raises(audience.AudienceError, match="lift the block"):
        audience.follower_accept(actor=staff.office, follower=synced["angry_neighbour"])


def test_lifting_an_api_block_unblocks_and_keeps_the_record(synced, staff, people):
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked

    message = audience.block_lift(actor=staff.head, blocked=blocked, reason="Apologised to the head in person")

    assert message == "The block of @angry_neighbour is lifted."
    blocked.refresh_from_db()
    assert (blocked.lifted_by, blocked.lift_reason) == (staff.head.user, "Apologised to the head in person")
    assert not LocalNetworkRelation.objects.filter(user=people["troll"]).exists()
    assert Follower.objects.get(pk=synced["angry_neighbour"].pk).status == FollowerStatus.WATCHED
    assert AuditEvent.objects.filter(action="audience.block_lifted", actor=staff.head.user).exists()


def test_lifting_needs_a_reason_and_happens_once(synced, staff):
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked
    with pytest.raises(audience.AudienceError, match="Say why"):
        audience.block_lift(actor=staff.head, blocked=blocked, reason="")
    audience.block_lift(actor=staff.head, blocked=blocked, reason="Mistake")
    blocked.refresh_from_db()
    with pytest.raises(audience.AudienceError, match="already lifted"):
        audience.block_lift(actor=staff.head, blocked=blocked, reason="Again")


# Blocking where the network cannot (X outside Enterprise): mute, record, block by hand.


def test_without_api_blocking_the_portal_mutes_records_and_links_to_block_by_hand(
    synced, staff, school, people, network_is
):
    network_is(NoBlockNetwork)

    outcome = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abusive bio")

    blocked = outcome.blocked
    assert (blocked.how, blocked.muted_via_api) == ("manual_pending", True)
    assert blocked.block_url == "https://x.com/angry_neighbour"
    assert "does not let the portal block" in outcome.message and "is muted" in outcome.message
    assert LocalNetworkRelation.objects.filter(user=people["troll"], kind="mute").exists()
    assert not LocalNetworkRelation.objects.filter(user=people["troll"], kind="block").exists()
    assert Follower.objects.get(pk=synced["angry_neighbour"].pk).status == FollowerStatus.BLOCKED
    assert AuditEvent.objects.get(action="audience.blocked").data["how"] == "manual_pending"


def test_when_muting_fails_too_the_block_is_still_recorded_and_says_so(synced, staff, network_is):
    network_is(NoBlockNorMuteNetwork)

    outcome = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abusive bio")

    assert (outcome.blocked.how, outcome.blocked.muted_via_api) == ("manual_pending", False)
    assert "could not be muted either" in outcome.message and "Too many requests" in outcome.message


def test_confirming_a_block_done_by_hand(synced, staff, network_is):
    network_is(NoBlockNetwork)
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked

    audience.block_manual_done(actor=staff.office, blocked=blocked)

    blocked.refresh_from_db()
    assert (blocked.how, blocked.manual_done_by) == ("manual_done", staff.office.user)
    assert AuditEvent.objects.filter(action="audience.block_done_by_hand").count() == 1
    with pytest.raises(audience.AudienceError, match="not waiting"):
        audience.block_manual_done(actor=staff.office, blocked=blocked)


def test_lifting_a_block_made_by_hand_unmutes_and_says_to_unblock_by_hand(synced, staff, people, network_is):
    network_is(NoBlockNetwork)
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked

    message = audience.block_lift(actor=staff.office, blocked=blocked, reason="Account hacked, now recovered")

    assert "unblock them by hand" in message
    assert not LocalNetworkRelation.objects.filter(user=people["troll"], kind="mute").exists()


# Following: proposed by staff, decided by the headteacher.


@pytest.fixture
def author(db):
    return local.simulate_person("maya_writes", display_name="Maya Writes", bio="Children's author")


def test_any_member_of_staff_proposes_and_the_headteacher_approves(staff, accounts, author, school):
    proposal = audience.follow_request_propose(
        actor=staff.ta, account=accounts.year3, handle="@maya_writes", why="Wrote our class reader"
    )
    assert (proposal.status, proposal.network_user_id, proposal.display_name) == (
        "proposed",
        str(author.pk),
        "Maya Writes",
    )
    assert not LocalNetworkFollow.objects.exists()  # nothing happens before the decision

    audience.follow_request_approve(actor=staff.head, follow_request=proposal, note="Lovely")

    proposal.refresh_from_db()
    assert proposal.status == FollowRequest.Status.FOLLOWED and proposal.followed_at
    assert LocalNetworkFollow.objects.filter(
        user=author, account=accounts.year3, direction="account_follows_user"
    ).exists()
    assert audit_actions(school) == ["follow_request.proposed", "follow_request.approved", "follow_request.followed"]


def test_proposing_someone_who_is_not_on_the_network(staff, accounts):
    with pytest.raises(audience.AudienceError, match="nobody called @ghost_author"):
        audience.follow_request_propose(actor=staff.teacher, account=accounts.year3, handle="ghost_author", why="x")


def test_proposing_the_same_account_twice_is_refused(staff, accounts, author):
    audience.follow_request_propose(actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="Books")
    with pytest.raises(audience.AudienceError, match="already"):
        audience.follow_request_propose(actor=staff.ta, account=accounts.year3, handle="Maya_Writes", why="Books")


def test_only_the_headteacher_decides_follows(staff, accounts, author):
    proposal = audience.follow_request_propose(
        actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="x"
    )
    for member in (staff.slt, staff.office, staff.teacher):
        with pytest.raises(PermissionDenied):
            audience.follow_request_approve(actor=member, follow_request=proposal)


def test_a_follow_that_fails_is_recorded_and_can_be_retried(staff, accounts, author, school):
    proposal = audience.follow_request_propose(
        actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="x"
    )
    LocalNetwork(accounts.year3).block(str(author.pk))

    audience.follow_request_approve(actor=staff.head, follow_request=proposal)
    proposal.refresh_from_db()
    assert proposal.status == FollowRequest.Status.FAILED and "unblock them first" in proposal.error
    assert AuditEvent.objects.filter(action="follow_request.failed").exists()

    LocalNetwork(accounts.year3).unblock(str(author.pk))
    audience.follow_request_approve(actor=staff.head, follow_request=proposal)
    proposal.refresh_from_db()
    assert proposal.status == FollowRequest.Status.FOLLOWED and proposal.error == ""


def test_declining_needs_a_note_and_cannot_then_be_approved(staff, accounts, author, school):
    proposal = audience.follow_request_propose(
        actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="x"
    )
    with pytest.raises(audience.AudienceError, match="Say why"):
        audience.follow_request_decline(actor=staff.head, follow_request=proposal, note="")

    audience.follow_request_decline(actor=staff.head, follow_request=proposal, note="Not education-related")

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == ("declined", "Not education-related")
    assert AuditEvent.objects.filter(action="follow_request.declined").exists()
    with pytest.raises(audience.AudienceError, match="already decided"):
        audience.follow_request_approve(actor=staff.head, follow_request=proposal)
    assert not LocalNetworkFollow.objects.exists()


# The pages.


def test_the_queue_shows_flagged_followers_first_with_their_findings(client_for, staff, synced):
    response = client_for(staff.office).get(reverse("audience_followers"))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("@angry_neighbour") < page.index("@sam_reads")
    assert page.index("@user84920571") < page.index("@sam_reads")
    assertContains(response, "Teachers are scum. Tell it like it is.")
    assertContains(response, "Their bio contains “scum”: offensive or unsuitable.")


def test_the_queue_filters_by_account(client_for, staff, synced, accounts):
    local.simulate_follow(local.simulate_person("year3_parent", bio="Mum", posts_count=3), accounts.year3)
    audience.sync_followers(accounts.year3)

    response = client_for(staff.office).get(reverse("audience_followers"), {"account": accounts.year3.pk})

    assertContains(response, "@year3_parent")
    assertNotContains(response, "@angry_neighbour")


def test_the_queue_page_does_a_fixed_number_of_queries(
    client_for, staff, synced, accounts, django_assert_max_num_queries
):
    client = client_for(staff.office)
    client.get(reverse("audience_followers"))
    for n in range(15):
        local.simulate_follow(local.simulate_person(f"more_{n}", bio="Hi", posts_count=1), accounts.whole_school)
    audience.sync_followers(accounts.whole_school)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("audience_followers"))
    assert response.content.decode().count('class="audience-item') == 18


def test_the_page_says_plainly_when_follower_lists_are_not_available(
    client_for, staff, rules, accounts, network_is, settings
):
    network_is(NoFollowerListNetwork)
    settings.X_API_TIER = "free"
    accounts.whole_school.network = "x"
    accounts.whole_school.save()
    audience.sync_followers(accounts.whole_school)

    response = client_for(staff.office).get(reverse("audience_followers"))

    assertContains(response, "Follower list not available for @alpha_school")
    assertContains(response, "Reading the follower list is not available on this network (X).")
    assertContains(response, "The school's X API tier is <strong>free</strong>", html=False)


def test_blocking_from_the_queue_then_seeing_it_on_the_blocked_page(client_for, staff, synced):
    client = client_for(staff.office)
    troll = synced["angry_neighbour"]

    response = client.post(
        reverse("audience_follower_decide", args=[troll.pk]), {"decision": "block", "reason": "Abuse of staff"}
    )

    assert response.status_code == 302
    page = client.get(response.url)
    assertContains(page, "@angry_neighbour is blocked from @alpha_school.")
    blocked = client.get(reverse("audience_blocked"))
    assertContains(blocked, "Abuse of staff")
    assertContains(blocked, "Teachers are scum. Tell it like it is.")
    assertNotContains(client.get(reverse("audience_followers")), "@angry_neighbour")


def test_blocking_from_the_queue_without_a_reason_is_refused(client_for, staff, synced):
    client = client_for(staff.office)
    response = client.post(
        reverse("audience_follower_decide", args=[synced["angry_neighbour"].pk]), {"decision": "block"}, follow=True
    )
    assertContains(response, "Say why you are blocking this account")
    assert not BlockedAccount.objects.exists()


def test_the_manual_block_shows_its_link_and_the_done_button(client_for, staff, synced, network_is):
    network_is(NoBlockNetwork)
    client = client_for(staff.office)

    response = client.post(
        reverse("audience_follower_decide", args=[synced["angry_neighbour"].pk]),
        {"decision": "block", "reason": "Abuse"},
        follow=True,
    )

    assertContains(response, 'href="https://x.com/angry_neighbour"')
    assertContains(response, "Done, I blocked them on")
    blocked = BlockedAccount.objects.get()
    client.post(reverse("audience_block_done", args=[blocked.pk]))
    blocked.refresh_from_db()
    assert blocked.how == "manual_done"


def test_lifting_from_the_page(client_for, staff, synced):
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked
    client = client_for(staff.head)

    response = client.post(reverse("audience_block_lift", args=[blocked.pk]), {"reason": "Spoke to them"}, follow=True)

    assertContains(response, "The block of @angry_neighbour is lifted.")
    lifted = client.get(reverse("audience_blocked"), {"show": "lifted"})
    assertContains(lifted, "Spoke to them")


def test_the_csv_lists_every_block_with_its_reason_and_is_safe_in_excel(client_for, staff, synced, accounts):
    blocked = audience.follower_block(actor=staff.office, follower=synced["angry_neighbour"], reason="Abuse").blocked
    audience.block_lift(actor=staff.head, blocked=blocked, reason="Mistake")
    audience.block_user(
        actor=staff.office,
        account=accounts.whole_school,
        user=NetworkUser(id="999", handle="formula_fan", display_name="=HYPERLINK(1)"),
        reason="-spam",
        evidence={"posts": [{"text": "Buy followers now"}]},
    )

    response = client_for(staff.office).get(reverse("audience_blocked_csv"))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Handle"] for row in rows] == ["formula_fan", "angry_neighbour"]
    assert rows[0]["Name"] == "'=HYPERLINK(1)" and rows[0]["Reason"] == "'-spam"
    assert rows[0]["Posts as seen"] == "Buy followers now"
    assert (rows[1]["Reason"], rows[1]["Why lifted"], rows[1]["Bio as seen"]) == (
        "Abuse",
        "Mistake",
        "Teachers are scum. Tell it like it is.",
    )


def test_another_schools_blocks_are_not_exported_or_shown(client_for, staff, synced, outsider):
    audience.block_user(
        actor=outsider.head, account=outsider.account, user=NetworkUser(id="5", handle="beta_troll"), reason="Beta"
    )
    client = client_for(staff.head)
    assertNotContains(client.get(reverse("audience_blocked_csv")), "beta_troll")
    assertNotContains(client.get(reverse("audience_blocked")), "beta_troll")
    theirs = BlockedAccount.objects.get(handle="beta_troll")
    assert client.post(reverse("audience_block_lift", args=[theirs.pk]), {"reason": "x"}).status_code == 404
    assert BlockedAccount.objects.get(pk=theirs.pk).lifted_at is None


def test_a_teacher_proposes_from_the_following_page_and_the_head_approves(client_for, staff, accounts, author):
    teacher = client_for(staff.teacher)
    response = teacher.post(
        reverse("audience_follow_propose"),
        {"account": accounts.year3.pk, "handle": "@maya_writes", "why": "Author of our class reader"},
        follow=True,
    )
    assertContains(response, "Proposed: @alpha_year3 to follow @maya_writes. The headteacher decides.")
    assertNotContains(response, "Approve and follow")  # a teacher cannot decide

    head = client_for(staff.head)
    proposal = FollowRequest.objects.get()
    response = head.post(reverse("audience_follow_decide", args=[proposal.pk]), {"decision": "approve"}, follow=True)

    assertContains(response, "@alpha_year3 now follows @maya_writes.")
    assert FollowRequest.objects.get().status == "followed"


def test_proposing_someone_unknown_shows_the_error_on_the_form(client_for, staff, accounts):
    response = client_for(staff.teacher).post(
        reverse("audience_follow_propose"), {"account": accounts.year3.pk, "handle": "ghost", "why": "x"}
    )
    assert response.status_code == 400
    assertContains(response, "There is nobody called @ghost on the local network.", status_code=400)


def test_the_dashboard_counts_followers_waiting(client_for, staff, synced):
    response = client_for(staff.office).get(reverse("dashboard"))
    assertContains(response, "Followers waiting for review")
    assertContains(response, "2 flagged by the checks")
    assertNotContains(client_for(staff.teacher).get(reverse("dashboard")), "Followers waiting for review")


# The demo school.


def test_the_demo_has_followers_to_review_and_mentions_for_the_inbox(db):
    from django.core.management import call_command

    from networks.local.models import LocalNetworkMention

    call_command("seed_demo", "--password", "pw-for-demo")
    call_command("seed_demo", "--password", "pw-for-demo")  # idempotent

    followers = {f.handle: f for f in Follower.objects.filter(account__handle="demoprimary")}
    assert codes(followers["the_grumpy_truth"].findings) == ["offensive_bio"]
    assert {"empty_profile", "new_account"} <= set(codes(followers["user48213907"].findings))
    assert not followers["reading_with_rosie"].flagged
    assert Follower.objects.filter(account__handle="demoprimary_y3", handle="reading_with_rosie").exists()
    mentions = LocalNetworkMention.objects.filter(account__handle="demoprimary")
    assert mentions.count() == 2
    assert any("crap" in mention.text for mention in mentions)


def test_the_menu_links_to_the_audience_pages_by_role(client_for, staff):
    office = client_for(staff.office).get(reverse("dashboard"))
    assertContains(office, f'href="{reverse("audience_followers")}"')
    teacher = client_for(staff.teacher).get(reverse("dashboard"))
    assertNotContains(teacher, f'href="{reverse("audience_followers")}"')
    assertContains(teacher, f'href="{reverse("audience_following")}"')


def test_the_blocked_and_following_pages_do_a_fixed_number_of_queries(
    client_for, staff, accounts, django_assert_max_num_queries
):
    for n in range(12):
        audience.block_user(
            actor=staff.office, account=accounts.whole_school, user=NetworkUser(id=str(n), handle=f"t{n}"), reason="x"
        )
        FollowRequest.objects.create(
            account=accounts.year3, handle=f"author{n}", why="Books", proposed_by=staff.ta.user
        )
    client = client_for(staff.head)

    for name in ("audience_blocked", "audience_following"):
        with django_assert_max_num_queries(14):
            assert client.get(reverse(name)).status_code == 200


# Stopping following: the headteacher, with a reason, through the network; the request is kept.


@pytest.fixture
def followed(staff, accounts, author):
    proposal = audience.follow_request_propose(
        actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="Author of our class reader"
    )
    return audience.follow_request_approve(actor=staff.head, follow_request=proposal)


def _year3_follows(author, accounts) -> bool:
    return LocalNetworkFollow.objects.filter(
        user=author, account=accounts.year3, direction=LocalNetworkFollow.Direction.ACCOUNT_FOLLOWS_USER
    ).exists()


class NoUnfollowNetwork(LocalNetwork):
    def unfollow(self, user_id):
        raise NetworkError("Too many requests: try again in 15 minutes.", retry_after=900)


def test_the_local_network_unfollows_without_touching_their_follow_of_us(accounts, author):
    network = LocalNetwork(accounts.year3)
    network.follow(str(author.pk))
    local.simulate_follow(author, accounts.year3)

    network.unfollow(str(author.pk))

    assert not _year3_follows(author, accounts)
    assert LocalNetworkFollow.objects.filter(
        user=author, account=accounts.year3, direction=LocalNetworkFollow.Direction.USER_FOLLOWS_ACCOUNT
    ).exists()


def test_the_headteacher_stops_following_with_a_reason_and_the_request_is_kept(
    staff, accounts, author, school, followed
):
    assert followed.status == FollowRequest.Status.FOLLOWED and _year3_follows(author, accounts)

    audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="  Posts are now adverts  ")

    followed.refresh_from_db()
    assert followed.status == FollowRequest.Status.UNFOLLOWED
    assert (followed.unfollowed_by, followed.unfollow_reason) == (staff.head.user, "Posts are now adverts")
    assert followed.unfollowed_at and followed.followed_at and followed.why == "Author of our class reader"
    assert not _year3_follows(author, accounts)
    assert audit_actions(school)[-1] == "follow_request.unfollowed"
    event = AuditEvent.objects.get(action="follow_request.unfollowed")
    assert event.actor == staff.head.user and event.data["reason"] == "Posts are now adverts"
    assert event.data["handle"] == "maya_writes"


def test_stopping_needs_a_reason(staff, accounts, author, followed):
    with pytest.raises(audience.AudienceError, match="Say why"):
        audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="  ")

    followed.refresh_from_db()
    assert followed.status == FollowRequest.Status.FOLLOWED and _year3_follows(author, accounts)


def test_only_the_headteacher_stops_following(staff, accounts, author, followed, outsider):
    for member in (staff.slt, staff.office, staff.teacher, staff.computing, outsider.head):
        with pytest.raises(PermissionDenied):
            audience.follow_request_unfollow(actor=member, follow_request=followed, reason="Not for us")

    followed.refresh_from_db()
    assert followed.status == FollowRequest.Status.FOLLOWED and _year3_follows(author, accounts)


def test_when_the_network_refuses_the_account_stays_followed_and_says_why(
    staff, accounts, author, followed, network_is
):
    network_is(NoUnfollowNetwork)

    with pytest.raises(audience.AudienceError, match="still follows @maya_writes.*Too many requests"):
        audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="Posts are now adverts")

    followed.refresh_from_db()
    assert followed.status == FollowRequest.Status.FOLLOWED and followed.unfollowed_at is None
    assert _year3_follows(author, accounts)
    failed = AuditEvent.objects.get(action="follow_request.unfollow_failed")
    assert "Too many requests" in failed.data["error"]
    assert not AuditEvent.objects.filter(action="follow_request.unfollowed").exists()


def test_only_a_followed_account_can_be_stopped_and_only_once(staff, accounts, author, followed):
    audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="Posts are now adverts")
    with pytest.raises(audience.AudienceError, match="does not follow"):
        audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="Again")

    waiting = audience.follow_request_propose(
        actor=staff.ta, account=accounts.whole_school, handle="maya_writes", why="Books"
    )
    with pytest.raises(audience.AudienceError, match="does not follow"):
        audience.follow_request_unfollow(actor=staff.head, follow_request=waiting, reason="Never mind")
    assert AuditEvent.objects.filter(action="follow_request.unfollowed").count() == 1


def test_an_account_no_longer_followed_can_be_proposed_again(staff, accounts, author, followed):
    audience.follow_request_unfollow(actor=staff.head, follow_request=followed, reason="Posts are now adverts")

    again = audience.follow_request_propose(
        actor=staff.teacher, account=accounts.year3, handle="maya_writes", why="New book series for Year 3"
    )
    audience.follow_request_approve(actor=staff.head, follow_request=again)

    again.refresh_from_db()
    assert again.status == FollowRequest.Status.FOLLOWED and _year3_follows(author, accounts)
    assert FollowRequest.objects.get(pk=followed.pk).status == FollowRequest.Status.UNFOLLOWED


def test_the_head_stops_following_from_the_page_and_the_reason_is_shown(client_for, staff, accounts, author, followed):
    head = client_for(staff.head)
    assertContains(head.get(reverse("audience_following")), reverse("audience_unfollow", args=[followed.pk]))

    response = head.post(
        reverse("audience_unfollow", args=[followed.pk]), {"reason": "Posts are now adverts"}, follow=True
    )

    assertContains(response, "@alpha_year3 no longer follows @maya_writes.")
    assertContains(response, "No longer followed")
    assertContains(response, "“Posts are now adverts”")
    assertNotContains(response, reverse("audience_unfollow", args=[followed.pk]))
    assert not _year3_follows(author, accounts)


def test_the_page_asks_for_a_reason_before_stopping(client_for, staff, accounts, author, followed):
    response = client_for(staff.head).post(
        reverse("audience_unfollow", args=[followed.pk]), {"reason": ""}, follow=True
    )

    assertContains(response, "Say why the school should stop following this account")
    assert FollowRequest.objects.get(pk=followed.pk).status == FollowRequest.Status.FOLLOWED
    assert _year3_follows(author, accounts)


def test_the_page_calls_the_adapter_and_shows_its_refusal(client_for, staff, accounts, author, followed):
    refusal = NetworkError("Too many requests: try again in 15 minutes.", retry_after=900)
    with mock.patch.object(LocalNetwork, "unfollow", autospec=True, side_effect=refusal) as unfollow:
        response = client_for(staff.head).post(
            reverse("audience_unfollow", args=[followed.pk]), {"reason": "Posts are now adverts"}, follow=True
        )

    unfollow.assert_called_once_with(mock.ANY, str(author.pk))
    assertContains(response, "@alpha_year3 still follows @maya_writes: the network said “Too many requests")
    assert FollowRequest.objects.get(pk=followed.pk).status == FollowRequest.Status.FOLLOWED


def test_only_the_head_sees_stop_following(client_for, staff, followed):
    for member in (staff.teacher, staff.office, staff.slt):
        page = client_for(member).get(reverse("audience_following"))
        assertContains(page, "@maya_writes")
        assertNotContains(page, "Stop following")


def test_the_following_page_does_not_grow_in_queries_with_accounts_no_longer_followed(client_for, staff, accounts):
    client = client_for(staff.head)

    def unfollowed(n: int) -> None:
        FollowRequest.objects.create(
            account=accounts.year3,
            handle=f"old_author{n}",
            why="Books",
            proposed_by=staff.ta.user,
            decided_by=staff.head.user,
            decided_at=NOW,
            followed_at=NOW,
            status=FollowRequest.Status.UNFOLLOWED,
            unfollowed_by=staff.head.user,
            unfollowed_at=NOW,
            unfollow_reason="Stopped posting",
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("audience_following")).status_code == 200
        return len(captured)

    unfollowed(0)
    queries()
    before = queries()
    for n in range(1, 6):
        unfollowed(n)
    assert queries() == before


# The Django admin shows the audience and changes nothing.


@pytest.fixture
def admin_client(client, django_user_model):
    operator = django_user_model.objects.create_superuser(email="operator@portal.test", password="not-used")
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("model", [Follower, BlockedAccount, FollowRequest, AudienceSync])
def test_the_admin_lists_the_audience_but_cannot_add_change_or_delete(
    model, admin_client, synced, staff, accounts, followed
):
    audience.follower_block(
        actor=staff.office, follower=Follower.objects.get(handle="angry_neighbour"), reason="Abusive bio"
    )
    row = model.objects.first()
    name = f"admin:community_{model._meta.model_name}"

    assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"{name}_change", args=[row.pk])).status_code == 200
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert admin_client.post(reverse(f"{name}_change", args=[row.pk]), {}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
