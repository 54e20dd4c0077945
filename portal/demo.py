"""The demo school: what `seed_demo` builds. Idempotent: running it again changes nothing
but the passwords (set to the one given each time)."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount
from accounts.selectors import memberships_with_roles
from audit.services import record
from community.audience import sync_followers
from community.inbox import fetch_mentions, fetch_messages
from consent import services as consent_services
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, Pupil
from moderation.services import policy_seed_default, seed_default_rules
from networks.local import adapter as local
from networks.local.models import LocalNetworkDirectMessage, LocalNetworkMention, LocalNetworkRelation

User = get_user_model()

SCHOOL_NAME = "Demo Primary School"
SCHOOL_SLUG = "demo-primary"
CLASSES = [("Year 2", 2), ("Year 3", 3), ("Year 4", 4)]
PUPILS_PER_CLASS = 25


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    classes: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """What this person does in the demo, for the sign-in list `make run` prints."""
        roles = ", ".join(Role(role).label.lower() for role in self.roles)
        return f"{roles}, {' and '.join(self.classes)}" if self.classes else roles


PEOPLE = [
    DemoPerson("head@demo.school", "Helen", "Hughes", (Role.HEADTEACHER,)),
    DemoPerson("slt@demo.school", "Samir", "Lal", (Role.SENIOR_LEADER,)),
    DemoPerson("teacher3@demo.school", "Tom", "Reid", (Role.CLASS_TEACHER,), ("Year 3",)),
    DemoPerson("teacher2@demo.school", "Grace", "Obi", (Role.CLASS_TEACHER,), ("Year 2",)),
    DemoPerson("teacher4@demo.school", "Owen", "Price", (Role.CLASS_TEACHER,), ("Year 4",)),
    DemoPerson("ta3@demo.school", "Aisha", "Begum", (Role.TEACHING_ASSISTANT,), ("Year 3",)),
    DemoPerson("office@demo.school", "Olivia", "Fisher", (Role.OFFICE_ADMIN,)),
    DemoPerson("computing@demo.school", "Chris", "Moss", (Role.COMPUTING_LEAD,)),
]

ACCOUNTS = [
    ("demoprimary", "Demo Primary School", None),
    ("demoprimary_y2", "Demo Primary · Year 2", "Year 2"),
    ("demoprimary_y3", "Demo Primary · Year 3", "Year 3"),
    ("demoprimary_y4", "Demo Primary · Year 4", "Year 4"),
]

# What some children are called at school, which the consent check looks for too.
NICKNAMES = {"Amelia": "Millie", "Theo": "Teddy", "Alfie": "Alf", "Siobhán": "Shiv"}

FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Lily",
    "Harry",
    "Aisha",
    "Muhammad",
    "Zoë",
    "Finn",
    "Siobhán",
    "Theo",
    "Poppy",
    "Jack",
    "Ruby",
    "Alfie",
    "Nia",
    "Kacper",
    "Maja",
    "Dev",
    "Priya",
    "Tariq",
    "Esme",
    "Rory",
    "Chloe",
    "Kai",
    "Sofia",
    "Elijah",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Thompson",
    "Evans",
    "Walker",
    "Khan",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Ahmed",
    "Nowak",
    "Murphy",
    "O'Brien",
    "Kowalski",
    "Singh",
    "Hughes",
    "Edwards",
    "Ali",
]


@dataclass(frozen=True)
class SeedResult:
    school: School
    created: bool
    emails: list[str]


def seed_demo(*, password: str) -> SeedResult:
    with transaction.atomic():
        school, created = School.objects.get_or_create(slug=SCHOOL_SLUG, defaults={"name": SCHOOL_NAME})
        classes = {
            name: ClassGroup.objects.get_or_create(school=school, name=name, defaults={"year_group": year})[0]
            for name, year in CLASSES
        }
        for person in PEOPLE:
            _seed_person(school=school, person=person, classes=classes, password=password)
        for handle, display_name, class_name in ACCOUNTS:
            SocialAccount.objects.get_or_create(
                network="local",
                handle=handle,
                defaults={
                    "school": school,
                    "display_name": display_name,
                    "kind": SocialAccount.Kind.CLASS if class_name else SocialAccount.Kind.WHOLE_SCHOOL,
                    "class_group": classes[class_name] if class_name else None,
                },
            )
        seed_default_rules(school)
        _seed_audience(school)
        if created:
            head = memberships_with_roles().get(school=school, user__email="head@demo.school")
            office = memberships_with_roles().get(school=school, user__email="office@demo.school")
            _seed_pupils(head=head, office=office, classes=classes)
            policy_seed_default(school=school, signed_off_by=head)
            record(action="demo.seeded", school=school, target=school)
    return SeedResult(school=school, created=created, emails=[p.email for p in PEOPLE])


def demo_school() -> School | None:
    return School.objects.filter(slug=SCHOOL_SLUG).first()


def demo_password_works(password: str) -> bool:
    """Whether the demo sign-ins still use this password (someone may have changed it since)."""
    user = User.objects.filter(email=PEOPLE[0].email).first()
    return bool(user and user.check_password(password))


def _seed_person(*, school: School, person: DemoPerson, classes: dict, password: str) -> None:
    user, _ = User.objects.get_or_create(
        email=person.email, defaults={"first_name": person.first_name, "last_name": person.last_name}
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    membership, _ = Membership.objects.get_or_create(user=user, school=school)
    for role in person.roles:
        RoleAssignment.objects.get_or_create(membership=membership, role=role)
    membership.class_groups.add(*(classes[name] for name in person.classes))


def _seed_pupils(*, head: Membership, office: Membership, classes: dict) -> None:
    """75 pupils with the mix of consent a real register has."""
    rng = random.Random(2026)  # noqa: S311 - demo names, not secrets
    today = timezone.localdate()
    september = date(today.year if today.month >= 9 else today.year - 1, 9, 4)
    for klass in classes.values():
        for n in range(PUPILS_PER_CLASS):
            first_name = rng.choice(FIRST_NAMES)
            pupil = consent_services.pupil_create(
                actor=office,
                first_name=first_name,
                surname=rng.choice(SURNAMES),
                other_names=NICKNAMES.get(first_name, ""),
                class_group=klass,
                year_group=klass.year_group,
                mis_id=f"DEMO-{klass.year_group}{n:02d}",
            )
            _seed_consent(head=head, office=office, pupil=pupil, case=n, admitted=september, today=today)


def _seed_consent(*, head, office, pupil: Pupil, case: int, admitted: date, today: date) -> None:
    def give(purpose, decision=ConsentDecision.GIVEN, *, by=None, relationship=CarerRelationship.MOTHER, **extra):
        return consent_services.consent_record(
            actor=office,
            pupil=pupil,
            purpose=purpose,
            decision=decision,
            given_by_name=by or f"Parent of {pupil.first_name}",
            relationship=relationship,
            method=ConsentMethod.ADMISSION_FORM,
            decided_on=extra.pop("decided_on", admitted),
            **extra,
        )

    match case % 25:
        case 3 | 14:  # photos refused, first name allowed
            give(ConsentPurpose.SOCIAL_PHOTO, ConsentDecision.REFUSED)
            give(ConsentPurpose.SOCIAL_NAME)
        case 7:  # photo consent withdrawn in the spring
            record = give(ConsentPurpose.SOCIAL_PHOTO)
            give(ConsentPurpose.SOCIAL_NAME)
            consent_services.consent_withdraw(actor=office, record=record)
        case 11:  # consent given for a year that has now run out
            give(
                ConsentPurpose.SOCIAL_PHOTO,
                decided_on=today - timedelta(days=400),
                expires_on=today - timedelta(days=35),
            )
            give(ConsentPurpose.SOCIAL_NAME)
        case 18:  # two carers who disagree
            give(ConsentPurpose.SOCIAL_PHOTO, by=f"Mother of {pupil.first_name}")
            give(
                ConsentPurpose.SOCIAL_PHOTO,
                ConsentDecision.REFUSED,
                by=f"Father of {pupil.first_name}",
                relationship=CarerRelationship.FATHER,
            )
        case 21:  # no form returned yet
            pass
        case 23 if pupil.year_group == 3:  # safeguarding: never published, whatever the form says
            give(ConsentPurpose.SOCIAL_PHOTO)
            consent_services.pupil_set_never_publish(
                actor=head, pupil=pupil, reason="Demo: a court order restricts publishing this child's image."
            )
        case _:
            give(ConsentPurpose.SOCIAL_PHOTO)
            give(ConsentPurpose.SOCIAL_NAME)
            give(ConsentPurpose.WEBSITE_PHOTO)


# People on the local network who follow and mention the demo accounts (issue 7): a few parents
# and a local author, one follower with an offensive bio, one brand-new empty account; a kind
# mention of the whole-school account and an abusive one, for the followers queue and the inbox.
AUDIENCE = [
    # handle, display name, bio, age in days, posts, followers, following, accounts followed
    ("reading_with_rosie", "Rosie Patel", "Mum of two, school governor, always reading.", 1900, 420, 180, 260, "all"),
    ("cllr_dan_hughes", "Dan Hughes", "Local councillor. Parks, libraries, bin days.", 3200, 5100, 2300, 900, "whole"),
    (
        "maya_writes_books",
        "Maya Writes",
        "Children's author. Dragons, buses and big feelings.",
        2500,
        3300,
        8100,
        700,
        "whole",
    ),
    (
        "the_grumpy_truth",
        "Grumpy Truth",
        "Teachers are scum and schools are crap. Unfollow if offended.",
        200,
        2600,
        40,
        3000,
        "whole",
    ),
    ("user48213907", "", "", 3, 0, 0, 310, "whole"),
]
MENTIONS = [
    ("maya_writes_books", "Thank you @demoprimary for a wonderful author visit. Year 3 asked the best questions!"),
    ("the_grumpy_truth", "@demoprimary your teachers are useless idiots and your school is crap."),
]
# Private messages to the whole-school account (issue 18): one about a visit, one abusive.
MESSAGES = [
    ("maya_writes_books", "Hello! I would love to come back in the summer term to run a writing workshop."),
    ("user48213907", "your school is crap and I know where your teachers live"),
]


def _seed_audience(school: School) -> None:
    accounts = list(SocialAccount.objects.filter(school=school, network="local"))
    whole = next((account for account in accounts if account.kind == SocialAccount.Kind.WHOLE_SCHOOL), None)
    if whole is None:  # the school moved its whole-school account to another network
        return
    now = timezone.now()
    people = {}
    for handle, name, bio, age, posts, followers, following, follows in AUDIENCE:
        person = local.simulate_person(
            handle,
            display_name=name,
            bio=bio,
            created_at=now - timedelta(days=age),
            posts_count=posts,
            followers_count=followers,
            following_count=following,
        )
        people[handle] = person
        for account in accounts if follows == "all" else [whole]:
            if not LocalNetworkRelation.objects.filter(account=account, user=person, kind="block").exists():
                local.simulate_follow(person, account)
    for handle, text in MENTIONS:
        if not LocalNetworkMention.objects.filter(author=people[handle], account=whole, text=text).exists():
            local.simulate_mention(people[handle], whole, text)
    for handle, text in MESSAGES:
        person = people[handle]
        blocked = LocalNetworkRelation.objects.filter(account=whole, user=person, kind="block").exists()
        sent = LocalNetworkDirectMessage.objects.filter(person=person, account=whole, text=text).exists()
        if not blocked and not sent:
            local.simulate_message(person, whole, text)
    for account in accounts:
        sync_followers(account)
        fetch_mentions(account)  # the inbox shows the demo's mentions at once, not after beat's first run
        fetch_messages(account)
