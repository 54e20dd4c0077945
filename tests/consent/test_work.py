"""The office's consent work as the dashboard reads it (consent.work)."""

import datetime as dt

from consent.models import CarerRelationship, ConsentDecision, ConsentPurpose, Pupil
from consent.work import forms_to_type_in

from .conftest import TODAY


def test_a_pupil_counts_as_a_form_to_type_in_until_both_purposes_have_an_answer(cast, make_pupil, add_record):
    both = make_pupil(first_name="Both")
    add_record(both, purpose=ConsentPurpose.SOCIAL_PHOTO)
    add_record(both, purpose=ConsentPurpose.SOCIAL_NAME, decision=ConsentDecision.REFUSED)

    # Two carers answered the photo question, nobody the name one: still a form to type in.
    photo_twice = make_pupil(first_name="PhotoTwice")
    add_record(photo_twice, purpose=ConsentPurpose.SOCIAL_PHOTO)
    add_record(photo_twice, purpose=ConsentPurpose.SOCIAL_PHOTO, carer=("Sam Example", CarerRelationship.FATHER))

    # An answer about another purpose is no answer to these two.
    elsewhere = make_pupil(first_name="Elsewhere")
    add_record(elsewhere, purpose=ConsentPurpose.WEBSITE_PHOTO)

    make_pupil(first_name="Nothing", class_group=cast.year4)
    Pupil.objects.create(school=cast.school, class_group=None, first_name="Unplaced", surname="Example")
    make_pupil(first_name="Left", leaving_date=TODAY - dt.timedelta(days=1))
    make_pupil(school=cast.other_school, class_group=cast.other_class, first_name="Elsewhere")

    forms = forms_to_type_in(school=cast.school, on=TODAY)

    assert {(row.class_group_id, row.name): row.pupils for row in forms} == {
        (cast.year3.pk, "Year 3 Robins"): 2,
        (cast.year4.pk, "Year 4 Wrens"): 1,
        (None, "Not in a class"): 1,
    }
