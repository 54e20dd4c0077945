"""Reposts (issue 18): someone's public post shared without comment, through the same approval,
rules and consent checks as any post (on the reposted words and pictures), published exactly
once and undone by a take-down. On the local network here; the adapters for X, Bluesky and
Mastodon have their own tests against the stub servers."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from audit.models import AuditEvent
from moderation.services import seed_default_rules
from networks.base import ExternalRef, NetworkError, PostPayload
from networks.local.adapter import LocalNetwork, post_url
from networks.local.models import LocalNetworkMedia, LocalNetworkPost
from networks.registry import get_network
from posts import services
from posts.models import OutsideContent, Post, PostStatus, repost_label
from posts.selectors_feed import feed_posts
from posts.services import publishing
from posts.services.publishing import Outcome
from posts.services.trip_mode import delegation_create
from tests.factories import make_account


@pytest.fixture
def news(school):
    """The village's news account on the local network, with one public post."""
    account = make_account(school, "village_news")

    def post(text="The new library opens on Saturday. Everyone is welcome!", *, pictures=()):
        ref = get_network(account).publish(PostPayload(text=text))
        for alt_text in pictures:
            LocalNetworkMedia.objects.create(
                account=account, post_id=int(ref.id), file="local-network/x.jpg", alt_text=alt_text, width=10, height=10
            )
        return post_url(account, int(ref.id))

    return post


def repost_draft(staff, accounts, url) -> Post:
    post, _ = services.post_draft_create(
        actor=staff.teacher, account=accounts.year3, client_token=uuid.uuid4(), repost_url=url
    )
    return post


def submitted(staff, accounts, url) -> Post:
    post = repost_draft(staff, accounts, url)
    services.post_send_for_approval(actor=staff.teacher, post=post)
    return Post.objects.select_related("account").get(pk=post.pk)


def test_a_repost_reads_the_reposted_post_for_the_approver(staff, accounts, news):
    url = news()
    post = repost_draft(staff, accounts, url)

    [row] = OutsideContent.objects.filter(post=post)
    assert (row.kind, row.author, row.text, row.error) == (
        OutsideContent.Kind.REPOST,
        "village_news",
        "The new library opens on Saturday. Everyone is welcome!",
        "",
    )
    assert post.repost_label == "Repost of @village_news"


def test_offensive_words_in_the_reposted_post_stop_it_at_submission(school, staff, accounts, news):
    seed_default_rules(school)
    post = repost_draft(staff, accounts, news("What a shit day for the match."))

    with pytest.raises(services.PostBlocked, match="offensive"):
        services.post_send_for_approval(actor=staff.teacher, post=post)
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_a_pupils_full_name_in_the_reposted_post_is_blocked_by_consent(staff, accounts, news, pupils):
    post = repost_draft(staff, accounts, news("Congratulations to Ben Ruiz on winning the county chess cup"))

    with pytest.raises(services.PostBlocked, match="Ben Ruiz"):
        services.post_send_for_approval(actor=staff.teacher, post=post)


def test_a_picture_description_naming_a_pupil_is_blocked_too(staff, accounts, news, pupils):
    post = repost_draft(staff, accounts, news("Chess results are in", pictures=["Ben Ruiz holding the cup"]))

    with pytest.raises(services.PostBlocked, match="Ben Ruiz"):
        services.post_send_for_approval(actor=staff.teacher, post=post)


def test_a_repost_has_no_words_or_photos_of_its_own(staff, accounts, news):
    post = repost_draft(staff, accounts, news())

    with pytest.raises(services.ContentRefused, match="no photos of its own"):
        services.post_add_image(actor=staff.teacher, post=post, data=b"not read", alt_text="x")
    with pytest.raises(IntegrityError):
        Post.objects.filter(pk=post.pk).update(text="Look at this")


def test_an_unreadable_reposted_post_needs_the_approvers_word(staff, accounts, news):
    url = news()
    LocalNetworkPost.objects.filter(pk=int(url.rsplit("-", 1)[1])).update(deleted_at="2026-01-01T00:00Z")
    post = submitted(staff, accounts, url)
    [row] = OutsideContent.objects.filter(post=post)
    assert row.error.startswith("The reposted post could not be read: it is not on the local network any more")

    with pytest.raises(services.TransitionError, match="could not read the reposted post"):
        services.post_approve(actor=staff.head, post=post)


def test_a_link_that_is_not_a_post_on_the_accounts_network_is_unreadable(staff, accounts):
    post = repost_draft(staff, accounts, "https://x.com/DfE/status/1234567")

    [row] = OutsideContent.objects.filter(post=post)
    assert row.error == ("The reposted post could not be read: it is on X, and this account is on the local network.")


def test_pictures_in_the_reposted_post_need_the_approver_to_look(staff, accounts, news):
    post = submitted(staff, accounts, news("Sports day pictures", pictures=["Runners crossing the line"]))

    with pytest.raises(services.TransitionError, match="has 1 picture"):
        services.post_approve(actor=staff.head, post=post)
    services.post_approve(actor=staff.head, post=post, confirm_repost_pictures=True)

    event = AuditEvent.objects.get(action="post.approved", target_id=str(post.pk))
    assert len(event.data["repost_pictures_confirmed"]) == 1


def test_an_approved_repost_is_reposted_once_then_taken_down(staff, accounts, news):
    url = news()
    post = submitted(staff, accounts, url)
    services.post_approve(actor=staff.head, post=post)
    assert publishing.publish(post.pk) == Outcome.PUBLISHED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED

    [repost] = LocalNetworkPost.objects.filter(account=accounts.year3, deleted_at__isnull=True)
    assert repost.repost_of_id == int(url.rsplit("-", 1)[1])
    assert repost.text == ""
    assert post.external_id == str(repost.pk)

    services.post_take_down(actor=staff.head, post=post)

    post.refresh_from_db()
    assert post.status == PostStatus.TAKEN_DOWN
    assert not LocalNetworkPost.objects.filter(account=accounts.year3, deleted_at__isnull=True).exists()
    assert LocalNetworkPost.objects.filter(pk=repost.repost_of_id, deleted_at__isnull=True).exists()


class _TimesOutAfterSending(LocalNetwork):
    calls = 0

    def repost(self, post_id: str) -> ExternalRef:
        type(self).calls += 1
        super().repost(post_id)
        raise NetworkError("The network did not answer in time.", outcome_unknown=True)


def test_a_timeout_after_sending_is_found_as_reposted_not_reposted_twice(staff, accounts, news, monkeypatch):
    post = submitted(staff, accounts, news())
    monkeypatch.setattr(publishing, "get_network", lambda account: _TimesOutAfterSending(account))
    _TimesOutAfterSending.calls = 0
    services.post_approve(actor=staff.head, post=post)

    assert publishing.publish(post.pk) == Outcome.RECONCILED
    assert publishing.publish(post.pk) == Outcome.NOT_DUE

    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert LocalNetworkPost.objects.filter(account=accounts.year3, repost_of__isnull=False).count() == 1


def test_the_local_network_reposts_a_post_only_once(accounts, news):
    url = news()
    network = get_network(accounts.year3)
    post_id = url.rsplit("-", 1)[1]

    first = network.repost(post_id)
    again = network.repost(post_id)

    assert first == again == network.find_repost(post_id)


def test_lists_name_a_repost_by_the_author_of_the_post_it_shares():
    assert repost_label("https://x.com/BBCNews/status/123") == "Repost of @BBCNews"
    assert repost_label("https://bsky.app/profile/news.bsky.social/post/3abc") == "Repost of @news.bsky.social"
    assert repost_label("https://mastodon.social/@council/11223344") == "Repost of @council"
    assert repost_label("https://x.com/i/web/status/123") == "Repost"


def test_the_website_feed_leaves_reposts_out(school, staff, accounts, news):
    post = submitted(staff, accounts, news())
    services.post_approve(actor=staff.head, post=post)
    publishing.publish(post.pk)

    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    assert post.pk not in [each.pk for each in feed_posts(school=school)]


@pytest.fixture
def trip(staff, accounts):
    today = timezone.localdate()
    return delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.teacher,
        starts_on=today,
        ends_on=today + timedelta(days=1),
    )


def test_on_a_trip_a_repost_with_pictures_waits_for_an_approver(staff, accounts, news, trip):
    post, _ = services.post_draft_create(
        actor=staff.teacher,
        account=accounts.whole_school,
        client_token=uuid.uuid4(),
        repost_url=news("Our trip to the farm", pictures=["Lambs in a pen"]),
    )

    services.post_send_for_approval(actor=staff.teacher, post=post)

    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED
    assert post.comments.get(kind="system").body.startswith("Trip mode did not approve this repost")
    event = AuditEvent.objects.get(action="post.trip_approval_withheld", target_id=str(post.pk))
    assert event.data["repost_pictures"] is True


def test_a_repost_goes_to_one_account(staff, accounts, news):
    post = repost_draft(staff, accounts, news())

    with pytest.raises(services.ContentRefused, match="one account"):
        services.post_set_destinations(actor=staff.teacher, post=post, choices=[(accounts.whole_school, "")])


def test_a_long_reposted_post_is_not_held_to_the_length_rule(school, staff, accounts, news):
    seed_default_rules(school)
    post = repost_draft(staff, accounts, news("A" * 20 + " " + "long news " * 26, pictures=["A very long description"]))

    services.post_send_for_approval(actor=staff.teacher, post=post)

    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
