"""The rules settings page: list, add, edit, delete, and the "try it" box."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from consent.models import Pupil
from moderation.engine import Finding
from moderation.models import Rule
from moderation.rules import RuleType
from moderation.views import highlight

HTMX = {"HX-Request": "true"}


def _hashtag_form(**overrides) -> dict:
    data = {
        "type": RuleType.HASHTAGS,
        "setting_required": "",
        "setting_forbidden": "",
        "setting_max_count": "",
        "severity": "warn",
        "scope": "all",
        "account": "",
        "enabled": "on",
        "policy_paragraph": "hashtags",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("who", ["head", "computing"])
def test_the_headteacher_and_computing_lead_see_the_rules_with_links_to_the_policy(client_for, staff, rules, who):
    page = client_for(getattr(staff, who)).get(reverse("rules_list")).content.decode()
    assert "Offensive language" in page and "Pupils&#x27; full names" in page
    assert f'href="{reverse("policy_current")}#pupil-names">Naming pupils</a>' in page
    assert "Most hashtags in a post" in page and "gov.uk, sch.uk, nhs.uk" in page


@pytest.mark.parametrize("who", ["teacher", "ta", "slt", "office"])
def test_other_staff_are_refused_the_rules_pages(client_for, staff, rules, who):
    client = client_for(getattr(staff, who))
    rule = rules[0]
    assert client.get(reverse("rules_list")).status_code == 403
    assert client.get(reverse("rule_create")).status_code == 403
    assert client.post(reverse("rule_edit", args=[rule.pk]), _hashtag_form()).status_code == 403
    assert client.post(reverse("rule_delete", args=[rule.pk])).status_code == 403
    assert client.post(reverse("rules_try"), {"text": "hello"}).status_code == 403
    assert Rule.objects.filter(pk=rule.pk).exists()


def test_another_schools_rule_is_not_found(client_for, staff, outsider):
    theirs = Rule.objects.create(school=outsider.school, type=RuleType.TONE, severity="warn")
    client = client_for(staff.computing)
    assert client.get(reverse("rule_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("rule_edit", args=[theirs.pk]), {"severity": "block"}).status_code == 404
    assert client.post(reverse("rule_delete", args=[theirs.pk])).status_code == 404
    assert Rule.objects.get(pk=theirs.pk).severity == "warn"


def test_adding_a_rule_starts_by_choosing_its_type(client_for, staff):
    page = client_for(staff.computing).get(reverse("rule_create")).content.decode()
    assert f"{reverse('rule_create')}?type=hashtags" in page


def test_the_computing_lead_adds_a_hashtag_rule_with_one_hashtag_per_line(client_for, staff, rules):
    data = _hashtag_form(setting_required="#AlphaYear3\r\n\r\n alpha_learning \r\n", setting_max_count="2")
    response = client_for(staff.computing).post(reverse("rule_create"), data)

    rule = Rule.objects.filter(type=RuleType.HASHTAGS).latest("pk")
    assert response.status_code == 302 and response.url.endswith(f"#rule-{rule.pk}")
    assert rule.parameters == {"required": ["AlphaYear3", "alpha_learning"], "forbidden": [], "max_count": 2}
    assert rule.policy_paragraph == "hashtags" and rule.severity == "warn"
    assert AuditEvent.objects.filter(action="rule.created", target_id=str(rule.pk), actor=staff.computing.user).exists()


def test_an_invalid_rule_is_refused_with_the_engines_message_next_to_the_field(client_for, staff):
    data = _hashtag_form(setting_forbidden="#year 3", setting_max_count="99")
    response = client_for(staff.computing).post(reverse("rule_create"), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert not Rule.objects.exists()
    forbidden_field = page[page.index('for="id_setting_forbidden"') : page.index('for="id_setting_max_count"')]
    assert "Hashtags not to use: “#year 3” is not a hashtag" in forbidden_field
    assert "Most hashtags in a post must be a whole number from 0 to 30, or empty." in page


def test_a_rule_about_one_account_must_name_the_account(client_for, staff, accounts):
    client = client_for(staff.head)
    page = client.post(reverse("rule_create"), _hashtag_form(scope="account")).content.decode()
    assert "Choose the account this rule is about." in page and not Rule.objects.exists()

    client.post(reverse("rule_create"), _hashtag_form(scope="account", account=accounts.year3.pk))
    assert Rule.objects.get().account == accounts.year3


def test_another_schools_account_cannot_be_chosen(client_for, staff, outsider):
    page = client_for(staff.head).post(
        reverse("rule_create"), _hashtag_form(scope="account", account=outsider.account.pk)
    )
    assert "Select a valid choice" in page.content.decode() and not Rule.objects.exists()


def test_the_edit_form_shows_the_settings_one_per_line(client_for, staff, rules):
    rule = Rule.objects.get(type=RuleType.MENTIONS_AND_LINKS)
    page = client_for(staff.computing).get(reverse("rule_edit", args=[rule.pk])).content.decode()
    assert "gov.uk\nsch.uk\nnhs.uk</textarea>" in page


def test_editing_a_rule_changes_its_settings_and_severity(client_for, staff, rules):
    rule = Rule.objects.get(type=RuleType.OFFENSIVE_LANGUAGE)
    data = {
        "setting_use_standard_list": "on",
        "setting_words": "rubbish\nnaff",
        "setting_allowed_words": "",
        "severity": "warn",
        "scope": "class",
        "policy_paragraph": "language",
    }
    response = client_for(staff.head).post(reverse("rule_edit", args=[rule.pk]), data)

    rule.refresh_from_db()
    assert response.status_code == 302
    assert rule.parameters["words"] == ["rubbish", "naff"]
    assert (rule.severity, rule.scope, rule.enabled) == ("warn", "class", False)
    assert AuditEvent.objects.filter(action="rule.updated", target_id=str(rule.pk)).exists()


def test_deleting_a_rule(client_for, staff, rules):
    rule = Rule.objects.get(type=RuleType.TONE)
    client = client_for(staff.computing)
    assert client.get(reverse("rule_delete", args=[rule.pk])).status_code == 405
    response = client.post(reverse("rule_delete", args=[rule.pk]))
    assert response.status_code == 302 and not Rule.objects.filter(pk=rule.pk).exists()


def test_the_rules_page_takes_a_fixed_number_of_queries(
    client_for, staff, rules, accounts, django_assert_max_num_queries
):
    client = client_for(staff.computing)
    client.get(reverse("rules_list"))
    for _ in range(20):
        Rule.objects.create(
            school=staff.head.school, type=RuleType.TONE, severity="warn", scope="account", account=accounts.year3
        )
    with django_assert_max_num_queries(14):
        assert client.get(reverse("rules_list")).status_code == 200


def test_try_it_shows_the_findings_with_the_words_marked(client_for, staff, rules):
    response = client_for(staff.computing).post(
        reverse("rules_try"), {"text": "What a crap day at school"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page, "htmx gets only the result"
    assert '<mark class="finding finding-block" title="Finding 1">crap</mark>' in page
    assert "is offensive or unsuitable language" in page
    assert f'href="{reverse("policy_current")}#language">Suitable language</a>' in page
    assert "1 would stop the post" in page


def test_try_it_escapes_the_sample_text(client_for, staff, rules):
    text = '<script>alert("hi")</script> damn & <b>'
    page = client_for(staff.computing).post(reverse("rules_try"), {"text": text}, headers=HTMX).content.decode()
    assert "<script>alert" not in page and "<b>" not in page
    assert "&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in page
    assert "&amp; &lt;b&gt;" in page


def test_try_it_checks_for_the_chosen_account_and_photos(client_for, staff, rules, accounts, year3):
    Pupil.objects.create(school=staff.head.school, class_group=year3, first_name="Oliver", surname="Twist")
    client = client_for(staff.computing)
    text = "Oliver built a volcano today."

    for_class = client.post(
        reverse("rules_try"), {"text": text, "account": accounts.year3.pk, "has_images": "on"}, headers=HTMX
    )
    for_school = client.post(
        reverse("rules_try"), {"text": text, "account": accounts.whole_school.pk, "has_images": "on"}, headers=HTMX
    )

    assert '<mark class="finding finding-warn"' in for_class.content.decode()
    assert "Pupils&#x27; first names" in for_class.content.decode()
    assert "Nothing found" in for_school.content.decode()


def test_try_it_without_javascript_shows_the_whole_page(client_for, staff, rules):
    page = client_for(staff.computing).post(reverse("rules_try"), {"text": "What a crap day"}).content.decode()
    assert "<h1>Rules for posts</h1>" in page
    assert '<mark class="finding finding-block" title="Finding 1">crap</mark>' in page


def test_try_it_asks_for_a_text(client_for, staff, rules):
    page = client_for(staff.computing).post(reverse("rules_try"), {"text": ""}, headers=HTMX).content.decode()
    assert "Type a sample post to check." in page


def _finding(start, end, severity="warn"):
    return Finding(rule="tone", severity=severity, message="", start=start, end=end)


def test_highlight_marks_overlapping_findings_with_the_most_serious():
    pieces = highlight("abcdefgh", [_finding(1, 5), _finding(3, 7, "block"), _finding(8, 8)])
    assert [(p.text, p.severity, p.numbers) for p in pieces] == [
        ("a", "", ""),
        ("bc", "warn", "1"),
        ("de", "block", "1, 2"),
        ("fg", "block", "2"),
        ("h", "", ""),
    ]
