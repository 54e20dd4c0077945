"""The trust-scale data set for `manage.py bench --scale trust` and for the load test
(`manage.py seed_load`): many schools shaped like real ones, written into whichever empty
scratch database the process is configured with (never the portal's own).

Each school has a headteacher and a deputy who approve (both with a second factor), class
teachers, a teaching assistant, an office admin and a computing lead; fourteen classes with an
account each and a whole-school account; a register with the consent mix a school really has;
and years of posts, nearly all published, with the handful waiting, scheduled, failed or sent
back that the dashboards and the queue are about.

The few hundred rows per school that need the portal's own services (people, second factors,
rules, the policy) are made through them. The hundreds of thousands of posts, photos, pupils,
consent records and audit entries are written with explicit ids in large batches: COPY on
PostgreSQL, one executemany per table and school on SQLite. That is what makes 500,000 posts
take a minute or two rather than an hour, and why every sequence is moved on at the end.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount, User
from accounts.selectors import memberships_with_roles
from audit.chain import GENESIS, fingerprint
from audit.models import AuditEvent
from community.models import Follower, MentionItem
from consent import identity
from consent.models import (
    CarerRelationship,
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    Pupil,
)
from moderation.models import PolicyAcknowledgement
from moderation.services import policy_seed_default, seed_default_rules
from portal.demo import FIRST_NAMES, SURNAMES
from posts.models import FaceRegion, Post, PostComment, PostImage, PostStatus

# Every person the bench makes signs in with this password (hashed once, shared by all), so a
# load test pointed at the scratch database can sign in as anyone. seed_load gives its own.
PASSWORD = "trust-bench-password"  # noqa: S105 - for a scratch database of made-up people
YEARS_OF_POSTS = 3
# Reception to Year 6, two forms each.
FORMS = ("Oak", "Ash")
YEARS = range(0, 7)
# Each class teacher has two classes; besides them, a head, a deputy, an office admin, a
# computing lead and a teaching assistant.
CLASS_TEACHERS = len(YEARS) * len(FORMS) // 2
STAFF_PER_SCHOOL = CLASS_TEACHERS + 5

_FINDINGS = [{"rule": "spelling", "severity": "warn", "message": "Check the spelling of “recieve”."}]
_TEXTS = (
    "What a week in {klass}! We built bridges out of straws and tested them with marbles. #STEM",
    "{klass} visited the library today and everyone chose a new book to take home. #LoveReading",
    "Thank you to all the families who came to {klass}'s assembly this morning. What a performance!",
    "Our sports day is on Friday: please send a named water bottle and a sun hat. #SportsDay",
    "{klass} planted beans in the garden and will measure them every day. https://example.org/grow",
    "A huge well done to {klass} for raising money for the food bank with their cake sale.",
    "Reminder: the school is closed on Monday for staff training. See you on Tuesday!",
    "{klass} have been learning about the Romans and made shields in the hall. #History",
)


@dataclass(frozen=True)
class TrustScale:
    """How big the trust is. The full figure is 50 schools of 10,000 posts and 500 pupils."""

    schools: int = 50
    posts_per_school: int = 10_000
    pupils_per_school: int = 500

    def as_dict(self) -> dict:
        return {
            "schools": self.schools,
            "posts_per_school": self.posts_per_school,
            "pupils_per_school": self.pupils_per_school,
        }


@dataclass
class _Staff:
    """One school's people and accounts, as the fast writers need them (ids only)."""

    school_id: int
    head_id: int
    deputy_id: int
    office_id: int
    teacher_ids: list[int]
    # class group id -> (its account id, the teacher who posts for it)
    classes: dict[int, tuple[int, int]]
    class_names: dict[int, str]
    whole_school_account_id: int
    pupils_by_class: dict[int, list[int]] = field(default_factory=dict)


def school_slug(number: int) -> str:
    return f"trust-{number:02d}"


def email_for(number: int, person: str) -> str:
    return f"{person}@trust-{number:02d}.bench.invalid"


def build(scale: TrustScale, *, log: Callable[[str], None], password: str = PASSWORD) -> dict:
    """Fill the (empty, migrated) scratch database; everyone signs in with `password`. Returns the
    seconds each step took and the rows it wrote."""
    started = time.perf_counter()
    steps = {}
    password = make_password(password)  # one slow hash, shared by everyone
    now = timezone.now()
    ids = _Ids()

    clock = time.perf_counter()
    schools = [_school(number, password=password) for number in range(scale.schools)]
    steps["schools_staff_accounts_s"] = round(time.perf_counter() - clock, 1)
    log(f"{len(schools)} schools with their staff and accounts ({steps['schools_staff_accounts_s']} s)")

    clock = time.perf_counter()
    for staff in schools:
        with transaction.atomic():
            _pupils_and_consent(staff, scale.pupils_per_school, ids=ids, now=now)
    steps["pupils_consent_s"] = round(time.perf_counter() - clock, 1)
    log(f"{scale.schools * scale.pupils_per_school:,} pupils with their consent ({steps['pupils_consent_s']} s)")

    clock = time.perf_counter()
    for number, staff in enumerate(schools):
        with transaction.atomic():
            _posts(staff, scale.posts_per_school, ids=ids, now=now, seed=number)
            _audience(staff, number=number, now=now)
        if number % 10 == 9 or number == len(schools) - 1:
            log(
                f"posts of {number + 1} of {len(schools)} schools "
                f"({(number + 1) * scale.posts_per_school:,} posts, {time.perf_counter() - clock:.0f} s)"
            )
    steps["posts_s"] = round(time.perf_counter() - clock, 1)

    _move_sequences_on()
    for staff in schools:
        identity.register_changed(school_id=staff.school_id)  # bulk writes send no signals

    clock = time.perf_counter()
    analyze()
    steps["analyze_s"] = round(time.perf_counter() - clock, 1)
    log(f"statistics gathered ({steps['analyze_s']} s)")
    return {"seconds": round(time.perf_counter() - started, 1), "steps": steps, "rows": row_counts()}


def row_counts() -> dict:
    counted = (School, User, SocialAccount, Pupil, ConsentRecord, Post, PostImage, FaceRegion, AuditEvent)
    return {model._meta.label_lower: model.objects.count() for model in counted}


def analyze() -> None:
    """Give the planner the statistics a live database would have. VACUUM on PostgreSQL also sets
    the visibility map, as autovacuum would have long since done, so index-only scans count.
    VACUUM cannot run inside a transaction (a test's, say): there the statistics alone are
    gathered."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


# --- People, classes and accounts: few rows, made through the portal's own code -------------


def _school(number: int, *, password: str) -> _Staff:
    with transaction.atomic():
        school = School.objects.create(name=f"Trust School {number:02d}", slug=school_slug(number))
        groups = ClassGroup.objects.bulk_create(
            ClassGroup(school=school, name=f"{_year_name(year)} {form}", year_group=year)
            for year in YEARS
            for form in FORMS
        )
        people = {
            "head": _person(school, number, "head", "Helen", [Role.HEADTEACHER], password),
            "deputy": _person(school, number, "deputy", "Dev", [Role.SENIOR_LEADER], password),
            "office": _person(school, number, "office", "Olu", [Role.OFFICE_ADMIN], password),
            "computing": _person(school, number, "computing", "Cai", [Role.COMPUTING_LEAD], password),
            "ta": _person(school, number, "ta", "Tia", [Role.TEACHING_ASSISTANT], password),
        }
        teachers = [
            _person(school, number, f"teacher{n + 1}", f"Teacher{n + 1}", [Role.CLASS_TEACHER], password)
            for n in range(CLASS_TEACHERS)
        ]
        for n, teacher in enumerate(teachers):
            teacher.class_groups.set(groups[2 * n : 2 * n + 2])
        people["ta"].class_groups.set(groups[:2])
        for person in ("head", "deputy", "office"):
            TOTP.activate(people[person].user, totp_secret_for(people[person].user.email))

        whole_school = SocialAccount.objects.create(
            school=school,
            kind=SocialAccount.Kind.WHOLE_SCHOOL,
            handle=f"trust{number:02d}_school",
            display_name=school.name,
        )
        class_accounts = SocialAccount.objects.bulk_create(
            SocialAccount(
                school=school,
                kind=SocialAccount.Kind.CLASS,
                class_group=group,
                handle=f"trust{number:02d}_{group.name.lower().replace(' ', '_')}",
                display_name=f"{school.name} · {group.name}",
            )
            for group in groups
        )
        seed_default_rules(school)
        policy = policy_seed_default(
            school=school,
            signed_off_by=Membership.objects.prefetch_related("role_assignments").get(pk=people["head"].pk),
        )
        # Everyone has read the policy, as in a school that has used the portal for years; the
        # headteacher's reading came with the sign-off.
        PolicyAcknowledgement.objects.bulk_create(
            PolicyAcknowledgement(version=policy, user_id=member.user_id)
            for member in [*people.values(), *teachers]
            if member is not people["head"]
        )
    return _Staff(
        school_id=school.pk,
        head_id=people["head"].user_id,
        deputy_id=people["deputy"].user_id,
        office_id=people["office"].user_id,
        teacher_ids=[teacher.user_id for teacher in teachers],
        classes={
            group.pk: (account.pk, teachers[min(n // 2, len(teachers) - 1)].user_id)
            for n, (group, account) in enumerate(zip(groups, class_accounts, strict=True))
        },
        class_names={group.pk: group.name for group in groups},
        whole_school_account_id=whole_school.pk,
    )


def totp_secret_for(email: str) -> str:
    """The authenticator secret of a bench approver, worked out from their address, so a load
    test pointed at the scratch database can sign in with a second factor as anyone. Made-up
    people in a throwaway database; never a way to make a real secret."""
    return base64.b32encode(hashlib.sha256(email.encode()).digest()[:20]).decode()


# The order a load test takes people in: whoever it takes first from a school covers its most
# used pages (approving, drafting, the register) before the staff who mostly read.
_SIGN_IN_ORDER = [
    Role.HEADTEACHER,
    Role.SENIOR_LEADER,
    Role.CLASS_TEACHER,
    Role.TEACHING_ASSISTANT,
    Role.OFFICE_ADMIN,
    Role.COMPUTING_LEAD,
]


def sign_ins(*, password: str) -> list[dict]:
    """Everyone `build` made, school by school, with what a load test needs to sign in as them:
    the password it was given and, for those with an authenticator app, its secret (else None)."""
    with_app = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list("user_id", flat=True))
    people = []
    for school in School.objects.order_by("slug"):
        members = memberships_with_roles().filter(school=school)
        for member in sorted(members, key=lambda m: (min(_SIGN_IN_ORDER.index(r) for r in m.roles), m.pk)):
            email = member.user.email
            people.append(
                {
                    "email": email,
                    "password": password,
                    "totp_secret": totp_secret_for(email) if member.user_id in with_app else None,
                    "roles": sorted(member.roles),
                    "school": school.slug,
                }
            )
    return people


def _year_name(year: int) -> str:
    return "Reception" if year == 0 else f"Year {year}"


def _person(school: School, number: int, person: str, first_name: str, roles, password: str) -> Membership:
    email = email_for(number, person)
    user = User.objects.create(email=email, password=password, first_name=first_name, last_name=f"Trust{number:02d}")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    membership = Membership.objects.create(user=user, school=school)
    RoleAssignment.objects.bulk_create(RoleAssignment(membership=membership, role=role) for role in roles)
    return membership


# --- The fast writers ------------------------------------------------------------------------


class _Ids:
    """Hands out primary keys for the rows written in bulk, so children can point at parents
    without reading anything back. Starts after whatever the portal's own code made first."""

    def __init__(self):
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int) -> range:
        if model not in self._next:
            self._next[model] = (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1
        first = self._next[model]
        self._next[model] = first + count
        return range(first, first + count)


_BULK_MODELS: list[type[models.Model]] = [
    Pupil,
    ConsentRecord,
    Post,
    PostImage,
    PostImage.tagged_pupils.through,
    FaceRegion,
    PostComment,
    AuditEvent,
]


# The audit columns the bench fills, as audit.chain.fingerprint names them (after the id).
_CHAINED_FIELDS = ("school_id", "actor_id", "action", "target_type", "target_id", "target_repr", "data", "created_at")


def _write(model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert `rows` (values in the order of `columns`, which are field names) into `model`'s
    table in one go. Values are Python values; JSON fields take dicts and lists. Every other
    column gets its field's default, so a field added to the model later needs no change here."""
    fields = [model._meta.get_field(name) for name in columns]
    others = [f for f in model._meta.concrete_fields if f not in fields and not f.primary_key]
    if others:
        fields += others
        rows = (tuple(row) + tuple(f.get_default() for f in others) for row in rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            json_at = [n for n, f in enumerate(fields) if isinstance(f, models.JSONField)]
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for n in json_at:
                            row[n] = json.dumps(row[n])
                    copy.write_row(row)
                    count += 1
        else:
            prepare = [f.get_db_prep_save for f in fields]
            prepared = [tuple(p(value, connection) for p, value in zip(prepare, row, strict=True)) for row in rows]
            placeholders = ", ".join("%s" for _ in fields)
            # Table and column names come from the models, quoted; the values are parameters.
            insert = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(insert, prepared)
            count = len(prepared)
    return count


def _move_sequences_on() -> None:
    """Rows written with explicit ids leave PostgreSQL's sequences behind; the next row the
    portal makes would collide. (SQLite's AUTOINCREMENT follows the largest id by itself.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), _BULK_MODELS)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


# --- Pupils and consent ----------------------------------------------------------------------

_CONSENT_COLUMNS = [
    "id",
    "pupil",
    "purpose",
    "decision",
    "given_by_name",
    "relationship",
    "method",
    "decided_on",
    "expires_on",
    "withdrawn_at",
    "withdrawn_by",
    "recorded_by",
    "recorded_at",
]


def _pupils_and_consent(staff: _Staff, count: int, *, ids: _Ids, now: datetime) -> None:
    rng = random.Random(staff.school_id)  # noqa: S311 - benchmark data
    today = timezone.localdate(now)
    groups = list(staff.classes)
    pupil_ids = ids.take(Pupil, count)
    pupils = []
    for n, pk in enumerate(pupil_ids):
        group = groups[n % len(groups)]
        year = n % len(groups) // len(FORMS)
        left = n % 50 == 49
        never = n % 250 == 7
        pupils.append(
            (
                pk,
                staff.school_id,
                group,
                rng.choice(FIRST_NAMES),
                rng.choice(SURNAMES),
                "",
                "",
                year,
                f"T{staff.school_id:03d}{n:05d}",
                today - timedelta(days=rng.randint(10, 300)) if left else None,
                never,
                "Safeguarding: agreed with the family." if never else "",
                staff.head_id if never else None,
                now - timedelta(days=rng.randint(1, 300)) if never else None,
                now - timedelta(days=rng.randint(30, 1000)),
            )
        )
        staff.pupils_by_class.setdefault(group, []).append(pk)
    _write(
        Pupil,
        [
            "id",
            "school",
            "class_group",
            "first_name",
            "surname",
            "preferred_name",
            "other_names",
            "year_group",
            "mis_id",
            "leaving_date",
            "never_publish",
            "never_publish_reason",
            "never_publish_set_by",
            "never_publish_set_at",
            "created_at",
        ],
        pupils,
    )
    decisions = [row for pupil in pupils for row in _consent_for(pupil[0], rng, staff=staff, today=today, now=now)]
    record_ids = iter(ids.take(ConsentRecord, len(decisions)))
    _write(ConsentRecord, _CONSENT_COLUMNS, ((next(record_ids), *row) for row in decisions))


def _consent_for(pupil_id: int, rng: random.Random, *, staff: _Staff, today: date, now: datetime) -> list[tuple]:
    """One pupil's consent, in the proportions a school sees: most carers say yes to everything,
    some refuse photos, a few withdraw, some consent runs out soon, a few carers disagree, and
    some forms never come back."""
    admitted = today - timedelta(days=rng.randint(30, 2000))
    carer = f"Parent {pupil_id}"

    def decision(purpose, answer=ConsentDecision.GIVEN, *, by=carer, expires=None, withdrawn=False):
        return (
            pupil_id,
            purpose,
            answer,
            by,
            CarerRelationship.PARENT,
            ConsentMethod.ADMISSION_FORM,
            admitted,
            expires,
            now - timedelta(days=rng.randint(1, 60)) if withdrawn else None,
            staff.office_id if withdrawn else None,
            staff.office_id,
            now - timedelta(days=rng.randint(60, 900)),
        )

    roll = rng.random()
    others = [
        decision(ConsentPurpose.WEBSITE_PHOTO),
        decision(ConsentPurpose.PRESS, ConsentDecision.REFUSED if rng.random() < 0.3 else ConsentDecision.GIVEN),
    ]
    if roll < 0.04:  # the form never came back
        return []
    if roll < 0.10:
        return [decision(ConsentPurpose.SOCIAL_PHOTO, ConsentDecision.REFUSED), decision(ConsentPurpose.SOCIAL_NAME)]
    if roll < 0.13:
        return [decision(ConsentPurpose.SOCIAL_PHOTO, withdrawn=True), decision(ConsentPurpose.SOCIAL_NAME), *others]
    if roll < 0.18:  # consent for a fixed time that ends in the coming weeks
        ends = today + timedelta(days=rng.randint(1, 40))
        return [decision(ConsentPurpose.SOCIAL_PHOTO, expires=ends), decision(ConsentPurpose.SOCIAL_NAME), *others]
    if roll < 0.20:  # two carers who disagree
        return [
            decision(ConsentPurpose.SOCIAL_PHOTO, by=f"Mother {pupil_id}"),
            decision(ConsentPurpose.SOCIAL_PHOTO, ConsentDecision.REFUSED, by=f"Father {pupil_id}"),
            decision(ConsentPurpose.SOCIAL_NAME),
        ]
    return [decision(ConsentPurpose.SOCIAL_PHOTO), decision(ConsentPurpose.SOCIAL_NAME), *others]


# --- Posts -----------------------------------------------------------------------------------

_POST_COLUMNS = [
    "id",
    "account",
    "author",
    "text",
    "quote_url",
    "publish_at",
    "status",
    "findings",
    "consent_snapshot",
    "submitted_at",
    "decided_by",
    "decided_at",
    "external_id",
    "external_url",
    "published_at",
    "failure_reason",
    "publish_attempts",
    "publishing_started_at",
    "retry_at",
    "last_publish_error",
    "taken_down_at",
    "idempotency_key",
    "client_token",
    "created_at",
    "updated_at",
]
_POST_DEFAULTS = {
    "quote_url": "",
    "publish_at": None,
    "findings": [],
    "consent_snapshot": {},
    "submitted_at": None,
    "decided_by": None,
    "decided_at": None,
    "external_id": "",
    "external_url": "",
    "published_at": None,
    "failure_reason": "",
    "publish_attempts": 0,
    "publishing_started_at": None,
    "retry_at": None,
    "last_publish_error": "",
    "taken_down_at": None,
    "client_token": None,
}


def post_mix(posts: int) -> dict[str, int]:
    """How a school's posts divide between what they are doing now; the rest are published."""
    mix = {
        "submitted": max(2, posts // 250),
        "draft": max(2, posts * 3 // 100),
        "sent_back": max(1, posts // 500),
        "approved": max(1, posts // 2000),
        "scheduled": max(2, posts * 6 // 1000),
        "retrying": max(1, posts // 3000),
        "failed": max(1, posts * 15 // 10_000),
        "rejected": posts // 100,
        "withdrawn": posts // 200,
        "taken_down": posts // 500,
    }
    mix["published"] = max(0, posts - sum(mix.values()))
    return mix


class _PostRows:
    """Collects one school's posts and what hangs off them, then writes each table once."""

    def __init__(self, staff: _Staff, *, rng: random.Random, now: datetime):
        self.staff, self.rng, self.now = staff, rng, now
        self.posts: list[dict] = []
        self.images: list[tuple] = []  # (post index, tagged pupil ids, with faces)
        self.comments: list[tuple] = []  # (post index, author, kind, body, created_at)
        self.audit: list[tuple] = []  # (post index, action, actor, created_at)
        self.approvers = (staff.head_id, staff.deputy_id)
        self.everyone = [pupil for pupils in staff.pupils_by_class.values() for pupil in pupils]

    def add(self, *, status: str, created: datetime, photo: bool = False, faces: bool = False, **values) -> int:
        account, author, group = self._account_and_author()
        text = self.rng.choice(_TEXTS).format(klass=self.staff.class_names.get(group, "the whole school"))
        row = {
            **_POST_DEFAULTS,
            "account": account,
            "author": author,
            "text": text,
            "status": status,
            "idempotency_key": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            "created_at": created,
            "updated_at": values.get("decided_at") or values.get("submitted_at") or created,
            **values,
        }
        self.posts.append(row)
        index = len(self.posts) - 1
        if photo:
            pupils = self.staff.pupils_by_class.get(group) or self.everyone
            self.images.append((index, self.rng.sample(pupils, min(2, len(pupils))), faces))
        return index

    def _account_and_author(self) -> tuple[int, int, int | None]:
        if self.rng.random() < 0.2:
            return self.staff.whole_school_account_id, self.rng.choice(self.approvers), None
        group = self.rng.choice(list(self.staff.classes))
        account, teacher = self.staff.classes[group]
        return account, teacher, group

    def write(self, ids: _Ids) -> None:
        post_ids = ids.take(Post, len(self.posts))
        for pk, row in zip(post_ids, self.posts, strict=True):
            row["id"] = pk
            if row["status"] in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN):
                row["external_id"] = f"local-{pk}"
                row["external_url"] = f"https://local.invalid/posts/{pk}"
        _write(Post, _POST_COLUMNS, (tuple(row[c] for c in _POST_COLUMNS) for row in self.posts))
        self._write_images(ids, post_ids)
        comment_ids = ids.take(PostComment, len(self.comments))
        _write(
            PostComment,
            ["id", "post", "author", "kind", "body", "created_at"],
            ((pk, post_ids[i], *rest) for pk, (i, *rest) in zip(comment_ids, self.comments, strict=True)),
        )
        audit_ids = ids.take(AuditEvent, len(self.audit))
        # Read before the COPY starts: the rows are made while it runs, on the same connection.
        last_hash = (
            AuditEvent.objects.in_chain(self.staff.school_id)
            .order_by("-id")
            .values_list("entry_hash", flat=True)
            .first()
        )
        _write(
            AuditEvent,
            [
                "id",
                "school",
                "actor",
                "action",
                "target_type",
                "target_id",
                "target_repr",
                "data",
                "created_at",
                "previous_hash",
                "entry_hash",
            ],
            self._chained_audit(audit_ids, post_ids, after=last_hash),
        )

    def _chained_audit(self, audit_ids: range, post_ids: range, *, after: str | None) -> Iterable[tuple]:
        """The school's audit rows linked into its hash chain in id order, after whatever entries
        the school already has (the last one's fingerprint `after`), so `audit_verify` finds a bench
        trust whole."""
        school_id = self.staff.school_id
        previous = after or GENESIS
        for pk, (i, action, actor, at) in zip(audit_ids, self.audit, strict=True):
            row = (pk, school_id, actor, action, "posts.post", str(post_ids[i]), self._repr(i), {}, at)
            fields = dict(zip(_CHAINED_FIELDS, row[1:], strict=True))
            entry_hash = fingerprint(**fields, ip_address=None, previous_hash=previous)
            yield (*row, previous, entry_hash)
            previous = entry_hash

    def _repr(self, index: int) -> str:
        row = self.posts[index]
        return f"{PostStatus(row['status']).label}: {row['text'][:40]}…"

    def _write_images(self, ids: _Ids, post_ids: range) -> None:
        image_ids = ids.take(PostImage, len(self.images))
        images, tags, faces = [], [], []
        for pk, (index, pupils, with_faces) in zip(image_ids, self.images, strict=True):
            created = self.posts[index]["created_at"]
            folder = f"{created:%Y/%m}"
            images.append(
                (
                    pk,
                    post_ids[index],
                    0,
                    f"posts/originals/{folder}/{pk}.jpg",
                    f"posts/renditions/{folder}/{pk}.jpg",
                    f"posts/thumbnails/{folder}/{pk}.jpg",
                    2048,
                    1536,
                    "Children working together at a table in the classroom.",
                )
            )
            tags.extend((pk, pupil) for pupil in pupils)
            if with_faces:
                faces.append((pk, 100, 120, 80, 80, "detected", "pupil", pupils[0]))
                faces.append((pk, 400, 110, 76, 76, "detected", "", None))
        columns = ["id", "post", "position", "original", "rendition", "thumbnail", "width", "height", "alt_text"]
        _write(PostImage, columns, images)
        through = PostImage.tagged_pupils.through
        tag_ids = ids.take(through, len(tags))
        _write(through, ["id", "postimage", "pupil"], ((pk, *tag) for pk, tag in zip(tag_ids, tags, strict=True)))
        face_ids = ids.take(FaceRegion, len(faces))
        _write(
            FaceRegion,
            ["id", "image", "x", "y", "w", "h", "source", "resolution", "pupil"],
            ((pk, *face) for pk, face in zip(face_ids, faces, strict=True)),
        )


def _posts(staff: _Staff, count: int, *, ids: _Ids, now: datetime, seed: int) -> None:
    rng = random.Random(1000 + seed)  # noqa: S311 - benchmark data
    rows = _PostRows(staff, rng=rng, now=now)
    mix = post_mix(count)
    _published(rows, mix["published"], now=now)
    _in_progress(rows, mix, now=now)
    rows.write(ids)


def _published(rows: _PostRows, count: int, *, now: datetime) -> None:
    """Published posts spread evenly over the years, oldest first, as the ids of a real school's
    posts would be; a third with a photo."""
    rng = rows.rng
    span = timedelta(days=365 * YEARS_OF_POSTS).total_seconds()
    for n in range(count):
        published = now - timedelta(seconds=span * (count - n) / max(count, 1)) - timedelta(minutes=30)
        created = published - timedelta(hours=rng.uniform(1, 72))
        submitted = created + timedelta(minutes=rng.uniform(5, 60))
        decided = published - timedelta(minutes=rng.uniform(1, 30))
        approver = rng.choice(rows.approvers)
        index = rows.add(
            status=PostStatus.PUBLISHED,
            created=created,
            photo=rng.random() < 0.33,
            submitted_at=submitted,
            decided_by=approver,
            decided_at=decided,
            published_at=published,
            publish_attempts=1,
        )
        rows.posts[index]["updated_at"] = published
        rows.audit.append((index, "post.published", None, published))


def _in_progress(rows: _PostRows, mix: dict[str, int], *, now: datetime) -> None:
    """The posts that are not simply published: what the dashboards, the queue and the calendar
    are for."""
    rng = rows.rng

    def recently(days: float) -> datetime:
        return now - timedelta(seconds=rng.uniform(60, days * 86400))

    for _ in range(mix["submitted"]):  # waiting for approval, each with a photo and its faces
        created = recently(7)
        index = rows.add(
            status=PostStatus.SUBMITTED,
            created=created,
            photo=True,
            faces=True,
            submitted_at=created + timedelta(minutes=10),
            findings=_FINDINGS if rng.random() < 0.3 else [],
        )
        rows.audit.append((index, "post.submitted", rows.posts[index]["author"], created + timedelta(minutes=10)))
    for _ in range(mix["draft"]):
        index = rows.add(status=PostStatus.DRAFT, created=recently(60), photo=rng.random() < 0.2)
        rows.audit.append((index, "post.created", rows.posts[index]["author"], rows.posts[index]["created_at"]))
    for _ in range(mix["sent_back"]):
        created = recently(14)
        index = rows.add(status=PostStatus.DRAFT, created=created, submitted_at=created + timedelta(minutes=5))
        asked = created + timedelta(hours=2)
        rows.comments.append(
            (index, staff_approver(rows), PostComment.Kind.CHANGES_REQUESTED, "Please crop the photo.", asked)
        )
        rows.audit.append((index, "post.changes_requested", staff_approver(rows), asked))
    for kind in ("approved", "scheduled", "retrying"):
        for _ in range(mix[kind]):
            created = recently(10)
            publish_at = None if kind == "approved" else now + timedelta(seconds=rng.uniform(3600, 28 * 86400))
            index = rows.add(
                status=PostStatus.APPROVED if kind == "approved" else PostStatus.SCHEDULED,
                created=created,
                photo=rng.random() < 0.33,
                submitted_at=created + timedelta(minutes=5),
                decided_by=staff_approver(rows),
                decided_at=created + timedelta(hours=1),
                publish_at=publish_at,
                last_publish_error="The network did not answer in time." if kind == "retrying" else "",
                retry_at=now + timedelta(minutes=15) if kind == "retrying" else None,
            )
            rows.audit.append((index, "post.approved", staff_approver(rows), created + timedelta(hours=1)))
    for _ in range(mix["failed"]):
        created = recently(30)
        index = rows.add(
            status=PostStatus.FAILED,
            created=created,
            submitted_at=created + timedelta(minutes=5),
            decided_by=staff_approver(rows),
            decided_at=created + timedelta(hours=1),
            failure_reason="The network refused the post: the account needs to be connected again.",
            publish_attempts=8,
        )
        rows.audit.append((index, "post.publish_failed", None, created + timedelta(hours=3)))
    _settled_otherwise(rows, mix, now=now)


def _settled_otherwise(rows: _PostRows, mix: dict[str, int], *, now: datetime) -> None:
    """Rejected, withdrawn and taken-down posts, spread over the years like the published ones."""
    rng = rows.rng
    span = 365 * YEARS_OF_POSTS * 86400
    for status, action in (
        (PostStatus.REJECTED, "post.rejected"),
        (PostStatus.WITHDRAWN, "post.withdrawn"),
        (PostStatus.TAKEN_DOWN, "post.taken_down"),
    ):
        for _ in range(mix[status.value]):
            created = now - timedelta(seconds=rng.uniform(86400, span))
            decided = created + timedelta(hours=2)
            values = {"submitted_at": created + timedelta(minutes=5)}
            if status != PostStatus.WITHDRAWN:
                values.update(decided_by=staff_approver(rows), decided_at=decided)
            if status == PostStatus.TAKEN_DOWN:
                values.update(published_at=decided, taken_down_at=decided + timedelta(days=3), publish_attempts=1)
            index = rows.add(status=status, created=created, **values)
            rows.audit.append((index, action, values.get("decided_by") or rows.posts[index]["author"], decided))


def staff_approver(rows: _PostRows) -> int:
    return rows.rng.choice(rows.approvers)


# --- The audience: followers and mentions of the whole-school account ---------------------------


def _audience(staff: _Staff, *, number: int, now: datetime) -> None:
    account = staff.whole_school_account_id
    Follower.objects.bulk_create(
        (
            Follower(
                account_id=account,
                network_user_id=f"{number}-{n}",
                handle=f"parent_{number}_{n}",
                display_name=f"A parent {n}",
                first_seen=now - timedelta(days=n % 900),
                last_seen=now,
                status="new" if n % 20 == 0 else "accepted",
                flagged=n % 97 == 0,
            )
            for n in range(200)
        ),
        batch_size=500,
    )
    MentionItem.objects.bulk_create(
        (
            MentionItem(
                account_id=account,
                network_id=f"m{number}-{n}",
                author_id=f"{number}-{n % 200}",
                author_handle=f"parent_{number}_{n % 200}",
                text="Lovely to see the children so happy, thank you!",
                created_at=now - timedelta(hours=n * 7),
                status="new" if n < 10 else "ok",
            )
            for n in range(100)
        ),
        batch_size=500,
    )
