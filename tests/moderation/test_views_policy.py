"""The policy pages: reading and acknowledging, drafting, signing off; and the dashboard's panels."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import PolicyAcknowledgement, PolicyVersion
from moderation.services import (
    policy_acknowledge,
    policy_draft_create,
    policy_seed_default,
    policy_sign_off,
)


@pytest.fixture
def policy(staff, school):
    return policy_seed_default(school=school, signed_off_by=staff.head)


def _seen(version: PolicyVersion) -> str:
    return hashlib.sha256(version.body.encode()).hexdigest()


def test_staff_read_the_current_policy_and_are_asked_to_confirm(client_for, staff, policy):
    page = client_for(staff.teacher).get(reverse("policy_current")).content.decode()
    assert '<section class="policy-section" id="pupil-names">' in page
    assert "Naming pupils" in page and "version 1" in page
    assert "I have read this policy" in page
    assert f'name="version" value="{policy.pk}"' in page
    assert reverse("policy_edit") not in page, "teachers do not draft the policy"


def test_before_any_policy_the_page_says_so(client_for, staff):
    page = client_for(staff.teacher).get(reverse("policy_current")).content.decode()
    assert "has not adopted a social media policy" in page and "I have read" not in page
    lead_page = client_for(staff.computing).get(reverse("policy_current")).content.decode()
    assert reverse("policy_edit") in lead_page


def test_the_policy_shows_which_checks_put_each_paragraph_into_practice(client_for, staff, rules, policy):
    page = client_for(staff.teacher).get(reverse("policy_current")).content.decode()
    section = page[page.index('id="pupil-names"') : page.index('id="photos"')]
    assert "pupils&#x27; full names (stops the post, all accounts)" in section
    assert "(a warning, class accounts)" in section


def test_acknowledging_the_policy_returns_to_where_the_teacher_was_going(client_for, staff, policy):
    client = client_for(staff.teacher)
    response = client.post(reverse("policy_acknowledge"), {"version": policy.pk, "next": "/posts/new/"})

    assert response.status_code == 302 and response.url == "/posts/new/"
    assert PolicyAcknowledgement.objects.filter(user=staff.teacher.user, version=policy).exists()
    page = client.get(reverse("policy_current")).content.decode()
    assert "I have read this policy" not in page and "You confirmed that you read this version" in page


def test_acknowledging_never_redirects_off_the_site(client_for, staff, policy):
    response = client_for(staff.teacher).post(
        reverse("policy_acknowledge"), {"version": policy.pk, "next": "https://evil.example/"}
    )
    assert response.url == reverse("policy_current")


def test_the_policy_page_keeps_a_safe_next_link_only(client_for, staff, policy):
    client = client_for(staff.teacher)
    assert 'value="/posts/new/"' in client.get(reverse("policy_current") + "?next=/posts/new/").content.decode()
    assert "evil.example" not in client.get(reverse("policy_current") + "?next=//evil.example/").content.decode()


def test_acknowledging_a_superseded_version_is_refused(client_for, staff, policy):
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nKind words.")
    policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    response = client_for(staff.teacher).post(reverse("policy_acknowledge"), {"version": policy.pk}, follow=True)
    assert "A newer version of the policy has been signed off" in response.content.decode()
    assert not PolicyAcknowledgement.objects.filter(user=staff.teacher.user).exists()


def test_another_schools_policy_cannot_be_acknowledged(client_for, staff, outsider):
    theirs = policy_seed_default(school=outsider.school, signed_off_by=outsider.head)
    response = client_for(staff.teacher).post(reverse("policy_acknowledge"), {"version": theirs.pk})
    assert response.status_code == 404
    assert not PolicyAcknowledgement.objects.filter(user=staff.teacher.user).exists()


def test_the_first_draft_starts_from_the_default_text(client_for, staff):
    page = client_for(staff.computing).get(reverse("policy_edit")).content.decode()
    assert "Alpha Primary uses social media" in page and "portal's default policy" in page


def test_the_computing_lead_drafts_a_new_version_from_the_current_text(client_for, staff, policy):
    client = client_for(staff.computing)
    assert "## Naming pupils {#pupil-names}" in client.get(reverse("policy_edit")).content.decode()

    response = client.post(reverse("policy_edit"), {"body": policy.body + "\n## Trips {#trips}\n\nNew.\n"})

    assert response.status_code == 302 and response.url == reverse("policy_current")
    draft = PolicyVersion.objects.get(school=policy.school, signed_off_at__isnull=True)
    assert draft.number == 2 and draft.body.endswith("## Trips {#trips}\n\nNew.\n")
    client.post(reverse("policy_edit"), {"body": "## Trips\n\nShorter."})
    assert PolicyVersion.objects.get(pk=draft.pk).body == "## Trips\n\nShorter.\n"
    assert PolicyVersion.objects.count() == 2


def test_previewing_a_draft_saves_nothing_and_warns_of_broken_rule_links(client_for, staff, rules, policy):
    response = client_for(staff.computing).post(
        reverse("policy_edit"), {"body": "## Tone\n\n<i>Kind</i> words.", "preview": ""}
    )
    page = response.content.decode()
    assert "Preview (not saved yet)" in page and "&lt;i&gt;Kind&lt;/i&gt; words." in page
    assert "Rules link to sections this text no longer has: hashtags, language" in page
    assert not PolicyVersion.objects.filter(signed_off_at__isnull=True).exists()


def test_only_the_headteacher_can_open_the_sign_off_page(client_for, staff, policy):
    policy_draft_create(actor=staff.computing, body="## Tone\n\nKind words.")
    assert client_for(staff.computing).get(reverse("policy_sign_off")).status_code == 403
    assert client_for(staff.slt).post(reverse("policy_sign_off"), {}).status_code == 403
    assert client_for(staff.head).get(reverse("policy_sign_off")).status_code == 200


def test_the_headteacher_signs_off_the_draft_with_a_review_date(client_for, staff, policy):
    draft = policy_draft_create(actor=staff.computing, body=policy.body.replace("a few hashtags", "two hashtags"))
    client = client_for(staff.head)
    page = client.get(reverse("policy_sign_off")).content.decode()
    assert "Sign off version 2" in page
    assert 'policy-section policy-changed">' in page and "two hashtags" in page

    today = timezone.localdate()
    response = client.post(
        reverse("policy_sign_off"),
        {
            "seen": _seen(draft),
            "adopted_on": today.isoformat(),
            "review_due": (today + timedelta(days=200)).isoformat(),
        },
    )

    assert response.status_code == 302 and response.url == reverse("policy_current")
    draft.refresh_from_db()
    assert draft.is_signed_off and draft.review_due == today + timedelta(days=200)
    assert draft.signed_off_by == staff.head.user


def test_sign_off_is_refused_when_the_draft_changed_after_the_page_was_opened(client_for, staff, policy):
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nKind words.")
    seen = _seen(draft)
    PolicyVersion.objects.filter(pk=draft.pk).update(body="## Tone\n\nSomething else.\n")

    response = client_for(staff.head).post(
        reverse("policy_sign_off"), {"seen": seen, "adopted_on": timezone.localdate().isoformat()}
    )

    assert "The draft has changed since you opened this page" in response.content.decode()
    assert not PolicyVersion.objects.get(pk=draft.pk).is_signed_off


def test_sign_off_shows_a_review_date_before_adoption_as_a_field_error(client_for, staff, policy):
    draft = policy_draft_create(actor=staff.computing, body="Text.")
    today = timezone.localdate()
    page = client_for(staff.head).post(
        reverse("policy_sign_off"),
        {"seen": _seen(draft), "adopted_on": today.isoformat(), "review_due": today.isoformat()},
    )
    assert "The review date must be after the date the policy is adopted." in page.content.decode()


def test_with_no_draft_the_sign_off_page_says_so(client_for, staff, policy):
    assert "no draft waiting" in client_for(staff.head).get(reverse("policy_sign_off")).content.decode()


def test_policy_text_is_shown_as_text(client_for, staff, school):
    draft = policy_draft_create(actor=staff.head, body='## <img src=x onerror="alert(1)">\n\n<script>bad()</script>')
    policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    page = client_for(staff.teacher).get(reverse("policy_current")).content.decode()
    assert "<script>bad" not in page and "<img src=x" not in page
    assert "&lt;script&gt;bad()&lt;/script&gt;" in page


def test_earlier_versions_are_listed_with_their_text(client_for, staff, policy):
    draft = policy_draft_create(actor=staff.computing, body="## Tone\n\nVersion two words.")
    policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    page = client_for(staff.teacher).get(reverse("policy_current")).content.decode()
    assert "Version two words." in page
    assert "Earlier versions" in page and "Version 1: adopted" in page
    assert page.count('id="accounts"') == 0, "an earlier version's sections carry no anchors"


def test_policy_owners_see_who_has_not_read_it_yet(client_for, staff, policy):
    policy_acknowledge(actor=staff.teacher, version=policy)
    page = client_for(staff.computing).get(reverse("policy_current")).content.decode()
    readers = page[page.index("Who has read version 1") :]
    assert "2</span> of 6 members of staff" in readers
    assert "Ta" in readers and "Office" in readers and "Teacher" not in readers
    assert "Who has read" not in client_for(staff.teacher).get(reverse("policy_current")).content.decode()


def test_the_policy_page_takes_a_fixed_number_of_queries(
    client_for, staff, rules, policy, django_assert_max_num_queries
):
    client = client_for(staff.head)
    for number in range(2, 6):
        draft = policy_draft_create(actor=staff.computing, body=f"## Tone\n\nVersion {number}.")
        policy_sign_off(actor=staff.head, version=draft, adopted_on=timezone.localdate())
    with django_assert_max_num_queries(17):
        assert client.get(reverse("policy_current")).status_code == 200


# The dashboard.


def _make_due(version: PolicyVersion, days: int) -> None:
    due = timezone.localdate() + timedelta(days=days)
    PolicyVersion.objects.filter(pk=version.pk).update(review_due=due, adopted_on=due - timedelta(days=365))


def test_the_dashboard_shows_the_head_an_overdue_review(client_for, staff, policy):
    _make_due(policy, -10)
    due = timezone.localdate() - timedelta(days=10)
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert f"Policy review overdue since {due.day} {due:%B %Y}." in page


def test_the_dashboard_shows_the_head_the_review_date(client_for, staff, policy):
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert f"review due on {policy.review_due.day} {policy.review_due:%B %Y}" in page
    assert "overdue" not in page


def test_the_dashboard_tells_the_head_a_draft_waits_for_sign_off(client_for, staff, policy):
    policy_draft_create(actor=staff.computing, body="Two.")
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "Draft version 2 is waiting for you to sign it off." in page


def test_the_dashboard_asks_staff_to_read_a_new_policy_and_not_about_reviews(client_for, staff, policy):
    _make_due(policy, -10)
    client = client_for(staff.teacher)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Read the social media policy" in page and "overdue" not in page
    policy_acknowledge(actor=staff.teacher, version=policy)
    assert "Read the social media policy" not in client.get(reverse("dashboard")).content.decode()


def test_the_menu_links_to_the_policy_for_everyone_and_to_the_rules_for_their_editors(client_for, staff):
    teacher_page = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert reverse("policy_current") in teacher_page and reverse("rules_list") not in teacher_page
    assert reverse("rules_list") in client_for(staff.computing).get(reverse("dashboard")).content.decode()
