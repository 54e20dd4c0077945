"""Timing the pages of one school among many (the child side of `bench --scale trust`).

Each page is asked for by the person who uses it, through Django's test client over HTTPS,
once to count its queries and bytes, then `repeats` times, each time right after a /healthz
request, so both see the same machine load and the ratio between them is fair on a busy box.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import ClassGroup, School, User
from consent.models import Pupil
from posts.models import Post, PostStatus

from .timing import summary
from .trust_data import TrustScale, email_for, school_slug

RATIO_GOAL = 3.0
REGISTER_BYTES_GOAL = 100_000
_SLOWEST_SHOWN = 2
_SQL_SHOWN = 300


@dataclass(frozen=True)
class Page:
    name: str
    person: str  # who opens it: a key of the clients
    path: str
    bytes_goal: int | None = None


def measure(*, scale: TrustScale, repeats: int) -> dict:
    number = scale.schools // 2
    school = School.objects.get(slug=school_slug(number))
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        clients = {person: _signed_in(email_for(number, person)) for person in ("head", "teacher1", "office")}
        pages = _pages(school, number)
        first = {page.name: _first_look(clients[page.person], page.path) for page in pages}
        health = _first_look(clients["head"], reverse("healthz"))
        health_samples, samples = _interleaved(clients, pages, repeats=repeats)
    healthz = {"as": "head", **summary(health_samples), **health}
    results = {}
    for page in pages:
        figures = {**summary(samples[page.name]), **first[page.name]}
        results[page.name] = _with_goal(page, figures, healthz["median_ms"])
    met = sum(1 for figures in results.values() if figures["met"])
    return {
        "measured_school": {
            "name": school.name,
            "posts": Post.objects.filter(account__school=school).count(),
            "pupils": Pupil.objects.filter(school=school).count(),
        },
        "repeats": repeats,
        "healthz": healthz,
        "pages": results,
        "goals_met": f"{met} of {len(results)}",
    }


def _signed_in(email: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(email=email), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _pages(school: School, number: int) -> list[Page]:
    teacher = User.objects.get(email=email_for(number, "teacher1"))
    waiting = (
        Post.objects.filter(account__school=school, status=PostStatus.SUBMITTED, author=teacher)
        .order_by("submitted_at")
        .first()
    ) or Post.objects.filter(account__school=school, status=PostStatus.SUBMITTED).order_by("submitted_at").first()
    group = ClassGroup.objects.filter(school=school).order_by("year_group", "name").first()
    surname = Pupil.objects.filter(school=school).values_list("surname", flat=True).first() or "Smith"
    register = reverse("consent_register")
    return [
        Page("review_queue", "head", reverse("review_queue")),
        Page("review_post", "head", reverse("review_post", args=[waiting.pk]) if waiting else reverse("review_queue")),
        Page("dashboard_headteacher", "head", reverse("dashboard")),
        Page("dashboard_class_teacher", "teacher1", reverse("dashboard")),
        Page("dashboard_office", "office", reverse("dashboard")),
        Page("calendar_month", "head", reverse("post_calendar")),
        Page("calendar_list", "head", reverse("post_calendar") + "?view=list"),
        Page("consent_register", "office", register, bytes_goal=REGISTER_BYTES_GOAL),
        Page(
            "consent_register_filtered",
            "office",
            f"{register}?class={group.pk}&purpose=social_photo&answer=given",
            bytes_goal=REGISTER_BYTES_GOAL,
        ),
        Page("consent_register_search", "office", f"{register}?q={surname}", bytes_goal=REGISTER_BYTES_GOAL),
        Page("my_posts", "teacher1", reverse("post_list_mine")),
        Page("compose", "teacher1", reverse("post_compose")),
        Page("audit_trail", "head", reverse("audit_log")),
        Page("followers", "head", reverse("audience_followers")),
        Page("mentions", "head", reverse("inbox_list")),
    ]


def _first_look(client: Client, path: str) -> dict:
    """Two untimed requests, the first to warm the page up: the second's status, queries and size,
    the time its queries took, and the slowest of them, to say where a slow page spends its time
    (in the database, or in Python and templates)."""
    client.get(path, secure=True)
    timer = _QueryTimer()
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
        response = client.get(path, secure=True)
    slowest = sorted(timer.timings, reverse=True)[:_SLOWEST_SHOWN]
    return {
        "path": path,
        "status": response.status_code,
        "queries": len(captured),
        "sql_ms": round(sum(ms for ms, _ in timer.timings), 1),
        "slowest_queries": [{"ms": round(ms, 1), "sql": sql[:_SQL_SHOWN]} for ms, sql in slowest],
        "bytes": len(response.content),
    }


class _QueryTimer:
    """Times each query to the microsecond (the captured log rounds to the millisecond, which
    a page of forty one-millisecond queries cannot afford)."""

    def __init__(self):
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append(((perf_counter() - start) * 1000, sql))


def _interleaved(clients: dict[str, Client], pages: list[Page], *, repeats: int):
    health_path = reverse("healthz")
    health_samples: list[float] = []
    samples: dict[str, list[float]] = {page.name: [] for page in pages}
    for _ in range(repeats):
        for page in pages:
            health_samples.append(_time(clients["head"], health_path))
            samples[page.name].append(_time(clients[page.person], page.path))
    return health_samples, samples


def _time(client: Client, path: str) -> float:
    start = perf_counter()
    client.get(path, secure=True)
    return (perf_counter() - start) * 1000


def _with_goal(page: Page, figures: dict, healthz_ms: float) -> dict:
    ratio = round(figures["median_ms"] / healthz_ms, 1) if healthz_ms else None
    goal: dict = {"ratio_max": RATIO_GOAL}
    met = figures["status"] == 200 and ratio is not None and ratio <= RATIO_GOAL
    if page.bytes_goal:
        goal["bytes_max"] = page.bytes_goal
        met = met and figures["bytes"] < page.bytes_goal
    return {"as": page.person, **figures, "ratio": ratio, "goal": goal, "met": met}
