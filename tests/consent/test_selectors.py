import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from consent.models import CarerRelationship, ConsentDecision, ConsentPurpose
from consent.selectors import (
    ConsentState,
    RegisterFilters,
    RegisterSummary,
    Roll,
    consent_register,
    effective_consent,
    never_publish_reason_for,
    pupils_for_school,
    register_page,
)

from .conftest import TODAY

PHOTO = ConsentPurpose.SOCIAL_PHOTO
NAME = ConsentPurpose.SOCIAL_NAME
MOTHER = ("Grace Okafor", CarerRelationship.MOTHER)
FATHER = ("Daniel Okafor", CarerRelationship.FATHER)
GIVEN = ConsentDecision.GIVEN
REFUSED = ConsentDecision.REFUSED


def status(pupil, purpose=PHOTO, on=TODAY):
    return effective_consent(pupil, purpose, on=on)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# Effective consent, state by state.


def test_no_records_means_no(pupil):
    result = status(pupil)
    assert (result.allowed, result.state) == (False, ConsentState.NONE)
    assert result.reason == "No consent has been recorded for this."


def test_consent_from_one_carer_is_allowed_until_the_pupil_leaves(pupil, add_record):
    add_record(pupil)
    result = status(pupil)
    assert (result.allowed, result.state) == (True, ConsentState.GIVEN)
    assert "until the pupil leaves" in result.reason


def test_refused_consent_is_not_allowed(pupil, add_record):
    add_record(pupil, decision=REFUSED)
    result = status(pupil)
    assert (result.allowed, result.state) == (False, ConsentState.REFUSED)


def test_withdrawn_consent_is_not_allowed(pupil, add_record):
    add_record(pupil, withdrawn_on=TODAY - days(3))
    result = status(pupil)
    assert (result.allowed, result.state) == (False, ConsentState.WITHDRAWN)
    assert result.reason == "Consent was withdrawn on 7 March 2025."


def test_withdrawal_counts_from_the_day_it_was_made(pupil, add_record):
    add_record(pupil, withdrawn_on=TODAY)
    assert status(pupil, on=TODAY - days(1)).allowed
    assert status(pupil, on=TODAY).state == ConsentState.WITHDRAWN


def test_consent_withdrawn_on_the_day_it_was_given_is_withdrawn(pupil, add_record):
    add_record(pupil, decided_on=TODAY, withdrawn_on=TODAY)
    assert status(pupil).state == ConsentState.WITHDRAWN


def test_new_consent_after_a_withdrawal_is_allowed(pupil, add_record):
    add_record(pupil, decided_on=TODAY - days(300), withdrawn_on=TODAY - days(100))
    add_record(pupil, decided_on=TODAY - days(10))
    assert status(pupil).state == ConsentState.GIVEN


def test_older_paperwork_entered_late_does_not_undo_a_withdrawal(pupil, add_record):
    add_record(pupil, decided_on=TODAY - days(30), withdrawn_on=TODAY - days(5))
    add_record(pupil, decided_on=TODAY - days(60))
    assert status(pupil).state == ConsentState.WITHDRAWN


def test_a_carer_who_changes_their_mind_is_judged_on_their_latest_decision(pupil, add_record):
    add_record(pupil, decided_on=TODAY - days(200))
    add_record(pupil, decision=REFUSED, decided_on=TODAY - days(20))
    assert status(pupil).state == ConsentState.REFUSED

    add_record(pupil, decided_on=TODAY - days(2))
    assert status(pupil).state == ConsentState.GIVEN


def test_two_carers_who_both_consent_are_allowed(pupil, add_record):
    add_record(pupil, carer=MOTHER)
    add_record(pupil, carer=FATHER)
    assert status(pupil).allowed


def test_two_carers_who_disagree_mean_no(pupil, add_record):
    add_record(pupil, carer=MOTHER, decided_on=TODAY - days(100))
    add_record(pupil, carer=FATHER, decision=REFUSED, decided_on=TODAY - days(200))
    result = status(pupil)
    assert (result.allowed, result.state) == (False, ConsentState.DISPUTED)
    assert "disagree" in result.reason


def test_one_carer_withdrawing_while_another_consents_is_disputed(pupil, add_record):
    add_record(pupil, carer=MOTHER)
    add_record(pupil, carer=FATHER, withdrawn_on=TODAY - days(1))
    assert status(pupil).state == ConsentState.DISPUTED


def test_the_same_carer_written_differently_is_one_carer(pupil, add_record):
    add_record(pupil, carer=("Grace Okafor", CarerRelationship.MOTHER), decided_on=TODAY - days(100))
    add_record(
        pupil, carer=("  grace   OKAFOR ", CarerRelationship.MOTHER), decision=REFUSED, decided_on=TODAY - days(1)
    )
    # One carer who changed her mind, not two carers who disagree.
    assert status(pupil).state == ConsentState.REFUSED


def test_consent_expires_on_its_date(pupil, add_record):
    add_record(pupil, decided_on=TODAY - days(365), expires_on=TODAY)
    assert status(pupil, on=TODAY).allowed, "the expiry date is the last day consent covers"
    lapsed = status(pupil, on=TODAY + days(1))
    assert (lapsed.allowed, lapsed.state) == (False, ConsentState.EXPIRED)
    assert lapsed.reason == "Consent ran out on 10 March 2025. Ask the family to renew it."


def test_one_carers_lapsed_consent_does_not_cancel_anothers_current_consent(pupil, add_record):
    add_record(pupil, carer=MOTHER, expires_on=TODAY - days(1))
    add_record(pupil, carer=FATHER)
    assert status(pupil).allowed


def test_lapsed_consent_beside_a_refusal_is_a_refusal(pupil, add_record):
    add_record(pupil, carer=MOTHER, expires_on=TODAY - days(1))
    add_record(pupil, carer=FATHER, decision=REFUSED)
    assert status(pupil).state == ConsentState.REFUSED


def test_pupil_who_has_left_cannot_appear(make_pupil, add_record):
    leaver = make_pupil(leaving_date=TODAY)
    add_record(leaver)
    assert status(leaver, on=TODAY - days(1)).allowed
    result = status(leaver, on=TODAY)
    assert (result.allowed, result.state) == (False, ConsentState.LEFT)


def test_never_publish_blocks_even_with_consent(make_pupil, add_record, cast):
    flagged = make_pupil(never_publish=True, never_publish_reason="x", never_publish_set_at=timezone.now())
    for purpose in ConsentPurpose.values:
        add_record(flagged, purpose=purpose)
    for purpose in ConsentPurpose.values:
        result = status(flagged, purpose)
        assert (result.allowed, result.state) == (False, ConsentState.NEVER_PUBLISH)


def test_reason_never_revealed_in_status(make_pupil, add_record):
    secret = "Subject to a court order about contact with a parent"
    flagged = make_pupil(never_publish=True, never_publish_reason=secret, never_publish_set_at=timezone.now())
    add_record(flagged)
    for purpose in ConsentPurpose.values:
        result = status(flagged, purpose)
        assert "court order" not in result.reason
        assert "court order" not in repr(result)
    for row in consent_register(school=flagged.school, on=TODAY):
        assert "court order" not in repr(row.statuses)


def test_each_purpose_is_decided_on_its_own(pupil, add_record):
    add_record(pupil, purpose=PHOTO)
    add_record(pupil, purpose=ConsentPurpose.PRESS, decision=REFUSED)
    assert status(pupil, PHOTO).allowed
    assert status(pupil, NAME).state == ConsentState.NONE
    assert status(pupil, ConsentPurpose.PRESS).state == ConsentState.REFUSED


def test_a_decision_made_after_the_day_asked_about_does_not_count(pupil, add_record):
    add_record(pupil, decided_on=TODAY)
    assert status(pupil, on=TODAY - days(1)).state == ConsentState.NONE
    assert status(pupil, on=TODAY).allowed


def test_an_unknown_purpose_is_an_error_not_a_quiet_no(pupil):
    with pytest.raises(ValueError):
        effective_consent(pupil, "social_photos", on=TODAY)


def test_given_records_are_used_without_touching_the_database(pupil, add_record, django_assert_num_queries):
    records = [add_record(pupil)]
    with django_assert_num_queries(0):
        assert effective_consent(pupil, PHOTO, on=TODAY, records=records).allowed


# The register.


def test_register_summary_is_green_amber_or_red(make_pupil, add_record):
    both = make_pupil(first_name="Both")
    add_record(both, purpose=PHOTO)
    add_record(both, purpose=NAME)
    photo_only = make_pupil(first_name="Photo")
    add_record(photo_only, purpose=PHOTO)
    add_record(photo_only, purpose=NAME, decision=REFUSED)
    neither = make_pupil(first_name="Neither")
    add_record(neither, purpose=ConsentPurpose.WEBSITE_PHOTO)
    flagged = make_pupil(first_name="Flagged", never_publish=True, never_publish_set_at=timezone.now())
    add_record(flagged, purpose=PHOTO)
    add_record(flagged, purpose=NAME)

    summaries = {row.pupil.first_name: row.summary for row in consent_register(school=both.school, on=TODAY)}

    assert summaries == {
        "Both": RegisterSummary.GREEN,
        "Photo": RegisterSummary.AMBER,
        "Neither": RegisterSummary.RED,
        "Flagged": RegisterSummary.RED,
    }


def test_register_gives_a_status_for_every_purpose(pupil, add_record):
    add_record(pupil, purpose=ConsentPurpose.PRESS)
    (row,) = consent_register(school=pupil.school, on=TODAY)
    assert set(row.statuses) == set(ConsentPurpose.values)
    assert row.statuses[ConsentPurpose.PRESS].allowed
    assert not row.statuses[PHOTO].allowed


def test_register_lists_only_pupils_on_roll(make_pupil):
    make_pupil(first_name="Staying")
    make_pupil(first_name="Leaving", leaving_date=TODAY + days(30))
    make_pupil(first_name="Gone", leaving_date=TODAY)
    names = [row.pupil.first_name for row in consent_register(school=make_pupil(first_name="New").school, on=TODAY)]
    assert sorted(names) == ["Leaving", "New", "Staying"]


def test_pupils_for_school_can_include_leavers(make_pupil, cast):
    make_pupil(first_name="Gone", leaving_date=TODAY - days(1))
    assert not pupils_for_school(school=cast.school, on=TODAY).exists()
    assert pupils_for_school(school=cast.school, on=TODAY, include_left=True).count() == 1


def test_register_is_limited_to_one_school_and_optionally_one_class(make_pupil, cast):
    make_pupil(first_name="Robin", class_group=cast.year3)
    make_pupil(first_name="Wren", class_group=cast.year4)
    make_pupil(first_name="Ash", school=cast.other_school, class_group=cast.other_class)

    whole_school = [row.pupil.first_name for row in consent_register(school=cast.school, on=TODAY)]
    one_class = [row.pupil.first_name for row in consent_register(school=cast.school, class_group=cast.year4, on=TODAY)]

    assert whole_school == ["Robin", "Wren"]
    assert one_class == ["Wren"]


@pytest.mark.parametrize("size", [5, 50])
def test_register_takes_two_queries_however_many_pupils(size, make_pupil, add_record, cast, django_assert_num_queries):
    for n in range(size):
        child = make_pupil(class_group=cast.year3 if n % 2 else cast.year4)
        add_record(child, purpose=PHOTO)
        add_record(child, purpose=NAME, carer=FATHER, decision=REFUSED)
        add_record(child, purpose=NAME, carer=MOTHER, withdrawn_on=TODAY - days(1))

    with django_assert_num_queries(2):
        rows = consent_register(school=cast.school, on=TODAY)
        # What a register page shows for each row must already be loaded.
        shown = [(row.pupil.class_group.name, row.summary, row.statuses[NAME].reason) for row in rows]

    assert len(shown) == size
    assert {row.summary for row in rows} == {RegisterSummary.AMBER}


# The never-publish reason.


def test_only_the_headteacher_can_read_the_never_publish_reason(make_pupil, cast):
    flagged = make_pupil(
        never_publish=True, never_publish_reason="Looked-after child", never_publish_set_at=timezone.now()
    )
    assert never_publish_reason_for(actor=cast.head, pupil=flagged) == "Looked-after child"
    for someone in (cast.office, cast.senior, cast.teacher, cast.other_head):
        with pytest.raises(PermissionDenied):
            never_publish_reason_for(actor=someone, pupil=flagged)


# The register's answer filter: the database narrows the pupils before effective_consent judges
# them, and must never leave out one the judge would have kept.


@pytest.fixture
def every_kind_of_answer(cast, make_pupil, add_record):
    """Pupils whose records give every state, and the near misses a loose SQL test could get wrong."""
    made = []

    def child(name, *records, **fields):
        pupil = make_pupil(first_name=name, **fields)
        for record in records:
            add_record(pupil, **record)
        made.append(pupil)

    both = [{"purpose": PHOTO}, {"purpose": NAME}]
    child("Given", *both)
    child("GivenUntilSoon", {"purpose": PHOTO, "expires_on": TODAY + days(3)}, {"purpose": NAME})
    child("Lapsed", {"purpose": PHOTO, "expires_on": TODAY - days(1)})
    child("LapsedBesideCurrent", {"expires_on": TODAY - days(9)}, {"carer": FATHER})
    child("Refused", {"purpose": NAME, "decision": ConsentDecision.REFUSED})
    child("Withdrawn", {"purpose": PHOTO, "withdrawn_on": TODAY - days(2)}, {"purpose": NAME})
    child("WithdrawnLater", {"purpose": PHOTO, "withdrawn_on": TODAY + days(2)})
    child("GivenAgain", {"withdrawn_on": TODAY - days(20)}, {"decided_on": TODAY - days(5)})
    child("ChangedMind", {"decision": ConsentDecision.REFUSED}, {"decided_on": TODAY - days(5)})
    child("Disagree", {"carer": MOTHER}, {"carer": FATHER, "decision": ConsentDecision.REFUSED})
    child("OneWithdrew", {"carer": MOTHER}, {"carer": FATHER, "withdrawn_on": TODAY - days(1)})
    child(
        "SameCarerTwice",
        {},
        {"carer": ("grace  OKAFOR", MOTHER[1]), "decision": ConsentDecision.REFUSED, "decided_on": TODAY - days(3)},
    )
    child("Nothing")
    child("PhotoOnly", {"purpose": PHOTO})
    child("NotYet", {"purpose": PHOTO, "decided_on": TODAY + days(1)}, {"purpose": NAME})
    child("WebsiteOnly", {"purpose": ConsentPurpose.WEBSITE_PHOTO})
    child("NeverPublish", *both, never_publish=True, never_publish_set_at=timezone.now())
    child("Leaver", *both, leaving_date=TODAY - days(1))
    child("LeavingSoon", {"purpose": PHOTO, "decision": ConsentDecision.REFUSED}, leaving_date=TODAY + days(30))
    return made


@pytest.mark.parametrize("roll", [Roll.ON_ROLL, Roll.EVERYONE, Roll.LEFT])
@pytest.mark.parametrize("purpose", ["", PHOTO, NAME])
@pytest.mark.parametrize("state", list(ConsentState))
def test_the_answer_filter_keeps_exactly_the_pupils_the_judge_would(cast, every_kind_of_answer, roll, purpose, state):
    searched = [purpose] if purpose else [PHOTO, NAME]
    everyone = register_page(school=cast.school, filters=RegisterFilters(roll=roll), per_page=100, on=TODAY)
    expected = [
        row.pupil.first_name
        for row in everyone.object_list
        if any(effective_consent(row.pupil, p, on=TODAY).state == state for p in searched)
    ]

    filtered = register_page(
        school=cast.school, filters=RegisterFilters(roll=roll, state=state, purpose=purpose), per_page=100, on=TODAY
    )

    assert [row.pupil.first_name for row in filtered.object_list] == expected
