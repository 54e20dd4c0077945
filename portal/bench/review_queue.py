"""Figures for the approvers' review queue (`manage.py bench` prints them): the time the server
takes to answer one request for the queue's first page, next to a trivial view (`healthz`),
and the queries it makes, against a school with many posts. Measured through Django's test
client on the machine it runs on, against the configured database; every row made here is
rolled back."""

from datetime import timedelta

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import ClassGroup, Membership, Role, RoleAssignment, School, SocialAccount, User
from consent.models import ConsentDecision, ConsentPurpose, ConsentRecord, Pupil
from posts.models import FaceRegion, Post, PostImage, PostStatus

from .timing import rolled_back, summary, timed

_PUPILS_PER_CLASS = 10


def bench_review_queue(*, quick: bool) -> dict:
    """10,000 posts waiting for approval across 50 accounts (quick: 1,000 across 10)."""
    if quick:
        return bench_review_queue_with(posts=1_000, accounts=10, repeats=10)
    return bench_review_queue_with(posts=10_000, accounts=50, repeats=30)


def bench_review_queue_with(*, posts: int, accounts: int, repeats: int) -> dict:
    with rolled_back():
        approver = _school_with_queue(posts=posts, accounts=accounts)
        client = Client()
        client.force_login(approver, backend="django.contrib.auth.backends.ModelBackend")
        # The test client's host, over HTTPS (production redirects plain HTTP), with static file
        # URLs that need no collected manifest.
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"], STORAGES=storages):
            queue_url, health_url = reverse("review_queue"), reverse("healthz")
            with CaptureQueriesContext(connection) as captured:
                response = client.get(queue_url, secure=True)
            queries = len(captured)  # read now: the next request clears the log it counts from
            if response.status_code != 200:
                raise RuntimeError(f"The review queue answered {response.status_code}, not 200.")
            rows = response.content.count(b'class="rv-row"')
            dashboard_url = reverse("dashboard")
            with CaptureQueriesContext(connection) as captured:
                response = client.get(dashboard_url, secure=True)
            dashboard_queries = len(captured)
            if response.status_code != 200:
                raise RuntimeError(f"The dashboard answered {response.status_code}, not 200.")
            queue = summary(timed(lambda: client.get(queue_url, secure=True), repeats=repeats))
            dashboard = summary(timed(lambda: client.get(dashboard_url, secure=True), repeats=repeats))
            health = summary(timed(lambda: client.get(health_url, secure=True), repeats=repeats))
    return {
        "posts": posts,
        "accounts": accounts,
        "review_queue": {**queue, "queries": queries, "rows": rows},
        "dashboard": {**dashboard, "queries": dashboard_queries},
        "healthz": health,
        "ratio": round(queue["median_ms"] / health["median_ms"], 1),
        "dashboard_ratio": round(dashboard["median_ms"] / health["median_ms"], 1),
    }


def _school_with_queue(*, posts: int, accounts: int):
    """A school with one whole-school and `accounts - 1` class accounts, ten pupils a class (half
    with photo consent), and `posts` submitted posts, each with a photo tagging two pupils and
    with one face resolved and one not. Returns a headteacher (second factor set up)."""
    school = School.objects.create(name="Bench Primary", slug="bench-primary-review")
    head = User.objects.create_user(email="bench-head@bench.invalid", password=None)
    teacher = User.objects.create_user(email="bench-teacher@bench.invalid", password=None)
    for user, role in ((head, Role.HEADTEACHER), (teacher, Role.CLASS_TEACHER)):
        membership = Membership.objects.create(user=user, school=school)
        RoleAssignment.objects.create(membership=membership, role=role)
    TOTP.activate(head, generate_totp_secret())

    classes = ClassGroup.objects.bulk_create(
        ClassGroup(school=school, name=f"Class {n}", year_group=n % 7) for n in range(accounts - 1)
    )
    social = [
        SocialAccount(school=school, kind="whole_school", handle="bench_review_school", display_name="Bench School"),
        *(
            SocialAccount(
                school=school, kind="class", class_group=klass, handle=f"bench_review_{n}", display_name=klass.name
            )
            for n, klass in enumerate(classes)
        ),
    ]
    social = SocialAccount.objects.bulk_create(social)
    pupils = Pupil.objects.bulk_create(
        Pupil(school=school, class_group=klass, first_name=f"Child{n}{p}", surname="Bench")
        for n, klass in enumerate(classes)
        for p in range(_PUPILS_PER_CLASS)
    )
    today = timezone.localdate()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            pupil=pupil,
            purpose=ConsentPurpose.SOCIAL_PHOTO,
            decision=ConsentDecision.GIVEN,
            given_by_name="A Parent",
            relationship="parent",
            method="admission_form",
            decided_on=today,
            recorded_by=head,
        )
        for pupil in pupils[::2]
    )

    now = timezone.now()
    created = Post.objects.bulk_create(
        (
            Post(
                account=social[n % len(social)],
                author=teacher,
                text=f"Post {n}: a busy week in class, with #science and a trip. https://example.org/week/{n}",
                status=PostStatus.SUBMITTED,
                submitted_at=now - timedelta(minutes=posts - n),
                findings=[{"rule": "spelling", "severity": "warn", "message": "Check the spelling."}],
            )
            for n in range(posts)
        ),
        batch_size=500,
    )
    images = PostImage.objects.bulk_create(
        (PostImage(post=post, position=0, alt_text="Children at work") for post in created), batch_size=500
    )
    through = PostImage.tagged_pupils.through
    through.objects.bulk_create(
        (
            through(postimage_id=image.pk, pupil_id=pupils[(n * 2 + k) % len(pupils)].pk)
            for n, image in enumerate(images)
            for k in range(2)
        ),
        batch_size=1000,
    )
    FaceRegion.objects.bulk_create(
        (
            face
            for n, image in enumerate(images)
            for face in (
                FaceRegion(image=image, x=0, y=0, w=10, h=10, resolution="pupil", pupil=pupils[(n * 2) % len(pupils)]),
                FaceRegion(image=image, x=20, y=0, w=10, h=10),
            )
        ),
        batch_size=1000,
    )
    return head
