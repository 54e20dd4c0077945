"""Alpha Primary's awkward register for the issue 12 suite ("no child identifiable by any word,
picture or link a post sends out").

Everything is made the way the office and the headteacher make it: pupils with
`consent.services.pupil_create`, decisions with `consent_record`, withdrawals with
`consent_withdraw`, the safeguarding flag with `pupil_set_never_publish`. Only `other_names`
(a new field the services do not take yet) is set on the model and saved, so the register's
signals still see the change.

The register (class, social_photo, social_name):

| key          | pupil                                         | class  | photo     | name      |
| ------------ | --------------------------------------------- | ------ | --------- | --------- |
| ava_patel    | Ava Patel                                     | Year 3 | given     | given     |
| ava_sj       | Ava Smith-Jones                               | Year 5 | given     | refused   |
| chloe        | Chloé Dubois                                  | Year 3 | given     | given     |
| lukasz       | Łukasz Nowak                                  | Year 3 | given     | withdrawn |
| lan          | Thị Lan (preferred "Lan") Nguyễn              | Year 5 | given     | expired   |
| siobhan      | Siobhán O'Brien                               | Year 3 | given     | given     |
| anne_marie   | Anne-Marie Walsh                              | Year 5 | none      | given     |
| fang         | 芳 王 (first_name 芳, surname 王)               | Year 3 | given     | none      |
| ruby         | Ruby Jones, NEVER PUBLISH                     | Year 5 | given     | given     |
| rose         | Rose Taylor                                   | Year 3 | given     | refused   |
| summer       | Summer Hughes                                 | Year 5 | given     | none      |
| joy          | Joy Adeyemi                                   | Year 3 | given     | none      |
| mark         | Mark Evans                                    | Year 5 | given     | withdrawn |
| will         | William Grant, "Billy", other: Bill, Wills    | Year 3 | given     | refused   |
| bex          | Rebecca Cole, other: Bex, Becky               | Year 5 | given     | given     |
| mohammed     | Mohammed Ali                                  | Year 3 | given     | given     |
| may          | May Chen                                      | Year 3 | given     | none      |
| hope         | Hope Brown                                    | Year 5 | expired   | none      |
| grace        | Grace Lee, LEFT last month                    | Year 5 | given     | given     |
| (Beta)       | Oscar Finch, Beta Primary, never publish      | -      | -         | -         |

Nguyễn Thị Lan: Vietnamese order is family name, middle name, given name. A UK MIS keeps the
legal forenames together, so the register has first_name "Thị Lan", surname "Nguyễn", and the
name she is called by, "Lan", as preferred_name. "Nguyễn Thị Lan" (surname first), "Lan Nguyễn"
(preferred + surname) and the unaccented "Nguyen Thi Lan" are all her full name.

王芳 (Wang Fang): first_name "芳", surname "王"; written in Chinese order, surname first and
without a space: "王芳".

Accounts: the whole-school account @alpha_school (drafted by the senior leader), the Year 3
account @alpha_year3 (the Year 3 teacher) and the Year 5 account @alpha_year5 (the Year 5
teacher). The headteacher approves everything.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.models import Role
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, Pupil
from consent.services import consent_record, consent_withdraw, pupil_create, pupil_set_never_publish
from tests.factories import make_account, make_class, make_member

PHOTO = ConsentPurpose.SOCIAL_PHOTO
NAME = ConsentPurpose.SOCIAL_NAME

# key: (first_name, surname, preferred_name, other_names, class, {purpose: state}, flags)
REGISTER = {
    "ava_patel": ("Ava", "Patel", "", "", 3, {PHOTO: "given", NAME: "given"}, ()),
    "ava_sj": ("Ava", "Smith-Jones", "", "", 5, {PHOTO: "given", NAME: "refused"}, ()),
    "chloe": ("Chloé", "Dubois", "", "", 3, {PHOTO: "given", NAME: "given"}, ()),
    "lukasz": ("Łukasz", "Nowak", "", "", 3, {PHOTO: "given", NAME: "withdrawn"}, ()),
    "lan": ("Thị Lan", "Nguyễn", "Lan", "", 5, {PHOTO: "given", NAME: "expired"}, ()),
    "siobhan": ("Siobhán", "O'Brien", "", "", 3, {PHOTO: "given", NAME: "given"}, ()),
    "anne_marie": ("Anne-Marie", "Walsh", "", "", 5, {NAME: "given"}, ()),
    "fang": ("芳", "王", "", "", 3, {PHOTO: "given"}, ()),
    "ruby": ("Ruby", "Jones", "", "", 5, {PHOTO: "given", NAME: "given"}, ("never_publish",)),
    "rose": ("Rose", "Taylor", "", "", 3, {PHOTO: "given", NAME: "refused"}, ()),
    "summer": ("Summer", "Hughes", "", "", 5, {PHOTO: "given"}, ()),
    "joy": ("Joy", "Adeyemi", "", "", 3, {PHOTO: "given"}, ()),
    "mark": ("Mark", "Evans", "", "", 5, {PHOTO: "given", NAME: "withdrawn"}, ()),
    "will": ("William", "Grant", "Billy", "Bill, Wills", 3, {PHOTO: "given", NAME: "refused"}, ()),
    "bex": ("Rebecca", "Cole", "", "Bex, Becky", 5, {PHOTO: "given", NAME: "given"}, ()),
    "mohammed": ("Mohammed", "Ali", "", "", 3, {PHOTO: "given", NAME: "given"}, ()),
    "may": ("May", "Chen", "", "", 3, {PHOTO: "given"}, ()),
    "hope": ("Hope", "Brown", "", "", 5, {PHOTO: "expired"}, ()),
    "grace": ("Grace", "Lee", "", "", 5, {PHOTO: "given", NAME: "given"}, ("left",)),
}


@pytest.fixture
def media(settings, tmp_path):
    """Photos (originals, renditions, the local network's copies) go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _decide(office, pupil: Pupil, purpose: str, state: str) -> None:
    today = timezone.localdate()
    common = {
        "actor": office,
        "pupil": pupil,
        "purpose": purpose,
        "given_by_name": f"Parent of {pupil.first_name}",
        "relationship": CarerRelationship.PARENT,
        "method": ConsentMethod.ADMISSION_FORM,
    }
    if state == "none":
        return
    if state == "refused":
        consent_record(**common, decision=ConsentDecision.REFUSED, decided_on=today - dt.timedelta(days=60))
        return
    if state == "expired":
        consent_record(
            **common,
            decision=ConsentDecision.GIVEN,
            decided_on=today - dt.timedelta(days=400),
            expires_on=today - dt.timedelta(days=30),
        )
        return
    record = consent_record(**common, decision=ConsentDecision.GIVEN, decided_on=today - dt.timedelta(days=60))
    if state == "withdrawn":
        consent_withdraw(actor=office, record=record)
    else:
        assert state == "given", state


@pytest.fixture
def world(db, media, school, year3, staff, accounts, outsider):
    """Alpha Primary with the register above, its three accounts and the people who post."""
    from moderation.services import seed_default_rules

    seed_default_rules(school)  # a school made with create_school has its default rules
    year5 = make_class(school, "Year 5", 5)
    teacher5 = make_member(school, "teacher5@alpha.test", [Role.CLASS_TEACHER], [year5])
    classes = {3: year3, 5: year5}
    pupils = {}
    for key, (first, surname, preferred, other, year, consents, flags) in REGISTER.items():
        pupil = pupil_create(
            actor=staff.office,
            first_name=first,
            surname=surname,
            preferred_name=preferred,
            class_group=classes[year],
            year_group=year,
        )
        if other:
            pupil.other_names = other
            pupil.save(update_fields=["other_names"])
        for purpose, state in consents.items():
            _decide(staff.office, pupil, purpose, state)
        if "never_publish" in flags:
            pupil_set_never_publish(actor=staff.head, pupil=pupil, reason="Court order: never online")
        if "left" in flags:
            from consent.services import pupil_update

            pupil_update(actor=staff.office, pupil=pupil, leaving_date=timezone.localdate() - dt.timedelta(days=30))
        pupils[key] = Pupil.objects.get(pk=pupil.pk)

    # Another school's pupil: nothing Alpha posts can be about them.
    pupils["oscar_beta"] = Pupil.objects.create(
        school=outsider.school,
        class_group=outsider.class_group,
        first_name="Oscar",
        surname="Finch",
        never_publish=True,
        never_publish_reason="Beta's own safeguarding note",
        never_publish_set_at=timezone.now(),
    )

    year5_account = make_account(school, "alpha_year5", class_group=year5)
    return SimpleNamespace(
        school=school,
        staff=staff,
        pupils=pupils,
        classes=classes,
        accounts={"school": accounts.whole_school, "y3": accounts.year3, "y5": year5_account},
        # Who drafts for each account; the headteacher approves.
        authors={"school": staff.slt, "y3": staff.teacher, "y5": teacher5},
        approver=staff.head,
    )
