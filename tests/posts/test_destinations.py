"""Choosing the other accounts a post goes to (posts.services.destinations): who may, which
accounts, and what the approver is shown as changed."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import SocialAccount
from audit.models import AuditEvent
from posts import services
from posts.models import Post, PostDestination, PostRevision, PostStatus

from .network_accounts import network_account


@pytest.fixture
def head_post(staff, accounts):
    return services.post_create(actor=staff.head, account=accounts.whole_school, text="Sports day is on Friday.")


def rows(post):
    return [(row.account.handle, row.text, row.position) for row in PostDestination.objects.filter(post=post)]


def test_the_author_chooses_accounts_in_order_each_with_its_words(staff, head_post, network_accounts):
    services.post_set_destinations(
        actor=staff.head,
        post=head_post,
        choices=[(network_accounts.mastodon, "Sports day: Friday! #PE"), (network_accounts.bluesky, "")],
    )

    assert rows(head_post) == [("alpha", "Sports day: Friday! #PE", 0), ("alpha.bsky.social", "", 1)]
    assert [row.words for row in head_post.destinations.all()] == ["Sports day: Friday! #PE", head_post.text]
    event = AuditEvent.objects.filter(action="post.destinations_changed").get()
    assert event.data["accounts"] == ["@alpha@mastodon.example (Mastodon)", "@alpha.bsky.social (Bluesky)"]


def test_the_posts_own_words_typed_again_are_kept_as_the_same_words(staff, head_post, network_accounts):
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "  ")])
    services.post_set_destinations(
        actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, head_post.text)]
    )
    assert rows(head_post) == [("alpha.bsky.social", "", 0)]


def test_choosing_again_replaces_the_choice(staff, head_post, network_accounts):
    services.post_set_destinations(
        actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, ""), (network_accounts.mastodon, "")]
    )
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.mastodon, "Short")])

    assert rows(head_post) == [("alpha", "Short", 0)]
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[])
    assert not PostDestination.objects.exists()


def test_before_the_first_submission_changes_are_not_history(staff, head_post, network_accounts):
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "")])
    assert not PostRevision.objects.exists()


def test_after_submission_the_approver_sees_each_change_and_the_post_is_a_draft_again(
    staff, head_post, network_accounts
):
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "")])
    services.post_submit(actor=staff.head, post=head_post)
    head_post.refresh_from_db()

    services.post_set_destinations(
        actor=staff.head,
        post=head_post,
        choices=[(network_accounts.mastodon, ""), (network_accounts.bluesky, "Friday: sports day")],
    )

    assert Post.objects.get(pk=head_post.pk).status == PostStatus.DRAFT
    changes = [(r.get_what_display(), r.before, r.after) for r in PostRevision.objects.filter(post=head_post)]
    assert changes == [
        (
            "Another account added",
            "",
            "For @alpha@mastodon.example (Mastodon): the same words as the post",
        ),
        (
            "Words for another account",
            "For @alpha.bsky.social (Bluesky): the same words as the post",
            "For @alpha.bsky.social (Bluesky): Friday: sports day",
        ),
    ]

    services.post_submit(actor=staff.head, post=head_post)
    head_post.refresh_from_db()
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.mastodon, "")])
    removed = PostRevision.objects.filter(post=head_post).last()
    assert (removed.get_what_display(), removed.before) == ("Another account removed", "@alpha.bsky.social (Bluesky)")


def test_choosing_the_same_again_changes_nothing(staff, head_post, network_accounts):
    services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "")])
    services.post_submit(actor=staff.head, post=head_post)
    head_post.refresh_from_db()

    assert (
        services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "")]) == []
    )
    assert Post.objects.get(pk=head_post.pk).status == PostStatus.SUBMITTED


def test_a_teacher_cannot_send_a_class_post_to_the_whole_school_account(staff, accounts, network_accounts):
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Our class assembly")
    with pytest.raises(PermissionDenied, match="You do not post for @alpha.bsky.social"):
        services.post_set_destinations(actor=staff.teacher, post=post, choices=[(network_accounts.bluesky, "")])
    assert not PostDestination.objects.exists()


def test_another_schools_account_is_refused(staff, head_post, outsider):
    with pytest.raises(PermissionDenied):
        services.post_set_destinations(actor=staff.head, post=head_post, choices=[(outsider.account, "")])


def test_only_the_author_may_choose(staff, head_post, network_accounts):
    with pytest.raises(PermissionDenied):
        services.post_set_destinations(actor=staff.slt, post=head_post, choices=[(network_accounts.bluesky, "")])


@pytest.mark.parametrize(
    ("choose", "message"),
    [
        (lambda accounts, more: [(accounts.whole_school, "")], "This post is already for @alpha_school"),
        (lambda accounts, more: [(more.bluesky, ""), (more.bluesky, "Again")], "is chosen twice"),
    ],
)
def test_the_posts_own_account_and_a_repeat_are_refused(staff, head_post, accounts, network_accounts, choose, message):
    with pytest.raises(services.ContentRefused, match=message):
        services.post_set_destinations(actor=staff.head, post=head_post, choices=choose(accounts, network_accounts))


def test_an_account_that_is_not_connected_is_refused_with_what_to_do(staff, school, head_post):
    broken = network_account(school, "bluesky", "old.bsky.social", status=SocialAccount.Status.ERROR)
    with pytest.raises(services.ContentRefused) as refused:
        services.post_set_destinations(actor=staff.head, post=head_post, choices=[(broken, "")])
    assert refused.value.message == (
        "Nothing can be posted to @old.bsky.social (Bluesky) at the moment: the portal shows it as "
        "“Needs attention”. Untick it, or ask the headteacher to connect it again."
    )


def test_once_approved_the_accounts_can_no_longer_change(staff, head_post, network_accounts):
    Post.objects.filter(pk=head_post.pk).update(status=PostStatus.APPROVED)
    with pytest.raises(services.TransitionError, match="can no longer be changed"):
        services.post_set_destinations(actor=staff.head, post=head_post, choices=[(network_accounts.bluesky, "")])
    assert not PostDestination.objects.exists()
