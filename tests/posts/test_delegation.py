"""Trip mode: the headteacher lends the whole-school account to a named member of staff for a
few days; their posts pass every check, go out without an approver, and the headteachers hear
of each one. Outside the dates (or once ended) everything is back to normal approval."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Delegation, Role
from accounts.permissions import may_draft_for
from accounts.selectors import social_accounts_for_drafting
from audit.models import AuditEvent
from networks.local.models import LocalNetworkPost
from posts import services
from posts.models import FaceRegion, Post, PostImage, PostStatus
from posts.services import checks
from posts.services import trip_mode as trips

from ..factories import make_member


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def trip(staff, accounts, today):
    """The Year 3 teacher posts for the whole-school account today and tomorrow."""
    return trips.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.teacher,
        starts_on=today,
        ends_on=today + timedelta(days=1),
        note="Year 6 residential",
    )


@pytest.fixture
def trip_post(staff, accounts, make_post):
    def make(text="Day one at the outdoor centre: canoeing on the lake!", **kwargs):
        return make_post(text, author=staff.teacher, account=accounts.whole_school, **kwargs)

    return make


def _status(post) -> str:
    return Post.objects.get(pk=post.pk).status


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# Who may draft for the whole-school account.


def test_a_class_teacher_without_a_trip_cannot_draft_for_the_whole_school_account(staff, accounts):
    assert not may_draft_for(staff.teacher, accounts.whole_school)
    with pytest.raises(PermissionDenied):
        services.post_create(actor=staff.teacher, account=accounts.whole_school, text="Hello")


def test_during_the_trip_the_delegate_drafts_for_the_whole_school_account(staff, accounts, trip):
    assert may_draft_for(staff.teacher, accounts.whole_school)
    assert accounts.whole_school in social_accounts_for_drafting(membership=staff.teacher)
    assert not may_draft_for(staff.ta, accounts.whole_school), "only the named person"


def test_asking_about_the_whole_school_account_takes_one_query_at_most(
    staff, accounts, trip, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        may_draft_for(staff.teacher, accounts.whole_school)
    with django_assert_max_num_queries(0):
        may_draft_for(staff.slt, accounts.whole_school)
        may_draft_for(staff.office, accounts.whole_school)


def test_an_expired_trip_no_longer_lets_the_delegate_draft(staff, accounts, trip, today):
    Delegation.objects.filter(pk=trip.pk).update(starts_on=today - timedelta(days=3), ends_on=today - timedelta(days=1))
    assert not may_draft_for(staff.teacher, accounts.whole_school)


def test_a_deactivated_delegate_cannot_draft(staff, accounts, trip):
    staff.teacher.is_active = False
    assert not may_draft_for(staff.teacher, accounts.whole_school)


# The trip path.


def test_a_clean_trip_post_is_published_without_an_approver(
    staff, trip, trip_post, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = str(tmp_path)
    post = trip_post()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_send_for_approval(actor=staff.teacher, post=post)

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.decided_by == staff.teacher.user
    assert LocalNetworkPost.objects.filter(account=post.account, text=post.text).count() == 1
    event = AuditEvent.objects.get(action="post.approved_on_trip", target_id=str(post.pk))
    assert event.actor == staff.teacher.user and event.data["delegation_id"] == trip.pk


def test_the_headteacher_is_emailed_about_each_trip_post_and_approvers_are_not_asked(
    staff, trip, trip_post, django_capture_on_commit_callbacks
):
    post = trip_post("Night walk under the stars, everyone brave!")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_send_for_approval(actor=staff.teacher, post=post)

    trip_mails = [m for m in mail.outbox if m.subject == "Posted during the trip: @alpha_school"]
    assert len(trip_mails) == 1 and trip_mails[0].to == [staff.head.user.email]
    assert "Night walk under the stars" in trip_mails[0].body and "Year 6 residential" in trip_mails[0].body
    assert f"/posts/review/{post.pk}/" in trip_mails[0].body
    assert not any("waiting for approval" in m.subject for m in mail.outbox), "nobody is asked to approve it"


def test_a_trip_post_with_a_time_chosen_is_scheduled_for_that_time(staff, trip, trip_post):
    post = trip_post()
    at = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)
    Post.objects.filter(pk=post.pk).update(publish_at=at)
    services.post_send_for_approval(actor=staff.teacher, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED and post.publish_at == at


def test_a_trip_post_with_a_blocking_rule_finding_is_still_refused(staff, trip, trip_post, monkeypatch):
    from moderation.engine import Finding

    def blocks(text, **kwargs):
        return [Finding(rule="offensive", severity="block", message="Take out the word “rubbish”.", start=0, end=7)]

    monkeypatch.setattr(checks, "check_text", blocks)
    post = trip_post("Rubbish weather but great fun")
    with pytest.raises(services.PostBlocked) as refused:
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert "rubbish" in str(refused.value)
    assert _status(post) == PostStatus.DRAFT


def test_a_trip_post_showing_a_pupil_without_consent_is_still_refused(staff, trip, trip_post, pupils):
    post = trip_post(tagged=[pupils.ben])
    with pytest.raises(services.PostBlocked):
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert _status(post) == PostStatus.DRAFT
    assert not AuditEvent.objects.filter(action="post.approved_on_trip").exists()


def test_a_trip_post_with_an_unresolved_face_is_refused_as_approval_would_refuse_it(
    staff, trip, trip_post, pupils, django_capture_on_commit_callbacks
):
    post = trip_post(tagged=[pupils.amara])
    FaceRegion.objects.create(image=PostImage.objects.get(post=post), x=1, y=1, w=9, h=9)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.PostBlocked) as refused:
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert "not resolved" in str(refused.value)
    assert _status(post) == PostStatus.DRAFT, "the submission is undone: the author fixes it and sends again"
    assert mail.outbox == []


def test_a_class_teacher_whose_trip_was_ended_can_no_longer_send_for_the_account(staff, trip, trip_post):
    post = trip_post()
    trips.delegation_revoke(actor=staff.head, delegation=trip)
    with pytest.raises(PermissionDenied):
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert _status(post) == PostStatus.DRAFT


@pytest.fixture
def slt_trip(staff, accounts, today):
    """A senior leader (who drafts for the whole-school account anyway) on a trip today."""
    return trips.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.slt,
        starts_on=today,
        ends_on=today,
        note="Football tournament",
    )


def _slt_sends(staff, accounts, make_post, capture) -> Post:
    post = make_post("Through to the final!", author=staff.slt, account=accounts.whole_school)
    with capture(execute=True):
        services.post_send_for_approval(actor=staff.slt, post=post)
    return Post.objects.get(pk=post.pk)


def test_a_senior_leader_on_a_trip_does_not_wait(
    staff, accounts, slt_trip, make_post, django_capture_on_commit_callbacks
):
    post = _slt_sends(staff, accounts, make_post, django_capture_on_commit_callbacks)
    assert post.status == PostStatus.PUBLISHED and post.decided_by == staff.slt.user


@pytest.mark.parametrize("how", ["revoked", "expired", "not started"])
def test_outside_the_trip_the_post_waits_for_normal_approval(
    staff, accounts, slt_trip, make_post, today, how, django_capture_on_commit_callbacks
):
    if how == "revoked":
        trips.delegation_revoke(actor=staff.head, delegation=slt_trip)
    elif how == "expired":
        Delegation.objects.filter(pk=slt_trip.pk).update(
            starts_on=today - timedelta(days=2), ends_on=today - timedelta(days=1)
        )
    else:
        Delegation.objects.filter(pk=slt_trip.pk).update(
            starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=1)
        )

    post = _slt_sends(staff, accounts, make_post, django_capture_on_commit_callbacks)

    assert post.status == PostStatus.SUBMITTED and post.decided_by is None
    assert any(m.subject.endswith("is waiting for approval") for m in mail.outbox)
    assert not AuditEvent.objects.filter(action="post.approved_on_trip").exists()
    with pytest.raises(PermissionDenied, match="Nobody approves their own post"):
        services.post_approve(actor=staff.slt, post=post)
    services.post_approve(actor=staff.head, post=post)
    assert _status(post) in (PostStatus.APPROVED, PostStatus.PUBLISHED)


def test_a_trip_for_the_whole_school_account_changes_nothing_on_the_class_account(
    staff, accounts, trip, make_post, django_capture_on_commit_callbacks
):
    post = make_post("Year 3 spelling bee")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert _status(post) == PostStatus.SUBMITTED


# Making and ending delegations.


def test_head_creates_a_delegation_which_is_audited_and_the_delegate_is_told(
    staff, accounts, today, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        trip = trips.delegation_create(
            actor=staff.head,
            account=accounts.whole_school,
            delegate_membership=staff.teacher,
            starts_on=today + timedelta(days=2),
            ends_on=today + timedelta(days=4),
            note="Year 6 residential",
        )
    assert trip.delegate == staff.teacher.user and trip.created_by == staff.head.user
    event = AuditEvent.objects.get(action="delegation.created", target_id=str(trip.pk))
    assert event.actor == staff.head.user and event.data["note"] == "Year 6 residential"
    assert mail.outbox[-1].to == [staff.teacher.user.email] and "@alpha_school" in mail.outbox[-1].subject


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (0, 14, "at most 14 days, and these dates cover 15"),
        (-1, 1, "The first day has already passed"),
        (3, 2, "The last day is before the first day"),
    ],
)
def test_bad_dates_are_refused_with_a_reason(staff, accounts, today, start, end, message):
    with pytest.raises(trips.DelegationRefused, match=message):
        trips.delegation_create(
            actor=staff.head,
            account=accounts.whole_school,
            delegate_membership=staff.teacher,
            starts_on=today + timedelta(days=start),
            ends_on=today + timedelta(days=end),
        )
    assert not Delegation.objects.exists()


def test_fourteen_days_is_allowed(staff, accounts, today):
    trip = trips.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.teacher,
        starts_on=today,
        ends_on=today + timedelta(days=13),
    )
    assert (trip.ends_on - trip.starts_on).days + 1 == 14


def test_overlapping_trips_on_one_account_are_refused(staff, accounts, trip, today):
    with pytest.raises(trips.DelegationRefused, match="already on for @alpha_school"):
        trips.delegation_create(
            actor=staff.head,
            account=accounts.whole_school,
            delegate_membership=staff.ta,
            starts_on=today + timedelta(days=1),
            ends_on=today + timedelta(days=3),
        )
    # The day after the first trip ends is free.
    trips.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.ta,
        starts_on=today + timedelta(days=2),
        ends_on=today + timedelta(days=3),
    )
    assert Delegation.objects.count() == 2


def test_only_the_headteacher_can_delegate_and_only_to_drafting_staff(staff, accounts, today):
    def make(actor, delegate, account=None):
        return trips.delegation_create(
            actor=actor,
            account=account or accounts.whole_school,
            delegate_membership=delegate,
            starts_on=today,
            ends_on=today,
        )

    with pytest.raises(PermissionDenied):
        make(staff.slt, staff.teacher)
    with pytest.raises(trips.DelegationRefused, match="cannot draft posts"):
        make(staff.head, staff.office)
    with pytest.raises(trips.DelegationRefused, match="other than yourself"):
        make(staff.head, staff.head)
    with pytest.raises(trips.DelegationRefused, match="whole-school account"):
        make(staff.head, staff.teacher, accounts.year3)
    assert not Delegation.objects.exists()


def test_another_schools_staff_or_account_cannot_be_used(staff, accounts, outsider, today):
    with pytest.raises(PermissionDenied):
        trips.delegation_create(
            actor=staff.head,
            account=outsider.account,
            delegate_membership=staff.teacher,
            starts_on=today,
            ends_on=today,
        )
    with pytest.raises(PermissionDenied):
        trips.delegation_create(
            actor=staff.head,
            account=accounts.whole_school,
            delegate_membership=outsider.teacher,
            starts_on=today,
            ends_on=today,
        )


def test_revoking_is_audited_and_cannot_happen_twice(staff, trip):
    trips.delegation_revoke(actor=staff.head, delegation=trip)
    trip.refresh_from_db()
    assert trip.revoked_by == staff.head.user and trip.revoked_at is not None
    assert AuditEvent.objects.filter(action="delegation.revoked", target_id=str(trip.pk)).count() == 1
    with pytest.raises(trips.DelegationRefused, match="already been ended"):
        trips.delegation_revoke(actor=staff.head, delegation=trip)


# The pages.


def test_head_turns_on_trip_mode_from_the_page(client_for, staff, accounts, today):
    client = client_for(staff.head)
    page = client.get(reverse("delegation_list")).content.decode()
    assert "Turn on trip mode" in page and str(staff.teacher.user) in page
    assert str(staff.office.user) not in page, "office staff do not draft posts"

    response = client.post(
        reverse("delegation_create"),
        {
            "account": accounts.whole_school.pk,
            "delegate": staff.teacher.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=2)).isoformat(),
            "note": "Year 6 residential",
        },
        follow=True,
    )
    assert any("Trip mode is on for" in message for message in _messages(response))
    assert "Year 6 residential" in response.content.decode() and "End now" in response.content.decode()
    assert Delegation.objects.get().delegate == staff.teacher.user


def test_the_page_explains_a_refusal_and_keeps_what_was_typed(client_for, staff, accounts, today):
    response = client_for(staff.head).post(
        reverse("delegation_create"),
        {
            "account": accounts.whole_school.pk,
            "delegate": staff.teacher.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=20)).isoformat(),
            "note": "Ski trip",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Trip mode can last at most 14 days" in page and 'value="Ski trip"' in page
    assert not Delegation.objects.exists()


def test_head_ends_trip_mode_from_the_page(client_for, staff, trip):
    response = client_for(staff.head).post(reverse("delegation_revoke", args=[trip.pk]), follow=True)
    assert any("Trip mode has ended" in message for message in _messages(response))
    trip.refresh_from_db()
    assert trip.revoked_at is not None


def test_another_schools_trip_is_not_found(client_for, staff, outsider, today):
    theirs = Delegation.objects.create(
        account=outsider.account,
        delegate=outsider.teacher.user,
        starts_on=today,
        ends_on=today,
        created_by=outsider.head.user,
    )
    response = client_for(staff.head).post(reverse("delegation_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert "beta_school" not in client_for(staff.head).get(reverse("delegation_list")).content.decode()


def test_the_delegate_sees_the_trip_banner_when_writing(client_for, staff, trip, accounts, today):
    page = client_for(staff.teacher).get(reverse("post_compose")).content.decode()
    assert "Trip mode:" in page and "your posts to @alpha_school publish without waiting for approval" in page
    assert (today + timedelta(days=1)).strftime("%A") in page
    other = client_for(staff.ta).get(reverse("post_compose")).content.decode()
    assert "Trip mode:" not in other


def test_the_headteachers_dashboard_shows_trips_on_now(client_for, staff, trip):
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "Trip mode is on" in page and str(staff.teacher.user) in page and "Year 6 residential" in page


def test_the_dashboard_does_the_same_queries_with_or_without_trips(client_for, staff, accounts, school, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(staff.head)
    client.get(reverse("dashboard"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("dashboard"))
        return len(queries)

    before = count()
    for number in range(3):
        delegate = make_member(school, f"teacher{number}@alpha.test", [Role.CLASS_TEACHER])
        Delegation.objects.create(
            account=accounts.whole_school,
            delegate=delegate.user,
            starts_on=today,
            ends_on=today,
            created_by=staff.head.user,
        )
    assert count() == before


def test_the_delegate_is_told_the_post_goes_out_without_waiting(client_for, staff, trip, trip_post):
    from moderation.services import policy_acknowledge, policy_seed_default

    version = policy_seed_default(school=staff.head.school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    post = trip_post()
    data = {"text": post.text, "quote_url": "", "publish_at": "", "action": "submit"}
    response = client_for(staff.teacher).post(reverse("post_edit", args=[post.pk]), data, follow=True)
    assert any(message.startswith("Trip mode: it goes to") for message in _messages(response)), _messages(response)
    assert _status(post) in (PostStatus.APPROVED, PostStatus.PUBLISHED)
