"""The mentions inbox gives advice for someone else's post, not the rules engine's advice to the
author of a school draft ("Remove it."): for every kind of finding, for mentions screened before
findings had kinds, and in the evidence a block or an incident keeps."""

import re
from html import unescape

import pytest
from django.urls import reverse

from community import inbox, mention_advice
from community.models import BlockedAccount, Incident, MentionItem
from moderation.rules import FINDING_RULES, FindingCode, RuleType
from networks.local.adapter import simulate_mention, simulate_person

ABUSE = "@alpha_school what a shit school, run by idiots"
# What the engine tells the author of a school draft, which makes no sense about someone else's post.
ADVICE_FOR_OUR_OWN_POSTS = ("Remove it", "Rewrite", "Shorten it", "Add it to the post", "use initials", "Did you mean")


@pytest.fixture
def troll(db):
    return simulate_person("angry_neighbour_1987", display_name="Angry Neighbour")


@pytest.fixture
def abusive(rules, accounts, troll):
    simulate_mention(troll, accounts.whole_school, ABUSE)
    inbox.fetch_mentions(accounts.whole_school)
    return MentionItem.objects.get(account=accounts.whole_school)


def _text(response) -> str:
    assert response.status_code == 200
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_kind_of_finding_has_advice_for_someone_elses_post(code):
    advice = mention_advice.ADVICE_FOR_OTHERS[code]

    assert advice.strip().endswith(".")
    for own_post_advice in ADVICE_FOR_OUR_OWN_POSTS:
        assert own_post_advice.lower() not in advice.lower()


@pytest.mark.parametrize("rule", list(RuleType))
def test_every_rule_has_advice_for_a_finding_stored_with_its_rule_only(rule):
    finding = {"rule": rule.value, "severity": "warn", "message": "Remove it.", "start": 0, "end": 5}

    shown = mention_advice.for_others(finding, "Hello there")

    assert shown.code.rule == rule and FINDING_RULES[shown.code] == rule
    assert shown.advice == mention_advice.ADVICE_FOR_OTHERS[shown.code]
    assert shown.fact == f"{rule.label}: “Hello”." and "Remove it" not in shown.fact


def test_a_finding_of_a_rule_that_no_longer_exists_is_treated_as_serious():
    shown = mention_advice.for_others({"rule": "retired_rule", "message": "Remove it."}, "text")

    assert shown.code == FindingCode.OFFENSIVE_LANGUAGE and "Remove it" not in shown.fact


def test_screening_stores_each_findings_kind_and_fact(abusive):
    assert [(f["code"], f["fact"]) for f in abusive.findings] == [
        ("offensive_language", "“shit” is offensive or unsuitable language."),
        ("tone_negative", "“idiots” sounds negative."),
    ]


def test_the_inbox_shows_what_was_found_and_what_the_school_can_do_not_remove_it(abusive, client_for, staff):
    page = _text(client_for(staff.office).get(reverse("inbox_list")))

    assert "What the school's rules found" in page
    assert "“shit” is offensive or unsuitable language." in page and "“idiots” sounds negative." in page
    assert "What you can do about someone else's post" in page
    assert mention_advice.ADVICE_FOR_OTHERS[FindingCode.OFFENSIVE_LANGUAGE] in page
    assert "block the author" in page and "report it to the network" in page
    assert "reply once from the school's account" in page  # a complaint: only as the policy allows
    for own_post_advice in ADVICE_FOR_OUR_OWN_POSTS:
        assert own_post_advice not in page
    assert "for a school post" not in page


def test_the_same_advice_is_given_once_per_mention(rules, accounts, troll, client_for, staff):
    simulate_mention(troll, accounts.whole_school, "@alpha_school awful, terrible, dreadful")
    inbox.fetch_mentions(accounts.whole_school)

    page = _text(client_for(staff.office).get(reverse("inbox_list")))

    assert page.count("A complaint or criticism.") == 1
    assert "“awful” sounds negative." in page and "“dreadful” sounds negative." in page


def test_a_mention_screened_before_findings_had_kinds_gets_advice_for_others(abusive, client_for, staff):
    # As the inbox stored findings before: the rule and the engine's message for our own drafts.
    old_message = "“shit” is offensive or unsuitable language for a school post. Remove it."
    start = ABUSE.index("shit")
    old = {"rule": "offensive_language", "severity": "block", "message": old_message, "start": start, "end": start + 4}
    MentionItem.objects.filter(pk=abusive.pk).update(findings=[old])

    page = _text(client_for(staff.office).get(reverse("inbox_list")))

    assert "Offensive language: “shit”." in page
    assert mention_advice.ADVICE_FOR_OTHERS[FindingCode.OFFENSIVE_LANGUAGE] in page
    assert "Remove it" not in page


def test_an_incident_keeps_what_was_found_as_evidence_not_our_advice(abusive, staff):
    inbox.mention_escalate(actor=staff.office, mention=abusive, title="Abuse", severity="high")

    evidence = Incident.objects.get().evidence[0]
    assert evidence["findings"] == ["“shit” is offensive or unsuitable language.", "“idiots” sounds negative."]


def test_a_block_keeps_what_was_found_as_evidence_not_our_advice(abusive, staff, client_for):
    inbox.mention_block_author(actor=staff.office, mention=abusive, reason="Abuse about the school")

    block = BlockedAccount.objects.get()
    assert block.evidence["findings"] == [
        {"code": "offensive_language", "message": "“shit” is offensive or unsuitable language."},
        {"code": "tone_negative", "message": "“idiots” sounds negative."},
    ]
    page = _text(client_for(staff.head).get(reverse("audience_blocked")))
    assert "“shit” is offensive or unsuitable language." in page and "Remove it" not in page
