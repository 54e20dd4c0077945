"""The office admin's pupil, consent and coverage pages, as the office admin and the headteacher use
them. The register itself is in test_register_page.py."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentDecision, ConsentPurpose, ConsentRecord, Pupil
from consent.selectors import effective_consent

from ..factories import enable_totp


@pytest.fixture(autouse=True)
def _approvers_have_authenticators(cast):
    for member in (cast.head, cast.office, cast.senior):
        enable_totp(member.user)


def _signed_in(client, membership):
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _today():
    return timezone.localdate()


def test_office_admin_records_consent_in_two_clicks(client, cast, pupil):
    client = _signed_in(client, cast.office)
    page = client.get(reverse("consent_pupil", args=[pupil.pk])).content.decode()
    assert "Photo on social media: Yes" in page

    client.post(
        reverse("consent_record_create", args=[pupil.pk]),
        {
            "purpose": ConsentPurpose.SOCIAL_PHOTO,
            "decision": ConsentDecision.GIVEN,
            "given_by_name": "Parent (admission form)",
            "relationship": "parent",
            "method": "admission_form",
            "decided_on": _today().isoformat(),
        },
    )

    assert effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO).allowed
    assert AuditEvent.objects.filter(action="consent.recorded", actor=cast.office.user).exists()


def test_a_future_decision_date_is_refused_and_the_form_keeps_what_was_typed(client, cast, pupil):
    response = _signed_in(client, cast.office).post(
        reverse("consent_record_create", args=[pupil.pk]),
        {
            "purpose": ConsentPurpose.PRESS,
            "decision": ConsentDecision.GIVEN,
            "given_by_name": "Grace Okafor",
            "relationship": "mother",
            "method": "letter",
            "decided_on": (_today() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "cannot be in the future" in page and 'value="Grace Okafor"' in page
    assert not ConsentRecord.objects.filter(pupil=pupil).exists()


def test_withdrawing_consent_takes_one_click_and_is_audited(client, cast, pupil, add_record):
    record = add_record(pupil, decided_on=_today() - dt.timedelta(days=10))
    response = _signed_in(client, cast.office).post(reverse("consent_withdraw", args=[record.pk]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.withdrawn_at is not None and record.withdrawn_by == cast.office.user
    assert not effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO).allowed
    assert AuditEvent.objects.filter(action="consent.withdrawn").exists()


def test_withdrawing_twice_says_it_was_already_withdrawn(client, cast, pupil, add_record):
    record = add_record(pupil, decided_on=_today() - dt.timedelta(days=10))
    client = _signed_in(client, cast.office)
    client.post(reverse("consent_withdraw", args=[record.pk]))
    response = client.post(reverse("consent_withdraw", args=[record.pk]), follow=True)
    assert "already withdrawn" in response.content.decode()


def test_office_sees_do_not_publish_but_never_the_reason(client, cast, pupil, add_record):
    Pupil.objects.filter(pk=pupil.pk).update(
        never_publish=True, never_publish_reason="Court order ABC-123", never_publish_set_at=timezone.now()
    )
    for path in (reverse("consent_register"), reverse("consent_pupil", args=[pupil.pk])):
        page = _signed_in(client, cast.office).get(path).content.decode()
        assert "Do not publish" in page
        assert "Court order" not in page


def test_headteacher_sets_never_publish_with_a_reason_and_sees_it(client, cast, pupil):
    client = _signed_in(client, cast.head)
    client.post(reverse("consent_never_publish", args=[pupil.pk]), {"reason": "Looked-after child: placement"})
    pupil.refresh_from_db()
    assert pupil.never_publish
    assert "Looked-after child: placement" in client.get(reverse("consent_pupil", args=[pupil.pk])).content.decode()


def test_office_admin_cannot_set_never_publish(client, cast, pupil):
    response = _signed_in(client, cast.office).post(reverse("consent_never_publish", args=[pupil.pk]), {"reason": "x"})
    assert response.status_code == 403
    pupil.refresh_from_db()
    assert not pupil.never_publish


def test_bulk_entry_records_only_the_boxes_ticked(client, cast, make_pupil):
    ada, ben = make_pupil(first_name="Ada", surname="A"), make_pupil(first_name="Ben", surname="B")
    response = _signed_in(client, cast.office).post(
        f"{reverse('consent_bulk_entry')}?class={cast.year3.pk}",
        {
            "given_by_default": "Parent (admission form)",
            "relationship": "parent",
            "decided_on": _today().isoformat(),
            f"p{ada.pk}_social_photo": "given",
            f"p{ada.pk}_social_name": "refused",
            f"p{ben.pk}_social_photo": "",
        },
    )
    assert response.status_code == 302
    assert effective_consent(ada, ConsentPurpose.SOCIAL_PHOTO).allowed
    assert not effective_consent(ada, ConsentPurpose.SOCIAL_NAME).allowed
    assert not ConsentRecord.objects.filter(pupil=ben).exists()


def test_coverage_counts_who_may_appear_per_class(client, cast, make_pupil, add_record):
    for n in range(3):
        add_record(make_pupil(first_name=f"Yes{n}"), decided_on=_today() - dt.timedelta(days=3))
    make_pupil(first_name="NoForm")
    page = _signed_in(client, cast.head).get(reverse("consent_coverage")).content.decode()
    assert "Photo 3/4" in page and "3 (75%)" in page


def test_office_admin_records_a_pupils_nicknames_and_posts_are_checked_for_them(client, cast, make_pupil):
    from consent.checks import PostContent, Stage, check_post_consent

    from ..factories import make_account

    rebecca = make_pupil(first_name="Rebecca", surname="Cole")
    client = _signed_in(client, cast.office)
    response = client.post(
        reverse("consent_pupil_other_names", args=[rebecca.pk]), {"other_names": " Bex;  Becky, Bex "}
    )
    assert response.status_code == 302
    rebecca.refresh_from_db()
    assert rebecca.other_names == "Bex, Becky"
    assert "Bex, Becky" in client.get(reverse("consent_pupil", args=[rebecca.pk])).content.decode()
    assert AuditEvent.objects.filter(action="pupil.updated", target_id=str(rebecca.pk)).exists()

    account = make_account(cast.school, "oak_whole")
    result = check_post_consent(PostContent(account=account, text="Go Becky Cole!"), stage=Stage.APPROVE)
    assert [problem.code for problem in result.problems] == ["full_name"]


def test_other_names_longer_than_the_register_allows_are_refused_with_a_message(client, cast, pupil):
    client = _signed_in(client, cast.office)
    response = client.post(
        reverse("consent_pupil_other_names", args=[pupil.pk]), {"other_names": "x" * 201}, follow=True
    )
    assert "200 characters" in response.content.decode()
    pupil.refresh_from_db()
    assert pupil.other_names == ""


@pytest.mark.parametrize("page", ["bulk_entry", "pupil_detail"])
def test_the_date_on_the_forms_starts_as_today_in_the_form_a_browser_date_field_reads(client, cast, make_pupil, page):
    """A browser's date field takes only YYYY-MM-DD: "06/12/2026" leaves it empty, and a required
    empty date stops the office from saving the forms at all."""
    pupil = make_pupil(first_name="Ada", surname="A")
    url = (
        f"{reverse('consent_bulk_entry')}?class={cast.year3.pk}"
        if page == "bulk_entry"
        else reverse("consent_pupil", args=[pupil.pk])
    )
    html = _signed_in(client, cast.office).get(url).content.decode()
    assert f'type="date" name="decided_on" value="{_today().isoformat()}"' in html


def _text(fragment: str) -> str:
    """What a person reads in a piece of a page: no tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_a_pupils_page_says_each_answer_in_words(client, cast, pupil, add_record):
    yesterday, last_month = _today() - dt.timedelta(days=1), _today() - dt.timedelta(days=30)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_PHOTO, decided_on=last_month, withdrawn_on=yesterday)
    add_record(pupil, purpose=ConsentPurpose.SOCIAL_NAME, decided_on=last_month)

    page = _signed_in(client, cast.office).get(reverse("consent_pupil", args=[pupil.pk])).content.decode()

    items = [_text(item) for item in re.findall(r'<li class="row">(.*?)</li>', page, re.S)]
    assert items == [
        f"Photo on social media Consent was withdrawn on {yesterday:%-d %B %Y}. Withdrawn",
        "First name on social media Consent given, until the pupil leaves the school. Given",
        "Photo on the school website No consent has been recorded for this. No answer yet",
        "Press and media No consent has been recorded for this. No answer yet",
    ]


def test_the_paper_forms_page_shows_what_is_on_file_beside_each_choice(client, cast, make_pupil, add_record):
    ada = make_pupil(first_name="Ada", surname="Adams")
    add_record(ada, decided_on=_today() - dt.timedelta(days=30), decision=ConsentDecision.REFUSED)

    page = _signed_in(client, cast.office).get(reverse("consent_bulk_entry"), {"class": cast.year3.pk}).content.decode()

    (row,) = [_text(row) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S) if "Ada Adams" in row]
    assert row == "Ada Adams On file now: Refused No change Yes No On file now: No answer yet No change Yes No"
