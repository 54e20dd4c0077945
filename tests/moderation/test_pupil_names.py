import datetime as dt

import pytest

from moderation.engine import check_text

from ..factories import make_class
from .conftest import flagged

FULL = "pupil_full_names"
FIRST = "pupil_first_names"


@pytest.fixture
def amara(make_pupil):
    return make_pupil("Amara", "Okafor")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Well done Amara Okafor!", ["Amara Okafor"]),
        ("AMARA OKAFOR won the race", ["AMARA OKAFOR"]),
        ("amara okafor's painting", ["amara okafor"]),
        ("Amara Okafor’s painting", ["Amara Okafor"]),
        ("Star of the week: Amara\nOkafor", ["Amara\nOkafor"]),
        ("Amara  Okafor and Amara Okafor", ["Amara  Okafor", "Amara Okafor"]),
    ],
)
def test_a_full_name_is_blocked_wherever_it_is(check, amara, accounts, text, expected):
    findings = check(text, rule=FULL, account=accounts.whole_school)
    assert flagged(text, findings) == expected
    assert {finding.severity for finding in findings} == {"block"}
    assert findings[0].suggestion == "A.O."


def test_a_preferred_name_with_the_surname_is_a_full_name(check, make_pupil, accounts):
    make_pupil("Elizabeth", "Smith-Jones", preferred_name="Lizzie")
    text = "Lizzie Smith-Jones and Elizabeth Smith-Jones read aloud"
    assert flagged(text, check(text, rule=FULL)) == ["Lizzie Smith-Jones", "Elizabeth Smith-Jones"]


def test_a_leavers_full_name_is_still_blocked(check, make_pupil):
    make_pupil("Tobias", "Quill", leaving_date=dt.date(2020, 7, 20))
    assert flagged("Tobias Quill visited", check("Tobias Quill visited", rule=FULL)) == ["Tobias Quill"]


@pytest.mark.parametrize("text", ["Amara painted a tree", "Okafor Road is closed", "Amarantha Okafor-Smith"])
def test_a_first_name_or_surname_alone_is_no_full_name(check, amara, text):
    assert check(text, rule=FULL) == []


def test_a_first_name_on_a_class_account_with_photos_warns_and_suggests_initials(check, amara, accounts):
    text = "Amara's painting of the sea"
    (finding,) = check(text, rule=FIRST, account=accounts.year3, has_images=True)
    assert (flagged(text, [finding]), finding.severity, finding.suggestion) == (["Amara"], "warn", "A.")
    assert "initials" in finding.message


def test_a_first_name_without_photos_or_off_the_class_account_passes(check, amara, accounts, school):
    text = "Amara painted the sea"
    assert check(text, rule=FIRST, account=accounts.year3, has_images=False) == []
    assert check(text, rule=FIRST, account=accounts.whole_school, has_images=True) == []
    assert check(text, rule=FIRST, has_images=True) == []


def test_only_pupils_of_that_class_count(check, make_pupil, accounts, school):
    make_pupil("Zainab", "Ali", class_group=make_class(school, "Year 5", 5))
    assert check("Zainab helped", rule=FIRST, account=accounts.year3, has_images=True) == []


def test_a_first_name_that_is_an_english_word_counts_only_capitalised(check, make_pupil, accounts):
    make_pupil("Will", "Turner")
    assert check("We will paint", rule=FIRST, account=accounts.year3, has_images=True) == []
    text = "Will painted"
    assert flagged(text, check(text, rule=FIRST, account=accounts.year3, has_images=True)) == ["Will"]


def test_a_leavers_first_name_does_not_warn(check, make_pupil, accounts):
    make_pupil("Tobias", "Quill", leaving_date=dt.date(2020, 7, 20))
    assert check("Tobias painted", rule=FIRST, account=accounts.year3, has_images=True) == []


def test_messages_say_nothing_about_consent_or_never_publish(check, make_pupil, accounts, staff):
    from django.utils import timezone

    make_pupil(
        "Kai",
        "Morgan",
        never_publish=True,
        never_publish_reason="Court order: do not name",
        never_publish_set_by=staff.head.user,
        never_publish_set_at=timezone.now(),
    )
    findings = check("Kai Morgan and Kai", account=accounts.year3, has_images=True)
    assert [finding.rule for finding in findings] == [FULL, FIRST]
    for finding in findings:
        assert "court" not in finding.message.lower()
        assert "publish" not in finding.message.lower()
        assert "consent" not in finding.message.lower()


def test_other_schools_pupils_are_not_matched(check, outsider):
    from consent.models import Pupil

    Pupil.objects.create(school=outsider.school, first_name="Beatrix", surname="Long")
    assert check("Beatrix Long visited", rule=FULL) == []


def test_names_are_found_without_a_database_query_per_pupil(school, rules, make_pupil, django_assert_num_queries):
    for number in range(50):
        make_pupil(f"Child{number}", "Example")
    check_text("warm up", school=school)
    with django_assert_num_queries(2):
        findings = check_text("Child7 Example and Child8 Example", school=school)
    assert [finding.rule for finding in findings] == [FULL, FULL]
