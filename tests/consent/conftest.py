"""Fixtures for the consent tests: two schools, staff in the roles that matter to consent, and
small builders for pupils and records. Rows are made through the ORM, not the services, so the
selector tests do not depend on the services they are not testing."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, User
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil

# A fixed "today" for selector tests, so dates in them read as a story.
TODAY = dt.date(2025, 3, 10)


def _member(school: School, email: str, *roles: str, active: bool = True) -> Membership:
    user = User.objects.create_user(email=email, password="not-used-in-these-tests")
    membership = Membership.objects.create(user=user, school=school, is_active=active)
    RoleAssignment.objects.bulk_create(RoleAssignment(membership=membership, role=role) for role in roles)
    return (
        Membership.objects.select_related("user", "school").prefetch_related("role_assignments").get(pk=membership.pk)
    )


@pytest.fixture
def cast(db):
    """Oak Primary with its head, office admin and a class teacher; Elm Primary next door."""
    oak = School.objects.create(name="Oak Primary", slug="oak")
    elm = School.objects.create(name="Elm Primary", slug="elm")
    return SimpleNamespace(
        school=oak,
        year3=ClassGroup.objects.create(school=oak, name="Year 3 Robins", year_group=3),
        year4=ClassGroup.objects.create(school=oak, name="Year 4 Wrens", year_group=4),
        head=_member(oak, "head@oak.test", Role.HEADTEACHER),
        office=_member(oak, "office@oak.test", Role.OFFICE_ADMIN),
        teacher=_member(oak, "teacher@oak.test", Role.CLASS_TEACHER),
        senior=_member(oak, "slt@oak.test", Role.SENIOR_LEADER),
        former_office=_member(oak, "former@oak.test", Role.OFFICE_ADMIN, active=False),
        other_school=elm,
        other_class=ClassGroup.objects.create(school=elm, name="Year 3 Ash", year_group=3),
        other_head=_member(elm, "head@elm.test", Role.HEADTEACHER),
        other_office=_member(elm, "office@elm.test", Role.OFFICE_ADMIN),
    )


@pytest.fixture
def make_pupil(cast):
    counter = iter(range(1, 10_000))

    def make(*, school=None, class_group=None, **fields) -> Pupil:
        n = next(counter)
        school = school or cast.school
        if class_group is None and school == cast.school:
            class_group = cast.year3
        fields.setdefault("first_name", f"Child{n}")
        fields.setdefault("surname", "Example")
        return Pupil.objects.create(school=school, class_group=class_group, **fields)

    return make


@pytest.fixture
def pupil(make_pupil):
    return make_pupil(first_name="Amara", surname="Okafor")


@pytest.fixture
def add_record(cast):
    """Write a consent record straight to the database, as history already on file."""

    def add(
        pupil: Pupil,
        *,
        purpose: str = ConsentPurpose.SOCIAL_PHOTO,
        decision: str = ConsentDecision.GIVEN,
        carer: tuple[str, str] = ("Grace Okafor", CarerRelationship.MOTHER),
        decided_on: dt.date = TODAY - dt.timedelta(days=180),
        expires_on: dt.date | None = None,
        withdrawn_on: dt.date | None = None,
    ) -> ConsentRecord:
        withdrawn_at = None
        if withdrawn_on is not None:
            withdrawn_at = timezone.make_aware(dt.datetime.combine(withdrawn_on, dt.time(11, 30)))
        return ConsentRecord.objects.create(
            pupil=pupil,
            purpose=purpose,
            decision=decision,
            given_by_name=carer[0],
            relationship=carer[1],
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=decided_on,
            expires_on=expires_on,
            withdrawn_at=withdrawn_at,
            withdrawn_by=cast.office.user if withdrawn_at else None,
            recorded_by=cast.office.user,
        )

    return add
