"""The consent register page, as the office admin and the headteacher use it: a class or a page of
pupils at a time, found by name, narrowed by consent, and every answer written in words."""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClassGroup, Role
from consent.forms import ANSWER_CHOICES
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from consent.selectors import REGISTER_PAGE_SIZE, ConsentState

from ..factories import enable_totp, make_member

PHOTO = ConsentPurpose.SOCIAL_PHOTO
NAME = ConsentPurpose.SOCIAL_NAME
FATHER = ("Daniel Okafor", CarerRelationship.FATHER)


@pytest.fixture(autouse=True)
def _approvers_have_authenticators(cast):
    for member in (cast.head, cast.office, cast.senior):
        enable_totp(member.user)


@pytest.fixture
def office(client, cast):
    client.force_login(cast.office.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _today() -> dt.date:
    return timezone.localdate()


def _ago(days: int) -> dt.date:
    return _today() - dt.timedelta(days=days)


def _register(client, **params) -> str:
    response = client.get(reverse("consent_register"), params)
    assert response.status_code == 200
    return response.content.decode()


def _text(fragment: str) -> str:
    """What a person reads in a piece of the page: no tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _rows(page: str) -> list[str]:
    """The text of each pupil's row of the register, in order (class headings left out)."""
    return [_text(row) for row in re.findall(r'<tr class="summary-[^"]*">(.*?)</tr>', page, re.S)]


def _row(page: str, name: str) -> str:
    (row,) = [row for row in _rows(page) if row.startswith(name)]
    return row


def _names(page: str) -> list[str]:
    return [_text(name) for name in re.findall(r'<th scope="row">\s*<a [^>]*>(.*?)</a>', page, re.S)]


def _count(page: str) -> str:
    return _text(re.search(r'<p class="register-count"[^>]*>(.*?)</p>', page, re.S).group(1))


def _consent(add_record, pupil, *purposes, decided_on=None, **kwargs):
    """The same answer from the same carer for each purpose (photo and first name by default)."""
    for purpose in purposes or (PHOTO, NAME):
        add_record(pupil, purpose=purpose, decided_on=decided_on or _ago(30), **kwargs)


# Who may open it.


@pytest.mark.parametrize("role", [Role.OFFICE_ADMIN, Role.HEADTEACHER])
def test_office_admin_and_headteacher_open_the_register(client, cast, make_pupil, role):
    make_pupil(first_name="Amara", surname="Okafor")
    member = make_member(cast.school, f"{role}@oak.test", [role])
    enable_totp(member.user)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    assert "Amara Okafor" in _names(_register(client))


@pytest.mark.parametrize("role", [Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT, Role.COMPUTING_LEAD])
def test_other_roles_cannot_open_the_register(client, cast, make_pupil, role):
    make_pupil(first_name="Amara", surname="Okafor")
    member = make_member(cast.school, f"{role}@oak.test", [role])
    enable_totp(member.user)
    client.force_login(member.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("consent_register"), {"q": "Amara"})
    assert response.status_code == 403
    assert "Okafor" not in response.content.decode()


def test_someone_signed_out_is_sent_to_sign_in(client, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    response = client.get(reverse("consent_register"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_schools_pupils_never_appear_even_when_their_name_is_searched(office, cast, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    make_pupil(first_name="Amara", surname="Ashworth", school=cast.other_school, class_group=cast.other_class)

    for params in ({}, {"q": "Amara"}, {"q": "Ashworth"}, {"roll": "everyone"}, {"answer": "none"}):
        page = _register(office, **params)
        assert "Amara Ashworth" not in page and "Year 3 Ash" not in page
    assert _names(_register(office, q="Amara")) == ["Amara Okafor"]


def test_another_schools_class_cannot_be_chosen(office, cast, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    page = _register(office, **{"class": cast.other_class.pk})
    assert "That class is not on this school&#x27;s list." in page
    assert "Year 3 Ash" not in page
    # The rest of the page still works: every class of this school.
    assert _names(page) == ["Amara Okafor"]


# A class or a page at a time.


def test_a_large_class_is_shown_fifty_pupils_at_a_time(office, cast, make_pupil):
    for n in range(REGISTER_PAGE_SIZE + 10):
        make_pupil(first_name=f"Pupil{n:02d}", surname="Robin", class_group=cast.year3)

    first = _register(office, **{"class": cast.year3.pk})
    assert len(_rows(first)) == 50
    assert _count(first) == "60 pupils on roll in Year 3 Robins: 1 to 50 on this page."
    assert "Year 3 Robins: consent for photos and first names, page 1 of 2" in first
    # The next page keeps the class chosen.
    assert f'href="?class={cast.year3.pk}&amp;page=2" rel="next">Next page</a>' in first

    second = _register(office, **{"class": cast.year3.pk, "page": 2})
    assert len(_rows(second)) == 10
    assert _count(second) == "60 pupils on roll in Year 3 Robins: 51 to 60 on this page."
    assert set(_names(first)).isdisjoint(_names(second))
    assert 'rel="prev">Previous page</a>' in second and "Next page" not in second


def test_a_page_number_past_the_end_shows_the_last_page(office, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    assert _names(_register(office, page=7)) == ["Amara Okafor"]
    assert _names(_register(office, page="last")) == ["Amara Okafor"]


def test_all_classes_are_grouped_under_their_class_names(office, cast, make_pupil):
    make_pupil(first_name="Wren", surname="Able", class_group=cast.year4)
    make_pupil(first_name="Robin", surname="Baker", class_group=cast.year3)
    make_pupil(first_name="Robin", surname="Able", class_group=cast.year3)

    page = _register(office)

    headings = [_text(h) for h in re.findall(r'<th scope="rowgroup"[^>]*>(.*?)</th>', page, re.S)]
    assert headings == ["Year 3 Robins", "Year 4 Wrens"]
    assert _names(page) == ["Robin Able", "Robin Baker", "Wren Able"]


def test_choosing_a_class_shows_only_its_pupils(office, cast, make_pupil):
    make_pupil(first_name="Robin", surname="Able", class_group=cast.year3)
    make_pupil(first_name="Wren", surname="Able", class_group=cast.year4)

    page = _register(office, **{"class": cast.year4.pk})

    assert _names(page) == ["Wren Able"]
    assert "<caption>Year 4 Wrens: consent for photos and first names</caption>" in page
    assert f'<option value="{cast.year4.pk}" selected>Year 4 Wrens</option>' in page


# Finding a pupil by name.


@pytest.mark.parametrize(
    "search",
    [
        "rebecca",  # first name
        "Bex",  # preferred name
        "becky",  # one of the other names
        "Ó BRIEN",  # surname, in capitals and with an accent it does not have
        "obrien",  # surname without its apostrophe
        "Rebecca O'Brien",  # the whole name
        "bex o'b",  # the start of each
    ],
)
def test_search_finds_a_pupil_by_any_of_their_names(office, make_pupil, search):
    make_pupil(first_name="Rebecca", preferred_name="Bex", other_names="Becky, Becks", surname="O'Brien")
    make_pupil(first_name="Amara", surname="Okafor")
    assert _names(_register(office, q=search)) == ["Bex O'Brien"]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("zoe", ["Zoë Hughes", "Zoe Smith"]),
        ("ZOË", ["Zoë Hughes", "Zoe Smith"]),
        ("siobhan", ["Siobhan Kelly", "Siobhán Murphy"]),
        ("Siobhán", ["Siobhan Kelly", "Siobhán Murphy"]),
        ("muller", ["Lena Müller"]),
    ],
)
def test_search_ignores_accents_either_way(office, make_pupil, search, found):
    make_pupil(first_name="Zoë", surname="Hughes")
    make_pupil(first_name="Siobhán", surname="Murphy")
    make_pupil(first_name="Lena", surname="Müller")
    make_pupil(first_name="Zoe", surname="Smith")
    make_pupil(first_name="Siobhan", surname="Kelly")
    assert _names(_register(office, q=search)) == found


def test_every_word_searched_must_match(office, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    make_pupil(first_name="Amara", surname="Hughes")
    make_pupil(first_name="Zoë", surname="Okafor")
    assert _names(_register(office, q="amara okafor")) == ["Amara Okafor"]
    assert _names(_register(office, q="okafor")) == ["Amara Okafor", "Zoë Okafor"]


def test_a_search_that_finds_no_one_says_so_and_offers_to_start_again(office, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    page = _register(office, q="Xavier")
    assert _rows(page) == []
    assert _count(page) == "No pupils found."
    assert "Check the spelling of the name, or choose fewer filters." in page
    assert f'<a class="button secondary" href="{reverse("consent_register")}">Clear the search and filters</a>' in page


def test_the_search_and_filters_stay_in_the_form_after_searching(office, cast, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    page = _register(office, q="Amara", answer="refused", purpose="social_name", roll="everyone", never_publish="on")
    assert 'name="q" value="Amara"' in page
    assert '<option value="refused" selected>Refused</option>' in page
    assert '<option value="social_name" selected>First name on social media</option>' in page
    assert '<option value="everyone" selected>On roll and left</option>' in page
    assert re.search(r'<input type="checkbox" name="never_publish"[^>]* checked>', page)


# Filters, and filters with the search.


def test_filters_combine_with_the_search_and_the_class(office, cast, make_pupil, add_record):
    refused_photo = make_pupil(first_name="Amara", surname="Okafor", class_group=cast.year3)
    _consent(add_record, refused_photo, PHOTO, decision=ConsentDecision.REFUSED)
    _consent(add_record, refused_photo, NAME)
    given = make_pupil(first_name="Amara", surname="Bello", class_group=cast.year3)
    _consent(add_record, given)
    elsewhere = make_pupil(first_name="Amara", surname="Eze", class_group=cast.year4)
    _consent(add_record, elsewhere, PHOTO, decision=ConsentDecision.REFUSED)
    make_pupil(first_name="Tobi", surname="Okafor", class_group=cast.year3)

    both = {"q": "amara", "class": cast.year3.pk}
    assert _names(_register(office, **both)) == ["Amara Bello", "Amara Okafor"]
    assert _names(_register(office, **both, answer="refused")) == ["Amara Okafor"]
    assert _names(_register(office, **both, answer="refused", purpose="social_name")) == []
    assert _names(_register(office, **both, answer="given", purpose="social_name")) == ["Amara Bello", "Amara Okafor"]
    assert _names(_register(office, q="amara", answer="refused")) == ["Amara Okafor", "Amara Eze"]
    assert _names(_register(office, answer="none", **{"class": cast.year3.pk})) == ["Tobi Okafor"]


def test_never_publish_filter_shows_only_the_flagged_pupils(office, cast, make_pupil, add_record):
    flagged = make_pupil(
        first_name="Maya",
        surname="Stone",
        never_publish=True,
        never_publish_reason="Court order ABC-123",
        never_publish_set_at=timezone.now(),
    )
    _consent(add_record, flagged)
    make_pupil(first_name="Maya", surname="Brook")

    page = _register(office, never_publish="on", q="maya")

    assert _names(page) == ["Maya Stone"]
    assert "Court order" not in page


def test_leavers_are_off_the_register_until_asked_for(office, make_pupil):
    make_pupil(first_name="Gone", surname="Away", leaving_date=_ago(10))
    make_pupil(first_name="Still", surname="Here")
    make_pupil(first_name="Leaving", surname="Soon", leaving_date=_today() + dt.timedelta(days=20))

    assert _names(_register(office)) == ["Still Here", "Leaving Soon"]
    left = _register(office, roll="left")
    assert _names(left) == ["Gone Away"]
    assert _row(left, "Gone Away") == (
        f"Gone Away Leaving date: {_ago(10):%-d %B %Y} Left the school Left the school Neither"
    )
    assert _names(_register(office, roll="everyone", q="a")) == ["Gone Away", "Leaving Soon"]


def test_a_filter_value_that_is_not_a_choice_is_ignored_and_pointed_out(office, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor")
    page = _register(office, answer="maybe", roll="sometimes")
    assert page.count("Choose one of the options in the list.") == 2
    assert _names(page) == ["Amara Okafor"]


# Statuses in words.


def test_each_answer_reads_in_words_with_a_shape_that_screen_readers_skip(office, make_pupil, add_record):
    _consent(add_record, make_pupil(first_name="Given", surname="Pupil"))
    _consent(add_record, make_pupil(first_name="Refused", surname="Pupil"), decision=ConsentDecision.REFUSED)
    _consent(add_record, make_pupil(first_name="Withdrawn", surname="Pupil"), withdrawn_on=_ago(2))
    _consent(add_record, make_pupil(first_name="Expired", surname="Pupil"), decided_on=_ago(400), expires_on=_ago(5))
    make_pupil(first_name="Unanswered", surname="Pupil")
    disputed = make_pupil(first_name="Disputed", surname="Pupil")
    _consent(add_record, disputed)
    _consent(add_record, disputed, decision=ConsentDecision.REFUSED, carer=FATHER)
    flagged = make_pupil(first_name="Flagged", surname="Pupil", never_publish=True, never_publish_set_at=timezone.now())
    _consent(add_record, flagged)
    _consent(add_record, make_pupil(first_name="PhotoOnly", surname="Pupil"), PHOTO)
    _consent(add_record, make_pupil(first_name="NameOnly", surname="Pupil"), NAME)

    page = _register(office)

    assert _row(page, "Given Pupil") == "Given Pupil Given Given Photo and first name"
    assert _row(page, "Refused Pupil") == "Refused Pupil Refused Refused Neither"
    assert _row(page, "Withdrawn Pupil") == "Withdrawn Pupil Withdrawn Withdrawn Neither"
    assert _row(page, "Expired Pupil") == "Expired Pupil Expired Expired Neither"
    assert _row(page, "Unanswered Pupil") == "Unanswered Pupil No answer yet No answer yet Neither"
    assert _row(page, "Disputed Pupil") == "Disputed Pupil Carers disagree Carers disagree Neither"
    assert _row(page, "Flagged Pupil") == "Flagged Pupil Do not publish Do not publish Do not publish Neither"
    assert _row(page, "PhotoOnly Pupil") == "PhotoOnly Pupil Given No answer yet Photo only"
    assert _row(page, "NameOnly Pupil") == "NameOnly Pupil No answer yet Given First name only"
    # The shapes beside the words say nothing a screen reader should repeat; nothing is colour alone.
    shapes = re.findall(r"<svg[^>]*>", page)
    assert shapes and all('aria-hidden="true"' in shape and 'focusable="false"' in shape for shape in shapes)
    assert 'class="dot' not in page


def test_the_table_has_a_caption_column_headers_and_a_row_header_per_pupil(office, cast, make_pupil):
    make_pupil(first_name="Amara", surname="Okafor", preferred_name="Mara", other_names="Ama")

    page = _register(office)

    assert "<caption>All classes: consent for photos and first names</caption>" in page
    headers = [_text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', page, re.S)]
    assert headers == ["Pupil", "Photo on social media", "First name on social media", "May appear with"]
    (header,) = re.findall(r'<th scope="row">(.*?)</th>', page, re.S)
    assert _text(header) == "Mara Okafor First name: Amara Also called: Ama"
    assert f'href="{reverse("consent_pupil", args=[Pupil.objects.get().pk])}"' in header


def test_the_answer_filter_uses_the_words_of_the_badges(cast):
    for state, words in ANSWER_CHOICES[1:]:
        assert _text(render_to_string("consent/_status_badge.html", {"state": state})) == words
    assert {state for state, _words in ANSWER_CHOICES[1:]} == set(ConsentState) - {
        ConsentState.NEVER_PUBLISH,
        ConsentState.LEFT,
    }


# Empty registers.


def test_a_school_with_no_pupils_is_told_how_to_start(office):
    page = _register(office)
    assert _count(page) == "No pupils on roll yet."
    assert f'<a class="button primary" href="{reverse("consent_import")}">Import from the MIS</a>' in page
    assert "<table" not in page


def test_a_class_with_no_pupils_says_so(office, cast, make_pupil):
    make_pupil(class_group=cast.year3)
    page = _register(office, **{"class": cast.year4.pk})
    assert _count(page) == "No pupils on roll in Year 4 Wrens yet."


# However large the school.


def _fill_school(cast, pupils: int, classes: int):
    """`pupils` more pupils in `classes` new classes, each with photo consent and a refusal to be named."""
    start = Pupil.objects.count()
    groups = ClassGroup.objects.bulk_create(
        ClassGroup(school=cast.school, name=f"Class {start}-{n}", year_group=n) for n in range(classes)
    )
    children = Pupil.objects.bulk_create(
        Pupil(school=cast.school, class_group=groups[n % classes], first_name=f"Child{start + n}", surname="Example")
        for n in range(pupils)
    )
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            pupil=child,
            purpose=purpose,
            decision=decision,
            given_by_name="Grace Example",
            relationship=CarerRelationship.MOTHER,
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=_ago(30),
            recorded_by=cast.office.user,
        )
        for child in children
        for purpose, decision in ((PHOTO, ConsentDecision.GIVEN), (NAME, ConsentDecision.REFUSED))
    )


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "child1"}, {"answer": "refused"}, {"q": "child", "answer": "given", "roll": "everyone", "page": 3}],
    ids=["first page", "search", "answer", "search, answer and page"],
)
def test_the_register_reads_a_fixed_number_of_queries_however_many_pupils(
    office, cast, django_assert_max_num_queries, params
):
    _fill_school(cast, pupils=5, classes=2)
    _register(office)  # the session's first page reads what later pages find cached
    with CaptureQueriesContext(connection) as small_school:
        _register(office, **params)

    _fill_school(cast, pupils=400, classes=14)
    with django_assert_max_num_queries(len(small_school)):
        page = _register(office, **params)

    assert 0 < len(_rows(page)) <= REGISTER_PAGE_SIZE
