"""The approvers' lists do a fixed number of queries whatever their length, and their consent
glance agrees with the full consent check."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consent.checks import Stage, check_post_consent
from posts import selectors
from posts.models import FaceRegion, Post, PostImage, PostStatus

# The codes of the consent check that are about photos (the queue's glance leaves names to the review page).
PHOTO_CODES = {"photo_consent_missing", "never_publish", "pupil_other_school", "face_unresolved"}


@pytest.fixture
def make_listed_posts(staff, accounts, pupils):
    """`count` posts in `status`, each with two photos: tags, a resolved face and an unresolved one."""

    def make(count: int, status: str = PostStatus.SUBMITTED) -> list[Post]:
        now = timezone.now()
        posts = []
        for n in range(count):
            post = Post.objects.create(
                account=accounts.year3 if n % 2 else accounts.whole_school,
                author=staff.teacher.user,
                text=f"Post number {n} #Year3",
                status=status,
                submitted_at=now - timedelta(hours=n),
                publish_at=now + timedelta(days=n % 5 + 1) if status == PostStatus.SCHEDULED else None,
                published_at=now - timedelta(hours=n) if status == PostStatus.PUBLISHED else None,
                external_id=str(n) if status == PostStatus.PUBLISHED else "",
                decided_by=staff.head.user if status != PostStatus.SUBMITTED else None,
                findings=[{"rule": "spelling", "severity": "warn", "message": "Check the spelling."}],
            )
            for position in range(2):
                image = PostImage.objects.create(post=post, position=position, alt_text="Children at work")
                image.tagged_pupils.set([pupils.amara, pupils.ben])
                FaceRegion.objects.create(image=image, x=1, y=1, w=5, h=5, resolution="pupil", pupil=pupils.amara)
                FaceRegion.objects.create(image=image, x=9, y=9, w=5, h=5)
            posts.append(post)
        return posts

    return make


def _queries(client, url, query=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("query", [{}, {"status": "all"}, {"status": "scheduled"}, {"account": "year3"}])
def test_the_queue_does_the_same_queries_for_3_posts_as_for_30(client_for, staff, accounts, make_listed_posts, query):
    if query.get("account"):
        query = {"account": accounts.year3.pk}
    client = client_for(staff.head)
    status = PostStatus.SCHEDULED if query.get("status") == "scheduled" else PostStatus.SUBMITTED
    make_listed_posts(3, status)
    few = _queries(client, reverse("review_queue"), query)
    make_listed_posts(27, status)
    many = _queries(client, reverse("review_queue"), query)
    assert few == many


@pytest.mark.parametrize("query", [{"view": "list"}, {"view": "month"}, {"view": "week"}])
def test_the_calendar_does_the_same_queries_for_3_posts_as_for_30(client_for, staff, make_listed_posts, query):
    client = client_for(staff.head)
    make_listed_posts(2, PostStatus.SCHEDULED)
    make_listed_posts(1, PostStatus.PUBLISHED)
    few = _queries(client, reverse("post_calendar"), query)
    make_listed_posts(18, PostStatus.SCHEDULED)
    make_listed_posts(6, PostStatus.PUBLISHED)
    make_listed_posts(3, PostStatus.APPROVED)
    many = _queries(client, reverse("post_calendar"), query)
    assert few == many


def test_the_consent_glance_takes_two_queries_for_a_whole_page(school, make_listed_posts):
    make_listed_posts(30)
    posts = list(selectors.review_queue(school=school))
    with CaptureQueriesContext(connection) as captured:
        selectors.queue_consent_status(posts)
    assert len(captured) == 2


def test_the_consent_glance_counts_what_the_full_check_would_block(school, staff, accounts, pupils, outsider):
    from consent.models import Pupil

    stranger = Pupil.objects.create(school=outsider.school, first_name="Zed", surname="Other")
    cases = [
        ([pupils.amara], []),  # consent given
        ([pupils.ben], []),  # no consent
        ([pupils.cleo], []),  # never to be published
        ([pupils.amara, pupils.ben, stranger], [("", None)]),  # one of each problem, and an unresolved face
        ([], [("pupil", pupils.ben)]),  # a face resolved to an untagged pupil without consent
        ([], [("not_pupil", None), ("redacted", None)]),
    ]
    for tagged, faces in cases:
        post = Post.objects.create(account=accounts.year3, author=staff.teacher.user, status=PostStatus.SUBMITTED)
        for position in range(2):
            image = PostImage.objects.create(post=post, position=position)
            image.tagged_pupils.set(tagged)
            for resolution, pupil in faces:
                FaceRegion.objects.create(image=image, x=1, y=1, w=5, h=5, resolution=resolution, pupil=pupil)

    posts = list(selectors.review_queue(school=school))
    glance = selectors.queue_consent_status(posts)

    for post in posts:
        check = check_post_consent(selectors.consent_content(post), stage=Stage.APPROVE)
        blocks = [p for p in check.problems if p.severity == "block" and p.code in PHOTO_CODES]
        assert glance[post.pk].problems == len(blocks), post.pk
    assert sorted(g.summary for g in glance.values()) == sorted(
        ["All pupils have consent", "2 problems", "2 problems", "6 problems", "2 problems", "No pupils tagged"]
    )
