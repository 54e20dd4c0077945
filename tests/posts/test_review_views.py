"""The approvers' pages: the review queue, the review page and its decisions, the calendar."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consent.models import Pupil
from posts import services
from posts.models import FaceRegion, Post, PostComment, PostImage, PostRevision, PostStatus

NEVER_PUBLISH_REASON = "Court order in place: never show this child online"


@pytest.fixture
def submit(staff, make_post):
    """A post submitted by its author (the class teacher unless said otherwise)."""

    def make(text="We built volcanoes in science today!", *, author=None, **kwargs):
        post = make_post(text, author=author, **kwargs)
        services.post_submit(actor=author or staff.teacher, post=post)
        return Post.objects.get(pk=post.pk)

    return make


def _status(post) -> str:
    return Post.objects.get(pk=post.pk).status


def _page(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# The queue.


def test_queue_lists_waiting_posts_oldest_first_with_author_account_and_age(client_for, staff, submit):
    newer = submit("Sports day relay results are in")
    older = submit("Our class assembly about kindness")
    Post.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - timedelta(hours=2))
    Post.objects.filter(pk=newer.pk).update(submitted_at=timezone.now() - timedelta(minutes=5))

    page = _page(client_for(staff.head).get(reverse("review_queue")))

    assert page.index("Our class assembly") < page.index("Sports day relay")
    assert "2\xa0hours ago" in page or "2 hours ago" in page
    assert "Alpha Year3" in page and "@alpha_year3" in page and str(staff.teacher.user) in page


def test_queue_shows_consent_and_rule_findings_at_a_glance(client_for, staff, submit, pupils):
    fine = submit("Volcano day", tagged=[pupils.amara])
    troubled = submit("Rocket day", tagged=[pupils.amara])
    # Consent that changed after submission: Ben, without consent, is now tagged too, and a face is unresolved.
    troubled_image = PostImage.objects.get(post=troubled)
    troubled_image.tagged_pupils.add(pupils.ben)
    FaceRegion.objects.create(image=troubled_image, x=1, y=1, w=5, h=5)
    Post.objects.filter(pk=fine.pk).update(
        findings=[{"rule": "spelling", "severity": "warn", "message": "Check the spelling of “teh”."}]
    )

    response = client_for(staff.head).get(reverse("review_queue"))

    rows = {row.post.pk: row for row in response.context["rows"]}
    assert rows[fine.pk].consent.summary == "All pupils have consent"
    assert rows[troubled.pk].consent.summary == "2 problems"
    assert rows[fine.pk].findings == {"block": 0, "warn": 1}
    page = _page(response)
    assert "All pupils have consent" in page and "2 problems" in page and "1 warning" in page


def test_queue_filters_by_account_and_by_status(client_for, staff, accounts, submit):
    class_post = submit("Year 3 news")
    school_post = submit("Whole-school news", author=staff.slt, account=accounts.whole_school)
    scheduled = submit("Trip reminder")
    services.post_approve(actor=staff.head, post=scheduled, publish_at=timezone.now() + timedelta(days=1))
    client = client_for(staff.head)

    def listed(**query):
        return {row.post.pk for row in client.get(reverse("review_queue"), query).context["rows"]}

    assert listed() == {class_post.pk, school_post.pk}
    assert listed(account=accounts.whole_school.pk) == {school_post.pk}
    assert listed(status="scheduled") == {scheduled.pk}
    assert listed(status="all") == {class_post.pk, school_post.pk, scheduled.pk}
    assert listed(status="nonsense") == {class_post.pk, school_post.pk}


def test_queue_shows_twenty_posts_a_page_oldest_first(client_for, staff, accounts):
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            account=accounts.year3,
            author=staff.teacher.user,
            text=f"Post {n}",
            status=PostStatus.SUBMITTED,
            submitted_at=now - timedelta(minutes=60 - n),
        )
        for n in range(21)
    )
    client = client_for(staff.head)

    first = client.get(reverse("review_queue"))
    second = client.get(reverse("review_queue"), {"page": 2})

    assert len(first.context["rows"]) == 20 and first.context["rows"][0].post.text == "Post 0"
    assert [row.post.text for row in second.context["rows"]] == ["Post 20"]
    assert "Page 1 of 2" in _page(first)


def test_queue_shows_a_placeholder_where_a_photo_cannot_be_shown(client_for, staff, submit, pupils):
    submit("Volcano day", tagged=[pupils.amara])
    page = _page(client_for(staff.head).get(reverse("review_queue")))
    assert "rv-thumb-placeholder" in page


def test_photos_are_shown_from_the_post_image_view(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara])
    image = PostImage.objects.get(post=post)
    PostImage.objects.filter(pk=image.pk).update(thumbnail="posts/thumbnails/t.jpg", rendition="posts/renditions/r.jpg")
    client = client_for(staff.head)

    queue = _page(client.get(reverse("review_queue")))
    review = _page(client.get(reverse("review_post", args=[post.pk])))

    assert f'src="{reverse("post_image_file", args=[image.pk, "thumbnail"])}"' in queue
    assert f'src="{reverse("post_image_file", args=[image.pk, "published"])}"' in review


# The review page.


def test_review_page_previews_the_post_as_the_network_shows_it(client_for, staff, submit, pupils):
    post = submit(
        "Brilliant science today!\nThanks to @alpha_school #Year3 https://www.example.org/volcanoes",
        tagged=[pupils.amara],
    )
    Post.objects.filter(pk=post.pk).update(quote_url="https://example.org/status/1")

    response = client_for(staff.head).get(reverse("review_post", args=[post.pk]))

    page = _page(response)
    assert "Brilliant science today!<br>Thanks to" in page
    assert '<span class="pv-entity pv-mention">@alpha_school</span>' in page
    assert '<span class="pv-entity pv-hashtag">#Year3</span>' in page
    assert 'href="https://www.example.org/volcanoes"' in page and ">example.org/volcanoes<" in page
    assert "pv-media-1" in page and "pv-quote" in page
    assert response.context["length"] == 79  # the link counts as 23
    assert "Amara Okafor" in page and "Consent given" in page


def test_text_that_looks_like_markup_is_shown_as_text(client_for, staff, submit):
    post = submit("Our <b>best</b> day & more #fun")
    page = _page(client_for(staff.head).get(reverse("review_post", args=[post.pk])))
    assert "Our &lt;b&gt;best&lt;/b&gt; day &amp; more" in page


def test_a_never_publish_pupil_shows_do_not_publish_and_never_the_reason(client_for, staff, submit, pupils):
    Pupil.objects.filter(pk=pupils.cleo.pk).update(never_publish_reason=NEVER_PUBLISH_REASON)
    post = submit("Volcano day", tagged=[pupils.amara])
    PostImage.objects.get(post=post).tagged_pupils.add(pupils.cleo)
    client = client_for(staff.head)

    review = _page(client.get(reverse("review_post", args=[post.pk])))
    queue = _page(client.get(reverse("review_queue")))
    refused = client.post(reverse("review_approve", args=[post.pk]), {"when": "now"})

    assert "Do not publish" in review
    assert refused.status_code == 400 and "Cleo" in _page(refused)
    for page in (review, queue, _page(refused)):
        assert NEVER_PUBLISH_REASON not in page
    assert _status(post) == PostStatus.SUBMITTED


def test_unresolved_faces_are_counted(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara], faces=[("not_pupil", None)] * 3)
    # Submission refuses unresolved faces; a post submitted before it did can still carry them.
    first_two = FaceRegion.objects.filter(image__post=post).order_by("pk").values_list("pk", flat=True)[:2]
    FaceRegion.objects.filter(pk__in=list(first_two)).update(resolution="")
    response = client_for(staff.head).get(reverse("review_post", args=[post.pk]))
    assert response.context["unresolved_faces"] == 2
    assert "2 faces not resolved" in _page(response)


def test_the_review_page_draws_a_box_dismissed_as_not_a_face_and_counts_it(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara], faces=[("pupil", pupils.amara), ("not_face", None)])
    image = PostImage.objects.get(post=post)
    PostImage.objects.filter(pk=image.pk).update(thumbnail="posts/thumbnails/t.jpg", rendition="posts/renditions/r.jpg")

    response = client_for(staff.head).get(reverse("review_post", args=[post.pk]))

    (photo,) = response.context["photos"]
    assert (photo.faces, photo.unresolved_faces, photo.dismissed_faces) == (2, 0, 1)
    page = _page(response)
    stage = page.split('class="rv-photo-stage"')[1].split("</div>")[0]
    assert f'src="{reverse("post_image_file", args=[image.pk, "thumbnail"])}"' in stage
    # Both boxes are drawn where the author saw them (800 × 600 photo, boxes at 10,10 of 50 × 50);
    # the dismissed one is labelled on the photo, the other is named for screen readers only.
    box = 'data-box="1.250 1.667 6.250 8.333"'
    assert f'<span class="rv-face-box rv-face-pupil" {box}>' in stage
    assert f'<span class="rv-face-box rv-face-not_face" {box}>' in stage
    assert '<span class="rv-face-label">Dismissed as not a face</span>' in stage
    assert stage.count("rv-face-label") == 1
    assert "<strong>1 box dismissed as not a face</strong> by the author" in page
    assert "No unresolved faces." in page


def test_a_box_dismissed_as_not_a_face_counts_as_resolved_in_the_queue(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara], faces=[("not_face", None), ("redacted", None)])

    response = client_for(staff.head).get(reverse("review_queue"))

    (row,) = response.context["rows"]
    assert row.post.pk == post.pk
    assert (row.consent.unresolved_faces, row.consent.problems) == (0, 0)
    assert row.consent.summary == "All pupils have consent"


def test_review_page_shows_the_rule_findings(client_for, staff, submit):
    post = submit("What a great day, teh end")
    Post.objects.filter(pk=post.pk).update(
        findings=[{"rule": "spelling", "severity": "warn", "message": "Check the spelling.", "start": 18, "end": 21}]
    )
    page = _page(client_for(staff.head).get(reverse("review_post", args=[post.pk])))
    assert "Check the spelling." in page and "In “teh”." in page


# Decisions.


def test_approving_now_approves_and_returns_to_the_queue(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"})

    assert response.status_code == 302 and response.url == reverse("review_queue")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and post.decided_by == staff.head.user


def test_approving_for_a_time_schedules_it_at_that_school_time(client_for, staff, submit):
    post = submit()
    at = (timezone.localtime() + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)

    client = client_for(staff.head)
    response = client.post(
        reverse("review_approve", args=[post.pk]), {"when": "later", "publish_at": _local_input(at)}, follow=True
    )

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.publish_at == at
    assert any("at 09:30" in message for message in _messages(response))


def test_approving_for_a_time_that_has_passed_is_refused(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).post(
        reverse("review_approve", args=[post.pk]),
        {"when": "later", "publish_at": _local_input(timezone.now() - timedelta(hours=1))},
    )
    assert response.status_code == 400 and "already passed" in _page(response)
    assert _status(post) == PostStatus.SUBMITTED


def test_approving_for_a_time_needs_the_time(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "later"})
    assert response.status_code == 400 and "Choose the day and time" in _page(response)
    assert _status(post) == PostStatus.SUBMITTED


def test_approval_refused_by_the_consent_check_says_why(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara])
    PostImage.objects.get(post=post).tagged_pupils.add(pupils.ben)  # consent for Ben was never given
    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"})

    assert response.status_code == 400
    assert "Not approved." in _page(response) and "Ben cannot appear in Photo 1" in _page(response)
    assert _status(post) == PostStatus.SUBMITTED


def test_request_changes_needs_a_comment(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).post(reverse("review_request_changes", args=[post.pk]), {"comment": "  "})
    assert response.status_code == 400 and "Say what needs changing" in _page(response)
    assert _status(post) == PostStatus.SUBMITTED


def test_request_changes_returns_the_post_to_the_authors_drafts_with_the_comment(client_for, staff, submit):
    post = submit()
    client_for(staff.head).post(
        reverse("review_request_changes", args=[post.pk]), {"comment": "Please describe the photo."}
    )
    assert _status(post) == PostStatus.DRAFT
    request = PostComment.objects.get(post=post)
    assert request.kind == PostComment.Kind.CHANGES_REQUESTED and request.body == "Please describe the photo."


def test_reject_needs_a_reason(client_for, staff, submit):
    post = submit()
    client = client_for(staff.head)

    empty = client.post(reverse("review_reject", args=[post.pk]), {"reason": ""})
    assert empty.status_code == 400 and "Give the author a reason" in _page(empty)
    assert _status(post) == PostStatus.SUBMITTED

    client.post(reverse("review_reject", args=[post.pk]), {"reason": "We posted this yesterday."})
    assert _status(post) == PostStatus.REJECTED
    assert PostComment.objects.get(post=post, kind=PostComment.Kind.REJECTION).body == "We posted this yesterday."


def test_the_author_cannot_approve_their_own_post(client_for, staff, accounts, submit):
    post = submit("Headteacher's news", author=staff.slt, account=accounts.whole_school)
    client = client_for(staff.slt)

    page = _page(client.get(reverse("review_post", args=[post.pk])))
    attempt = client.post(reverse("review_approve", args=[post.pk]), {"when": "now"}, follow=True)

    assert "You wrote this post: another senior leader must approve it." in page
    assert page.count('disabled aria-describedby="own-post"') == 1  # the one Approve button
    assert any("Nobody approves their own post" in message for message in _messages(attempt))
    assert _status(post) == PostStatus.SUBMITTED


def test_another_approver_can_approve_a_senior_leaders_post(client_for, staff, accounts, submit):
    post = submit("Headteacher's news", author=staff.slt, account=accounts.whole_school)
    page = _page(client_for(staff.head).get(reverse("review_post", args=[post.pk])))
    assert "You wrote this post" not in page and "disabled" not in page


@pytest.mark.parametrize(
    ("first_action", "first_data", "told"),
    [
        ("review_reject", {"reason": "Off topic."}, "now rejected"),
        ("review_approve", {"when": "now"}, "now approved"),
    ],
)
def test_the_second_of_two_approvers_is_told_what_happened(client_for, staff, submit, first_action, first_data, told):
    post = submit()
    client_for(staff.slt).post(reverse(first_action, args=[post.pk]), first_data)

    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"})

    assert response.status_code == 400
    refusal = _page(response).split('id="approve-refused"')[1].split("</div>")[0]
    assert told in refusal
    assert response.context["post"].status != PostStatus.SUBMITTED
    assert "Only posts waiting for approval can be approved" in _page(response)


# Comments and changes.


def test_an_approver_adds_a_comment_to_the_thread(client_for, staff, submit):
    post = submit()
    client = client_for(staff.head)

    empty = client.post(reverse("review_comment", args=[post.pk]), {"body": " "})
    added = client.post(reverse("review_comment", args=[post.pk]), {"body": "Lovely photo!"}, follow=True)

    assert empty.status_code == 400 and "Write your comment first." in _page(empty)
    comment = PostComment.objects.get(post=post)
    assert comment.author == staff.head.user and comment.kind == PostComment.Kind.COMMENT
    assert "Lovely photo!" in _page(added)
    assert _status(post) == PostStatus.SUBMITTED


def test_the_review_page_shows_what_changed_since_changes_were_asked_for(client_for, staff, submit):
    post = submit("We made volcanos")
    services.post_request_changes(actor=staff.head, post=post, comment="Check the spelling of volcanoes.")
    PostRevision.objects.create(
        post=post,
        edited_by=staff.teacher.user,
        what=PostRevision.What.TEXT,
        before=post.text,
        after="We made volcanoes",
    )
    services.post_submit(actor=staff.teacher, post=post)

    page = _page(client_for(staff.head).get(reverse("review_post", args=[post.pk])))

    assert "Since changes were asked for" in page and "Check the spelling of volcanoes." in page
    assert "<del>volcanos</del><ins>volcanoes</ins>" in page


# The calendar.


def test_calendar_groups_scheduled_posts_by_school_day_and_lists_recent_posts(client_for, staff, submit):
    tomorrow_morning = (timezone.localtime() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    later = tomorrow_morning + timedelta(days=2)
    for text, at in (("Trip reminder", tomorrow_morning), ("Book fair", later), ("Cake sale", later)):
        services.post_approve(actor=staff.head, post=submit(text), publish_at=at)
    published = submit("Harvest festival")
    Post.objects.filter(pk=published.pk).update(
        status=PostStatus.PUBLISHED, external_id="1", published_at=timezone.now() - timedelta(days=1)
    )

    response = client_for(staff.head).get(reverse("post_calendar"), {"view": "list"})

    days = [(day, [row.post.text for row in rows]) for day, rows in response.context["list_days"]]
    assert days == [(tomorrow_morning.date(), ["Trip reminder"]), (later.date(), ["Book fair", "Cake sale"])]
    assert [post.text for post in response.context["published"]] == ["Harvest festival"]
    page = _page(response)
    assert tomorrow_morning.strftime("%A") in page and "08:00" in page


# Who may see what.


@pytest.mark.parametrize(
    ("name", "method", "needs_post"),
    [
        ("review_queue", "get", False),
        ("post_calendar", "get", False),
        ("review_post", "get", True),
        ("review_approve", "post", True),
        ("review_request_changes", "post", True),
        ("review_reject", "post", True),
        ("review_comment", "post", True),
    ],
)
def test_a_teacher_is_refused_every_review_page(client_for, staff, submit, name, method, needs_post):
    post = submit()
    url = reverse(name, args=[post.pk]) if needs_post else reverse(name)
    data = {"when": "now", "comment": "x", "reason": "x", "body": "x"}

    response = getattr(client_for(staff.teacher), method)(url, data if method == "post" else None)

    assert response.status_code == 403
    assert _status(post) == PostStatus.SUBMITTED and not PostComment.objects.filter(post=post).exists()


@pytest.mark.parametrize(
    "name", ["review_post", "review_approve", "review_request_changes", "review_reject", "review_comment"]
)
def test_another_schools_post_is_not_found(client_for, staff, outsider, name):
    theirs = services.post_create(actor=outsider.head, account=outsider.account, text="Beta news")
    services.post_submit(actor=outsider.head, post=theirs)
    client = client_for(staff.head)
    data = {"when": "now", "comment": "x", "reason": "x", "body": "x"}

    response = client.get(reverse(name, args=[theirs.pk])) if name == "review_post" else None
    response = response or client.post(reverse(name, args=[theirs.pk]), data)

    assert response.status_code == 404
    assert _status(theirs) == PostStatus.SUBMITTED and not PostComment.objects.filter(post=theirs).exists()


def test_lists_show_nothing_of_another_school(client_for, staff, outsider):
    theirs = services.post_create(actor=outsider.head, account=outsider.account, text="Beta secret news")
    services.post_submit(actor=outsider.head, post=theirs)
    client = client_for(staff.head)
    for name in ("review_queue", "post_calendar"):
        for query in ({}, {"status": "all"}, {"account": outsider.account.pk}, {"view": "list"}):
            page = _page(client.get(reverse(name), query))
            assert "Beta secret news" not in page and "beta_school" not in page


# When an approved post goes out: the author's time, now, or another time.


def _authors_time(post, days=3):
    at = (timezone.localtime() + timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)
    Post.objects.filter(pk=post.pk).update(publish_at=at)
    return at


def _choices(response) -> dict[str, str]:
    return dict(response.context["approve_form"].fields["when"].choices)


def test_the_authors_time_is_offered_first_and_chosen_by_default(client_for, staff, submit):
    post = submit()
    at = _authors_time(post)

    response = client_for(staff.head).get(reverse("review_post", args=[post.pk]))

    shown = f"{at:%a} {at.day} {at:%B} at 09:00"
    assert list(_choices(response)) == ["authors", "now", "later"]
    assert _choices(response)["authors"] == f"At the author's time ({shown})"
    page = _page(response)
    assert shown in page and 'type="datetime-local"' in page
    assert re.search(r'<input[^>]*value="authors"[^>]*checked', page)


def test_without_an_authors_time_now_is_the_default(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).get(reverse("review_post", args=[post.pk]))
    assert list(_choices(response)) == ["now", "later"]
    assert re.search(r'<input[^>]*value="now"[^>]*checked', _page(response))


def test_approving_at_the_authors_time_schedules_it_then(client_for, staff, submit):
    post = submit()
    at = _authors_time(post)

    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "authors"}, follow=True)

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.publish_at == at
    assert any(f"{at:%A} {at.day} {at:%B %Y} at 09:00" in message for message in _messages(response))


def test_approving_now_overrides_the_authors_time(client_for, staff, submit):
    post = submit()
    _authors_time(post)

    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"}, follow=True)

    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED and post.publish_at is None
    assert any("published on @alpha_year3 now" in message for message in _messages(response))


def test_approving_at_another_time_replaces_the_authors_time(client_for, staff, submit):
    post = submit()
    _authors_time(post)
    other = (timezone.localtime() + timedelta(days=5)).replace(hour=15, minute=15, second=0, microsecond=0)

    client_for(staff.head).post(
        reverse("review_approve", args=[post.pk]), {"when": "later", "publish_at": _local_input(other)}
    )

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.publish_at == other


def test_a_time_typed_without_choosing_another_time_is_queried_not_guessed(client_for, staff, submit):
    post = submit()
    response = client_for(staff.head).post(
        reverse("review_approve", args=[post.pk]),
        {"when": "now", "publish_at": _local_input(timezone.now() + timedelta(days=1))},
    )
    assert response.status_code == 400 and "did not choose “At another time”" in _page(response)
    assert _status(post) == PostStatus.SUBMITTED


def test_an_authors_time_that_passed_while_the_page_was_open_publishes_at_once(client_for, staff, submit):
    post = submit()
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(minutes=1))

    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "authors"}, follow=True)

    assert _status(post) == PostStatus.APPROVED
    assert any("now, within a minute" in message for message in _messages(response))


# What the post sends out that nobody typed (posts.outside): shown, and confirmed when unread.


@pytest.fixture
def with_outside(submit):
    """A submitted post quoting a post that was read, with one preview read and one that could not be."""
    from posts.models import OutsideContent

    def make(*, unread=True):
        links = (
            "https://county.example/results https://club.example/news" if unread else "https://county.example/results"
        )
        post = submit(f"Results are in! {links}")
        OutsideContent.objects.filter(post=post).delete()  # what submitting read (no answer here) is replaced
        now = timezone.now()
        OutsideContent.objects.create(
            post=post,
            kind="quote",
            url="https://x.com/county_sport/status/1",
            author="county_sport",
            text="Alpha Primary came second!",
            read_at=now,
        )
        OutsideContent.objects.create(
            post=post,
            kind="link_preview",
            url="https://county.example/results",
            author="County Sport",
            text="Tournament results\nA great day for everyone.",
            read_at=now,
        )
        if unread:
            OutsideContent.objects.create(
                post=post,
                kind="link_preview",
                url="https://club.example/news",
                text="Club news",
                read_at=now - timedelta(days=1),
                error="The preview could not be read: the site did not answer in time.",
            )
        return post

    return make


def test_the_review_page_shows_the_quoted_post_the_previews_and_what_could_not_be_read(client_for, staff, with_outside):
    post = with_outside()

    page = _page(client_for(staff.head).get(reverse("review_post", args=[post.pk])))

    assert "Quoted post by @county_sport" in page and "Alpha Primary came second!" in page
    assert "Tournament results" in page and "A great day for everyone." in page
    assert "The preview could not be read: the site did not answer in time. Above is what was last read." in page
    assert 'name="confirm_unread_outside"' in page
    assert services.UNREAD_OUTSIDE_CONFIRMATION in page


def test_approving_with_unread_outside_content_needs_the_box_ticked(client_for, staff, with_outside):
    post = with_outside()

    response = client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"})

    assert response.status_code == 400 and _status(post) == PostStatus.SUBMITTED
    # Why, beside the Approve button (not at the top of a long page), and linked from the top.
    decision = _page(response).split('id="decide-heading"')[1]
    refusal = decision.split('id="approve-refused"')[1].split("</div>")[0]
    assert "Not approved." in refusal and "could not read the preview of https://club.example/news" in refusal
    assert decision.index('id="approve-refused"') < decision.index('name="confirm_unread_outside"')
    assert '<a href="#approve-refused">The portal could not read' in _page(response)


def test_a_refused_approval_is_marked_for_the_browser_to_show(client_for, staff, submit, pupils):
    post = submit("Volcano day", tagged=[pupils.amara])
    PostImage.objects.get(post=post).tagged_pupils.add(pupils.ben)

    page = _page(client_for(staff.head).post(reverse("review_approve", args=[post.pk]), {"when": "now"}))

    assert '<div class="message error" role="alert" id="approve-refused" tabindex="-1" data-refused>' in page
    summary = page.split("data-error-summary>")[1].split("</div>")[0]
    assert "Not approved" in summary and '<a href="#approve-refused">Ben cannot appear in Photo 1' in summary


def test_approving_with_the_box_ticked_records_the_confirmation(client_for, staff, with_outside):
    from audit.models import AuditEvent

    post = with_outside()

    response = client_for(staff.head).post(
        reverse("review_approve", args=[post.pk]), {"when": "now", "confirm_unread_outside": "on"}
    )

    assert response.status_code == 302 and _status(post) == PostStatus.APPROVED
    event = AuditEvent.objects.get(action="post.approved", target_id=str(post.pk))
    assert [entry["url"] for entry in event.data["unread_outside_confirmed"]] == ["https://club.example/news"]


def test_with_everything_read_there_is_nothing_to_confirm(client_for, staff, with_outside):
    post = with_outside(unread=False)
    client = client_for(staff.head)

    assert 'name="confirm_unread_outside"' not in _page(client.get(reverse("review_post", args=[post.pk])))
    client.post(reverse("review_approve", args=[post.pk]), {"when": "now"})
    assert _status(post) == PostStatus.APPROVED


def test_the_queue_flags_a_post_with_a_link_not_read(client_for, staff, with_outside):
    with_outside()
    with_outside(unread=False)

    page = _page(client_for(staff.head).get(reverse("review_queue")))

    assert page.count("link not read") == 1
