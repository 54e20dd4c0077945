"""The load test's data (`manage.py seed_load`, run by loadtest/run.py): schools of ten staff
who can all sign in, each with a password and an authenticator app, and the posts, pupils and
consent a school has a few months into the year.

Rows are written in bulk, as a school's history would be far too slow to build through the
services one post at a time; what the services would also have done (the policy read by
everyone, the rules, the register's version) is done here by the same functions they use.
"""

import random
from dataclasses import asdict, dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount, User
from accounts.selectors import memberships_with_roles
from consent.identity import register_changed
from consent.models import ConsentDecision, ConsentPurpose, ConsentRecord, Pupil
from moderation.models import PolicyAcknowledgement
from moderation.services import policy_seed_default, seed_default_rules
from posts.models import Post, PostStatus

STAFF_PER_SCHOOL = 10
CLASSES = [("Reception", 0), *((f"Year {year}", year) for year in range(1, 7))]
# Ten staff: who they are decides which pages they use in the load test.
STAFF = [
    ("head", (Role.HEADTEACHER,), None),
    ("slt1", (Role.SENIOR_LEADER,), None),
    ("slt2", (Role.SENIOR_LEADER,), None),
    *((f"teacher{n}", (Role.CLASS_TEACHER,), n) for n in range(1, 6)),
    ("ta6", (Role.TEACHING_ASSISTANT,), 6),
    ("office", (Role.OFFICE_ADMIN,), None),
]
# How a school's posts are spread over the statuses, out of 100 (the rest are published).
STATUS_SHARES = [
    (PostStatus.DRAFT, 4),
    (PostStatus.REJECTED, 2),
    (PostStatus.WITHDRAWN, 1),
    (PostStatus.FAILED, 1),
    (PostStatus.SCHEDULED, 3),
]
WAITING_PER_SCHOOL = 40
HISTORY_DAYS = 120
TEXTS = [
    "Year {n} made rockets in science this morning and launched them on the field. #science",
    "A lovely assembly today about kindness. Thank you to everyone who came to watch!",
    "Our reading corner has new books, chosen by the children. Happy reading!",
    "Sports day is on Friday: remember sun cream, a water bottle and a hat.",
    "Class {n} visited the library and met a real author. What brilliant questions!",
    "Well done to our choir, who sang beautifully at the care home this afternoon.",
]


@dataclass(frozen=True)
class LoadStaff:
    """One sign-in for the load test: what its Locust user needs to sign in and pick its pages."""

    email: str
    password: str
    totp_secret: str
    roles: list[str]
    school: str


def seed_load(*, schools: int, password: str, posts_per_school: int, pupils_per_school: int) -> list[LoadStaff]:
    """Create `schools` schools of ten staff each; returns everyone's sign-in."""
    rng = random.Random(15)  # noqa: S311 - made-up data, not secrets
    password_hash = make_password(password)  # one slow hash, not one per person
    staff: list[LoadStaff] = []
    for number in range(1, schools + 1):
        with transaction.atomic():
            staff += _seed_school(number, password=password, password_hash=password_hash)
            school = School.objects.get(slug=_slug(number))
            office = User.objects.get(email=f"office@{_domain(number)}")
            _seed_pupils(school, pupils_per_school, recorded_by=office, rng=rng)
            _seed_posts(school, posts_per_school, rng=rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plan with statistics, as a database in use would
    return staff


def staff_as_dicts(staff: list[LoadStaff]) -> list[dict]:
    return [asdict(person) for person in staff]


def _slug(number: int) -> str:
    return f"load-{number:02d}"


def _domain(number: int) -> str:
    return f"load{number:02d}.test"


def _seed_school(number: int, *, password: str, password_hash: str) -> list[LoadStaff]:
    school = School.objects.create(name=f"Load Test School {number:02d}", slug=_slug(number))
    classes = ClassGroup.objects.bulk_create(ClassGroup(school=school, name=name, year_group=y) for name, y in CLASSES)
    SocialAccount.objects.bulk_create(
        [
            SocialAccount(
                school=school,
                kind=SocialAccount.Kind.WHOLE_SCHOOL,
                handle=f"load{number:02d}",
                display_name=school.name,
            ),
            *(
                SocialAccount(
                    school=school,
                    kind=SocialAccount.Kind.CLASS,
                    class_group=klass,
                    handle=f"load{number:02d}_{klass.year_group}",
                    display_name=f"{school.name} · {klass.name}",
                )
                for klass in classes
            ),
        ]
    )
    domain = _domain(number)
    users = User.objects.bulk_create(
        User(email=f"{name}@{domain}", first_name=name.rstrip("0123456789").title(), password=password_hash)
        for name, _, _ in STAFF
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    memberships = Membership.objects.bulk_create(Membership(user=user, school=school) for user in users)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(membership=membership, role=role)
        for membership, (_, roles, _) in zip(memberships, STAFF, strict=True)
        for role in roles
    )
    for membership, (_, _, class_index) in zip(memberships, STAFF, strict=True):
        if class_index is not None:
            membership.class_groups.add(classes[class_index])

    seed_default_rules(school)
    head = memberships_with_roles().get(pk=memberships[0].pk)
    version = policy_seed_default(school=school, signed_off_by=head)
    PolicyAcknowledgement.objects.bulk_create(PolicyAcknowledgement(version=version, user=user) for user in users[1:])

    secrets = [generate_totp_secret() for _ in users]
    for user, secret in zip(users, secrets, strict=True):
        TOTP.activate(user, secret)
    return [
        LoadStaff(email=user.email, password=password, totp_secret=secret, roles=list(roles), school=school.slug)
        for user, secret, (_, roles, _) in zip(users, secrets, STAFF, strict=True)
    ]


def _seed_pupils(school: School, count: int, *, recorded_by: User, rng: random.Random) -> None:
    """Pupils spread over the classes; most with photo and name consent, some refused, a few
    with no form back yet."""
    classes = list(ClassGroup.objects.filter(school=school))
    pupils = Pupil.objects.bulk_create(
        (
            Pupil(
                school=school,
                class_group=classes[n % len(classes)],
                year_group=classes[n % len(classes)].year_group,
                first_name=f"Child{n:04d}",
                surname=rng.choice(["Smith", "Patel", "Jones", "Nowak", "Khan", "Evans", "Murphy", "Ali"]),
                mis_id=f"{school.slug}-{n:04d}",
            )
            for n in range(count)
        ),
        batch_size=1000,
    )
    today = timezone.localdate()
    records = []
    for pupil in pupils:
        roll = rng.random()
        if roll < 0.05:
            continue
        decision = ConsentDecision.REFUSED if roll < 0.15 else ConsentDecision.GIVEN
        records += [
            ConsentRecord(
                pupil=pupil,
                purpose=purpose,
                decision=decision,
                given_by_name=f"Parent of {pupil.first_name}",
                relationship="mother",
                method="admission_form",
                decided_on=today - timedelta(days=rng.randrange(30, 200)),
                recorded_by=recorded_by,
            )
            for purpose in (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME)
        ]
    ConsentRecord.objects.bulk_create(records, batch_size=1000)
    register_changed(school_id=school.pk)  # bulk_create sends no signals


def _seed_posts(school: School, count: int, *, rng: random.Random) -> None:
    """`count` posts over the last HISTORY_DAYS days, most published; WAITING_PER_SCHOOL of them
    waiting for approval, so every approver's queue and review page has posts to show."""
    accounts = list(SocialAccount.objects.filter(school=school))
    authors = list(User.objects.filter(memberships__school=school).order_by("pk"))
    head = authors[0]
    now = timezone.now()
    posts = []
    for n in range(count):
        account = accounts[n % len(accounts)]
        when = now - timedelta(minutes=rng.randrange(60, HISTORY_DAYS * 24 * 60))
        status = PostStatus.SUBMITTED if n < WAITING_PER_SCHOOL else _status(rng)
        post = Post(
            account=account,
            author=rng.choice(authors[:9]),
            text=rng.choice(TEXTS).format(n=account.pk % 6 + 1),
            status=status,
            submitted_at=None if status == PostStatus.DRAFT else when,
        )
        if status not in (PostStatus.DRAFT, PostStatus.SUBMITTED, PostStatus.WITHDRAWN):
            post.decided_by, post.decided_at = head, when + timedelta(minutes=30)
        if status == PostStatus.PUBLISHED:
            post.published_at = when + timedelta(minutes=31)
            post.external_id = f"load-{school.pk}-{n}"
        elif status == PostStatus.SCHEDULED:
            post.publish_at = now + timedelta(hours=rng.randrange(2, 24 * 21))
        elif status == PostStatus.FAILED:
            post.failure_reason = "The network refused the post."
        posts.append(post)
    Post.objects.bulk_create(posts, batch_size=1000)
    # created_at is set on insert: move it back to when each post was written.
    Post.objects.filter(account__school=school).update(created_at=Coalesce(F("submitted_at"), F("updated_at")))


def _status(rng: random.Random) -> str:
    roll = rng.randrange(100)
    for status, share in STATUS_SHARES:
        if roll < share:
            return status
        roll -= share
    return PostStatus.PUBLISHED
