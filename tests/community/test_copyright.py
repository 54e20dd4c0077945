""" "Infringes copyright" as a reason on mentions and followers, with its evidence (issue 18)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from community import audience, inbox
from community.copyright import copyright_claim
from community.models import BlockedAccount, Follower, MentionItem
from networks.local import adapter as local

CLAIM = {
    "grounds": "copyright",
    "original_work": "https://photos.example/sports-day-2026",
    "rights_holder": "Hill Studio Photography",
}


@pytest.fixture
def mention(accounts):
    person = local.simulate_person("copycat")
    return MentionItem.objects.create(
        account=accounts.whole_school,
        network_id="901",
        author_id=str(person.pk),
        author_handle="copycat",
        text="Look at our sports day photos!",
        url="https://local.example/901",
        created_at=timezone.now(),
    )


@pytest.fixture
def follower(accounts):
    person = local.simulate_person("copycat", bio="Reposts other people's photos")
    local.simulate_follow(person, accounts.whole_school)
    return Follower.objects.create(
        account=accounts.whole_school, network_user_id=str(person.pk), handle="copycat", bio=person.bio
    )


def test_a_claim_needs_the_original_work_and_whose_it_is():
    with pytest.raises(Exception) as caught:
        copyright_claim(original_work=" ", rights_holder="")
    assert set(caught.value.message_dict) == {"original_work", "rights_holder"}


def test_blocking_a_follower_for_copyright_keeps_the_claim_with_the_profile(staff, follower):
    claim = copyright_claim(original_work=CLAIM["original_work"], rights_holder=CLAIM["rights_holder"])

    outcome = audience.follower_block(actor=staff.office, follower=follower, reason="", copyright=claim)

    evidence = outcome.blocked.evidence
    assert evidence["copyright"]["rights_holder"] == "Hill Studio Photography"
    assert evidence["copyright"]["original_is_link"] is True
    assert evidence["bio"] == "Reposts other people's photos"
    assert outcome.blocked.reason.startswith("Infringes copyright")


def test_reporting_a_follower_for_copyright_sends_the_claim_and_keeps_a_snapshot(staff, follower):
    claim = copyright_claim(original_work="The school's own photo of the Year 6 play", rights_holder="the school")

    audience.follower_report(actor=staff.office, follower=follower, reason="Reposted without asking", copyright=claim)

    event = AuditEvent.objects.get(action="audience.reported")
    assert "Infringes copyright" in event.data["reason"] and "Year 6 play" in event.data["reason"]
    assert event.data["copyright"]["original_is_link"] is False
    assert event.data["snapshot"]["bio"] == "Reposts other people's photos"


def test_escalating_a_mention_for_copyright_puts_the_claim_in_the_incidents_evidence(client_for, staff, mention):
    claim = copyright_claim(original_work=CLAIM["original_work"], rights_holder=CLAIM["rights_holder"])

    incident = inbox.mention_escalate(
        actor=staff.office, mention=mention, title="Copied photos", severity="low", copyright=claim
    )

    [item] = incident.evidence
    assert item["text"] == "Look at our sports day photos!"
    assert item["copyright"]["original_work"] == CLAIM["original_work"]
    page = client_for(staff.head).get(reverse("incident_detail", args=[incident.pk])).content.decode()
    assert "Infringes copyright." in page and "Hill Studio Photography" in page


def test_blocking_a_mention_author_for_copyright_from_the_inbox(client_for, staff, mention):
    client_for(staff.office).post(reverse("mention_block_author", args=[mention.pk]), CLAIM)

    blocked = BlockedAccount.objects.get(handle="copycat")
    assert blocked.evidence["copyright"]["rights_holder"] == "Hill Studio Photography"
    assert blocked.evidence["posts"][0]["text"] == "Look at our sports day photos!"
    mention.refresh_from_db()
    assert "Infringes copyright" in mention.note
    page = client_for(staff.office).get(reverse("audience_blocked")).content.decode()
    assert "Hill Studio Photography" in page


def test_reporting_a_mention_for_copyright_keeps_the_mentions_snapshot(client_for, staff, mention):
    # The post itself stays out of the report (the simulated network does not hold it); the
    # snapshot kept with the entry still has it.
    response = client_for(staff.office).post(reverse("mention_report_author", args=[mention.pk]), CLAIM)
    assert response.status_code == 302

    event = AuditEvent.objects.get(action="mention.report_author")
    assert event.data["copyright"]["rights_holder"] == "Hill Studio Photography"
    assert event.data["snapshot"]["text"] == "Look at our sports day photos!"


def test_a_copyright_claim_without_whose_work_it_is_is_refused(client_for, staff, mention):
    response = client_for(staff.office).post(
        reverse("mention_block_author", args=[mention.pk]), {**CLAIM, "rights_holder": ""}, follow=True
    )

    assert "Say whose work it is." in response.content.decode()
    assert not BlockedAccount.objects.exists()


def test_another_reason_still_needs_words(client_for, staff, mention):
    response = client_for(staff.office).post(reverse("mention_block_author", args=[mention.pk]), {}, follow=True)

    assert "Say why you are blocking this account" in response.content.decode()
    assert not BlockedAccount.objects.exists()
