"""One post to several accounts (issue 17): every destination is checked, one approval makes a
copy per destination, each copy publishes and is taken down on its own, nothing is half
published without the approvers hearing, and shared photo files outlive the rows that use them."""

import io
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage, storages
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Delegation, SocialAccount
from audit.models import AuditEvent
from consent.models import ConsentPurpose, ConsentRecord
from consent.services import consent_withdraw
from networks.base import NetworkError, PostPayload
from networks.local.adapter import LocalNetwork
from networks.local.models import LocalNetworkPost
from posts import services
from posts.models import FaceRegion, OutsideContent, Post, PostDestination, PostImage, PostStatus, TakeDownRequest
from posts.retention import delete_expired_originals
from posts.services import copies, publishing
from posts.services.review import post_take_down_everywhere
from posts.services.trip_mode import post_approve_if_on_trip
from tests.factories import make_account

WORDS = "Our choir sang at the town hall this afternoon. Thank you to everyone who came!"


@pytest.fixture
def second(school):
    """The whole school's second account (on the local network, like the first)."""
    return make_account(school, "alpha_second")


@pytest.fixture
def several(staff, accounts, second, make_post):
    """A senior leader's draft for the whole-school account that also goes to the second account."""

    def make(text=WORDS, *, also=None, tagged=(), faces=(), photo=False):
        post = make_post(text, author=staff.slt, account=accounts.whole_school, tagged=tagged, faces=faces)
        if photo:
            _add_stored_photo(staff, post)
        PostDestination.objects.create(post=post, account=second, text=also or "", position=0)
        return post

    return make


def _add_stored_photo(staff, post):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 160, 60)).save(out, "JPEG")
    return services.post_add_image(actor=staff.slt, post=post, data=out.getvalue(), alt_text="The choir on stage")


def _approved(staff, post):
    services.post_send_for_approval(actor=staff.slt, post=post)
    services.post_approve(actor=staff.head, post=post)
    post.refresh_from_db()
    return post


def _copy(post) -> Post:
    return Post.objects.get(part_of=post)


# Checks cover every destination.


def test_words_too_long_for_one_destination_only_are_refused_naming_that_account(staff, several):
    post = several(also="Choir! " * 60)

    with pytest.raises(services.PostBlocked) as refused:
        services.post_send_for_approval(actor=staff.slt, post=post)

    message = str(refused.value)
    assert "Too long for @alpha_second (the local network): 420 of 280" in message and "own box" in message
    assert "alpha_school" not in message  # the post's own words fit
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_a_pupils_full_name_in_one_destinations_words_only_blocks_submission(staff, several, pupils):
    post = several(also="Well done to Ben Ruiz, who sang the solo!")

    with pytest.raises(services.PostBlocked) as refused:
        services.post_submit(actor=staff.slt, post=post)

    assert any("@alpha_second" in problem.message and "Ben" in problem.message for problem in refused.value.problems)
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


def test_a_shared_photo_problem_is_reported_once_not_once_per_account(staff, several, pupils):
    post = several(tagged=[pupils.ben])

    with pytest.raises(services.PostBlocked) as refused:
        services.post_submit(actor=staff.slt, post=post)

    assert [problem.message.count("Ben cannot appear") for problem in refused.value.problems] == [1]


def test_a_destination_the_author_may_not_post_for_is_refused(staff, accounts, several):
    post = several()
    PostDestination.objects.filter(post=post).update(account=accounts.year3)  # a class account: not a leader's

    with pytest.raises(services.PostBlocked, match="no longer posts for @alpha_year3"):
        services.post_send_for_approval(actor=staff.slt, post=post)


def test_a_destination_disabled_after_submission_stops_approval_and_says_so(staff, several, second):
    post = several()
    services.post_send_for_approval(actor=staff.slt, post=post)
    SocialAccount.objects.filter(pk=second.pk).update(status=SocialAccount.Status.DISABLED)

    with pytest.raises(services.PostBlocked, match="@alpha_second .* has been disabled"):
        services.post_approve(actor=staff.head, post=post)

    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
    assert not Post.objects.filter(part_of=post).exists()


# One approval, one copy per destination.


def test_approval_makes_a_copy_for_each_destination_with_the_photos_tags_and_faces(
    staff, several, pupils, second, django_capture_on_commit_callbacks
):
    post = several(WORDS + " https://example.org/", also="Our choir sang at the town hall today.", photo=True)
    image = post.images.get()
    image.tagged_pupils.set([pupils.amara])
    FaceRegion.objects.filter(image=image).delete()
    FaceRegion.objects.create(image=image, x=1, y=1, w=20, h=20, resolution="pupil", pupil=pupils.amara)
    OutsideContent.objects.create(post=post, kind="link_preview", url="https://example.org/", read_at=timezone.now())
    services.post_send_for_approval(actor=staff.slt, post=post)

    with django_capture_on_commit_callbacks() as callbacks:
        services.post_approve(actor=staff.head, post=post)

    post.refresh_from_db()
    copy = _copy(post)
    assert copy.account == second and copy.text == "Our choir sang at the town hall today."
    assert copy.status == post.status == PostStatus.APPROVED
    assert (copy.author, copy.decided_by, copy.decided_at) == (post.author, staff.head.user, post.decided_at)
    assert PostDestination.objects.get(post=post).copy == copy
    copied = copy.images.get()
    assert copied.pk != image.pk
    assert (copied.original.name, copied.rendition.name, copied.thumbnail.name, copied.alt_text) == (
        image.original.name,
        image.rendition.name,
        image.thumbnail.name,
        image.alt_text,
    )
    assert list(copied.tagged_pupils.all()) == [pupils.amara]
    assert [(f.resolution, f.pupil_id) for f in copied.faces.all()] == [("pupil", pupils.amara.pk)]
    assert copy.outside_content.get().url == "https://example.org/"
    assert copy.consent_snapshot["photos"][0]["pupils"][0]["pupil_id"] == pupils.amara.pk
    assert len(callbacks) >= 2  # the post and its copy each handed to the publisher
    assert AuditEvent.objects.filter(action="post.copies_made", target_id=str(post.pk)).count() == 1
    assert AuditEvent.objects.filter(action="post.copy_made", target_id=str(copy.pk)).count() == 1


def test_a_post_for_one_account_makes_no_copy(staff, accounts, make_post):
    post = make_post(author=staff.slt, account=accounts.whole_school)
    _approved(staff, post)
    assert not Post.objects.filter(part_of=post).exists()


def test_a_second_approval_makes_no_second_copy(staff, several):
    post = _approved(staff, several())
    with pytest.raises(services.TransitionError):
        services.post_approve(actor=staff.head, post=post)
    assert Post.objects.filter(part_of=post).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_make_the_copies_once(staff, several):
    post = several()
    services.post_send_for_approval(actor=staff.slt, post=post)
    outcomes: list[str] = []

    def approve(approver):
        try:
            services.post_approve(actor=approver, post=Post.objects.get(pk=post.pk))
            outcomes.append("won")
        except services.TransitionError:
            outcomes.append("told")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(who,)) for who in (staff.head, staff.head)]
    if connection.vendor == "sqlite":  # SQLite serialises writers
        for thread in threads:
            thread.start()
            thread.join()
    else:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(outcomes) == ["told", "won"]
    assert Post.objects.filter(part_of=post).count() == 1


def test_trip_mode_waits_for_an_approver_when_a_destination_was_not_lent(staff, accounts, second, make_post):
    today = timezone.localdate()
    Delegation.objects.create(
        account=accounts.whole_school,
        delegate=staff.teacher.user,
        starts_on=today,
        ends_on=today,
        created_by=staff.head.user,
    )
    post = make_post(account=accounts.whole_school)
    PostDestination.objects.create(post=post, account=second)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED)

    assert post_approve_if_on_trip(actor=staff.teacher, post=post) is False
    assert "@alpha_second" in post.comments.get().body
    assert not Post.objects.filter(part_of=post).exists()

    Delegation.objects.create(
        account=second, delegate=staff.teacher.user, starts_on=today, ends_on=today, created_by=staff.head.user
    )
    assert post_approve_if_on_trip(actor=staff.teacher, post=post) is True
    assert Post.objects.get(part_of=post).status == PostStatus.APPROVED


# Each copy publishes on its own.


def test_the_post_and_its_copy_publish_each_with_its_own_words_and_link(
    staff, several, second, django_capture_on_commit_callbacks
):
    post = _approved(staff, several(also="Choir at the town hall today."))
    copy = _copy(post)

    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.publish(post.pk) == publishing.Outcome.PUBLISHED
        assert publishing.publish(copy.pk) == publishing.Outcome.PUBLISHED

    post.refresh_from_db()
    copy.refresh_from_db()
    assert post.external_url and copy.external_url and post.external_url != copy.external_url
    on_second = LocalNetworkPost.objects.get(pk=int(copy.external_id))
    assert on_second.text == "Choir at the town hall today." and on_second.account == second
    assert len(mail.outbox) == 2 and all("Only partly" not in m.subject for m in mail.outbox)


def _fail_on(monkeypatch, account):
    real = LocalNetwork.publish

    def publish(self, payload, *, idempotency_key=None):
        if self.account.pk == account.pk:
            raise NetworkError("The account's server refused the post.", permanent=True)
        return real(self, payload, idempotency_key=idempotency_key)

    monkeypatch.setattr(LocalNetwork, "publish", publish)


def test_published_on_one_account_and_failed_on_the_other_tells_the_approvers_once(
    staff, several, second, monkeypatch, django_capture_on_commit_callbacks
):
    post = _approved(staff, several())
    copy = _copy(post)
    _fail_on(monkeypatch, second)

    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish(post.pk)
    assert not [m for m in mail.outbox if "partly" in m.subject]  # the copy has not had its turn yet
    with django_capture_on_commit_callbacks(execute=True):
        assert publishing.publish(copy.pk) == publishing.Outcome.FAILED

    told = [m for m in mail.outbox if m.subject.startswith("Only partly published")]
    assert len(told) == 1 and staff.head.user.email in told[0].to
    post.refresh_from_db()
    assert post.external_url in told[0].body
    assert "@alpha_second (the local network): The account's server refused the post." in told[0].body
    assert copies.tell_if_partly_published(copy) is False  # once only
    assert AuditEvent.objects.filter(action="post.partly_published", target_id=str(post.pk)).count() == 1


def test_a_failed_copy_is_tried_again_on_its_own(staff, several, second, monkeypatch):
    post = _approved(staff, several())
    copy = _copy(post)
    _fail_on(monkeypatch, second)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    monkeypatch.undo()

    publishing.post_retry_publish(actor=staff.head, post=Post.objects.get(pk=copy.pk))
    assert publishing.publish(copy.pk) == publishing.Outcome.PUBLISHED
    assert Post.objects.get(pk=copy.pk).status == PostStatus.PUBLISHED
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


# Take-down.


def test_withdrawn_consent_asks_for_the_post_and_each_published_copy_to_come_down(
    staff, several, pupils, django_capture_on_commit_callbacks
):
    post = _approved(staff, several(tagged=[pupils.amara]))
    copy = _copy(post)
    for each in (post, copy):  # as the publisher records it (these photos have no files to send)
        ref = LocalNetwork(each.account).publish(PostPayload(text=each.text, media=[]))
        Post.objects.filter(pk=each.pk).update(
            status=PostStatus.PUBLISHED, external_id=ref.id, external_url=ref.url, published_at=timezone.now()
        )
    record = ConsentRecord.objects.get(pupil=pupils.amara, purpose=ConsentPurpose.SOCIAL_PHOTO)

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(actor=staff.office, record=record)

    assert set(TakeDownRequest.objects.values_list("post_id", flat=True)) == {post.pk, copy.pk}


def test_take_down_everywhere_goes_on_when_one_network_refuses_and_says_which(staff, several, second, monkeypatch):
    post = _approved(staff, several())
    copy = _copy(post)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    real = LocalNetwork.delete

    def delete(self, ref_id):
        if self.account.pk == second.pk:
            raise NetworkError("The server is down for maintenance.")
        return real(self, ref_id)

    monkeypatch.setattr(LocalNetwork, "delete", delete)

    result = post_take_down_everywhere(actor=staff.head, post=Post.objects.get(pk=post.pk))

    assert result.taken_down == ["@alpha_school (the local network)"]
    assert result.failed[0][0] == "@alpha_second (the local network)"
    assert "Still up on @alpha_second" in result.message and "maintenance" in result.message
    assert Post.objects.get(pk=post.pk).status == PostStatus.TAKEN_DOWN
    assert Post.objects.get(pk=copy.pk).status == PostStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="post.taken_down_everywhere", target_id=str(post.pk)).count() == 1

    monkeypatch.undo()
    again = post_take_down_everywhere(actor=staff.head, post=Post.objects.get(pk=copy.pk))
    assert again.taken_down == ["@alpha_second (the local network)"] and not again.failed
    copy.refresh_from_db()
    assert LocalNetworkPost.objects.get(pk=int(copy.external_id)).deleted_at is not None


def test_only_an_approver_takes_down_everywhere(staff, several):
    post = _approved(staff, several())
    with pytest.raises(PermissionDenied):
        post_take_down_everywhere(actor=staff.teacher, post=post)


# Shared files.


def test_an_original_shared_with_a_copy_still_to_publish_is_kept(settings, staff, several):
    settings.ORIGINAL_PHOTO_RETENTION_DAYS = 0
    post = _approved(staff, several(photo=True))
    copy = _copy(post)
    name = post.images.get().original.name
    long_ago = timezone.now() - timedelta(days=1)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHED, external_id="1", updated_at=long_ago)
    Post.objects.filter(pk=copy.pk).update(status=PostStatus.FAILED, updated_at=long_ago)

    assert delete_expired_originals() == 1

    assert not post.images.get().original  # the published post lets go of it...
    assert copy.images.get().original.name == name and storages["private"].exists(name)  # ...the copy keeps it
    Post.objects.filter(pk=copy.pk).update(status=PostStatus.PUBLISHED, external_id="2", updated_at=long_ago)
    assert delete_expired_originals() == 1
    assert not storages["private"].exists(name)
    assert default_storage.exists(copy.images.get().rendition.name)  # what was published stays


def test_a_photo_removed_from_a_post_keeps_files_another_row_uses(staff, several):
    post = several(photo=True)
    image = post.images.get()
    twin = PostImage.objects.create(
        post=Post.objects.create(account=post.account, author=post.author, part_of=post, status=PostStatus.APPROVED),
        original=image.original.name,
        rendition=image.rendition.name,
        thumbnail=image.thumbnail.name,
    )

    services.post_remove_image(actor=staff.slt, image=image)

    assert storages["private"].exists(twin.original.name) and default_storage.exists(twin.rendition.name)


def test_words_within_bluesky_s_300_characters_but_over_its_3000_bytes_are_refused(staff, several, second):
    """A family emoji is one character to Bluesky's counter and 18 bytes to its server."""
    second.network, second.handle = "bluesky", "alpha.bsky.social"
    second.save(update_fields=["network", "handle"])
    post = several(also="Sports day! " + "\U0001f469\u200d\U0001f469\u200d\U0001f467" * 200)

    with pytest.raises(services.PostBlocked) as refused:
        services.post_send_for_approval(actor=staff.slt, post=post)

    message = str(refused.value)
    assert "Too big for @alpha.bsky.social (Bluesky)" in message and "3,612 bytes" in message
    assert message.count("3,612 bytes") == 1, "the engine's finding and the destination check say it once"


# The pages.


def test_the_review_page_shows_each_accounts_preview_with_its_findings(client_for, staff, several):
    post = several(also="Choir! " * 60)
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())

    page = client_for(staff.head).get(reverse("review_post", args=[post.pk])).content.decode()

    assert "On @alpha_school" in page and "Also on @alpha_second (the local network)" in page
    assert page.count('<article class="pv ') == 2
    assert "Too long for @alpha_second (the local network): 420 of 280" in page


def test_the_posts_page_after_approval_lists_each_account_with_its_status_link_and_try_again(
    client_for, staff, several, second, monkeypatch
):
    post = _approved(staff, several())
    copy = _copy(post)
    _fail_on(monkeypatch, second)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    post.refresh_from_db()
    client = client_for(staff.head)

    page = client.get(reverse("review_post", args=[post.pk])).content.decode()

    assert "Where it goes" in page and "Only partly published" in page
    assert post.external_url in page
    assert "Not published: The account&#x27;s server refused the post." in page
    assert reverse("post_retry_publish", args=[copy.pk]) in page and "Try again on @alpha_second" in page
    copy_page = client.get(reverse("review_post", args=[copy.pk])).content.decode()
    assert reverse("review_post", args=[post.pk]) in copy_page and "several accounts" in copy_page


def test_take_down_everywhere_from_the_posts_page(client_for, staff, several):
    post = _approved(staff, several())
    copy = _copy(post)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    client = client_for(staff.head)
    assert "Take down everywhere" in client.get(reverse("review_post", args=[post.pk])).content.decode()

    response = client.post(reverse("post_take_down_everywhere", args=[post.pk]), follow=True)

    assert set(Post.objects.filter(pk__in=[post.pk, copy.pk]).values_list("status", flat=True)) == {"taken_down"}
    assert "Taken down from @alpha_school (the local network), @alpha_second (the local network)." in (
        response.content.decode()
    )


def test_take_down_everywhere_refuses_get_and_teachers(client_for, staff, several):
    post = _approved(staff, several())
    url = reverse("post_take_down_everywhere", args=[post.pk])
    assert client_for(staff.head).get(url).status_code == 405
    assert client_for(staff.teacher).post(url).status_code == 403


def test_withdrawn_name_consent_stops_a_waiting_post_that_names_the_pupil_for_one_account_only(
    staff, several, pupils, django_capture_on_commit_callbacks
):
    given = ConsentRecord.objects.create(
        pupil=pupils.amara,
        purpose=ConsentPurpose.SOCIAL_NAME,
        decision="given",
        given_by_name="Parent of Amara",
        relationship="parent",
        method="admission_form",
        decided_on=timezone.localdate() - timedelta(days=30),
        recorded_by=staff.office.user,
    )
    post = several(also="Well done Amara, our Year 3 soloist!", tagged=[pupils.amara])
    services.post_submit(actor=staff.slt, post=post)

    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(actor=staff.office, record=given)

    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT
    assert "Amara" in post.comments.get().body


def test_withdrawing_an_approved_post_withdraws_its_copies_that_have_not_gone_out(staff, several):
    post = _approved(staff, several())

    services.post_withdraw(actor=staff.slt, post=post)

    assert Post.objects.get(part_of=post).status == PostStatus.WITHDRAWN
