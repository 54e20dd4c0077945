"""Publishing one post: claim, re-check, call the network, record; retries, reconciliation,
pacing and the stuck-post sweeper. The network here is the real local network or a scripted
one (for faults); tests/integration drives real workers against the stub X server."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from accounts.models import SocialAccount
from audit.models import AuditEvent
from consent.models import Pupil
from moderation.engine import rulebook_for
from networks.base import (
    Capabilities,
    DuplicateContent,
    ExternalRef,
    LengthRule,
    Network,
    NetworkError,
    OwnPost,
    PostNotFound,
    PostPayload,
    ReconnectNeeded,
)
from networks.local.adapter import post_url
from networks.local.models import LocalNetworkPost
from networks.registry import get_network
from posts import services
from posts.models import OutsideContent, Post, PostComment, PostStatus
from posts.services import publishing
from posts.services.publishing import Outcome


@pytest.fixture
def approved(staff, make_post):
    """A submitted post, approved by the headteacher (its publish message not yet delivered)."""

    def make(text="Our Year 3 choir sang beautifully at the concert today!", **kwargs):
        post = make_post(text, **kwargs)
        services.post_submit(actor=staff.teacher, post=post)
        services.post_approve(actor=staff.head, post=post)
        post.refresh_from_db()
        return post

    return make


class ScriptedNetwork(Network):
    """A network without idempotency keys (like X) whose calls fail as a test says."""

    label = "Scripted"
    capabilities = Capabilities(
        max_length=280, length_rule=LengthRule.X_WEIGHTED, max_images=4, max_image_bytes=5_000_000, alt_text_limit=1000
    )
    posts: list[OwnPost] = []
    script: list = []  # per publish call: None (works), an exception, or ("sent", exception)
    publish_calls = 0

    def publish(self, payload, *, idempotency_key=None):
        type(self).publish_calls += 1
        step = self.script.pop(0) if self.script else None
        if isinstance(step, tuple):  # the post gets there, the answer does not
            self._store(payload.text)
            raise step[1]
        if step is not None:
            raise step
        return self._store(payload.text)

    def _store(self, text):
        own = OwnPost(id=str(900 + len(self.posts)), text=text, created_at=timezone.now(), url="https://scripted/1")
        self.posts.insert(0, own)
        return ExternalRef(id=own.id, url=own.url)

    def upload_media(self, image, alt_text):
        self.check_media(image, alt_text)
        return f"media-{len(image)}"

    def delete(self, ref_id):
        pass

    def recent_own_posts(self, limit=20):
        return self.posts[:limit]

    def fetch_post(self, post_id):
        raise PostNotFound(f"There is no post {post_id} on the scripted network.")


@pytest.fixture
def scripted(monkeypatch):
    ScriptedNetwork.posts = []
    ScriptedNetwork.script = []
    ScriptedNetwork.publish_calls = 0
    monkeypatch.setattr(publishing, "get_network", lambda account: ScriptedNetwork(account))
    return ScriptedNetwork


def test_an_approved_post_reaches_the_local_network_once_with_an_audit_entry(staff, approved, mailoutbox):
    post = approved()
    assert publishing.publish(post.pk) == Outcome.PUBLISHED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    network_post = LocalNetworkPost.objects.get(pk=int(post.external_id))
    assert network_post.text == post.text
    assert f"#post-{network_post.pk}" in post.external_url
    assert AuditEvent.objects.filter(action="post.published", target_id=str(post.pk)).exists()
    # A second delivery of the same message finds nothing to do.
    assert publishing.publish(post.pk) == Outcome.NOT_DUE
    assert LocalNetworkPost.objects.count() == 1


def test_approve_now_publishes_after_commit(staff, make_post, django_capture_on_commit_callbacks):
    post = make_post("Sports day is on Friday: bring a water bottle!")
    services.post_submit(actor=staff.teacher, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=staff.head, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert LocalNetworkPost.objects.filter(account=post.account, text=post.text).count() == 1


def test_a_scheduled_post_waits_for_its_time_then_the_sweep_sends_it(staff, make_post):
    post = make_post("Parents' evening booking opens on Monday.")
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post, publish_at=timezone.now() + timedelta(hours=1))
    assert publishing.sweep() == {"enqueued": 0, "stuck_reconciled": 0}
    assert publishing.publish(post.pk) == Outcome.NOT_DUE
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert publishing.sweep()["enqueued"] == 1  # eager in tests: the worker ran it
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_the_authors_time_stands_unless_the_approver_says_now(staff, make_post, django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(days=1)
    kept, overridden = make_post("Book fair tomorrow!"), make_post("Book fair today!")
    for post in (kept, overridden):
        Post.objects.filter(pk=post.pk).update(publish_at=later)
        services.post_submit(actor=staff.teacher, post=post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_approve(actor=staff.head, post=kept)
        services.post_approve(actor=staff.head, post=overridden, now=True)
    kept.refresh_from_db()
    overridden.refresh_from_db()
    assert (kept.status, kept.publish_at) == (PostStatus.SCHEDULED, later)
    assert overridden.status == PostStatus.PUBLISHED


def test_consent_withdrawn_after_approval_stops_it_at_publish_time(staff, approved, pupils, mailoutbox):
    post = approved(tagged=[pupils.amara])
    # Changed directly (the register's signal would stop the post itself; this is the race
    # where the change lands between the signal's check and the worker's claim).
    Pupil.objects.filter(pk=pupils.amara.pk).update(
        never_publish=True, never_publish_reason="Court order", never_publish_set_at=timezone.now()
    )
    assert publishing.publish(post.pk) == Outcome.STOPPED
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    note = PostComment.objects.get(post=post, kind=PostComment.Kind.SYSTEM)
    assert "Consent changed after approval" in note.body, note.body
    assert not LocalNetworkPost.objects.exists()


def test_a_transient_error_retries_later_then_publishes(settings, staff, approved, scripted):
    settings.PUBLISH_RETRY_BASE_SECONDS = 60
    scripted.script = [NetworkError("X is having problems (503).", permanent=False)]
    post = approved()
    assert publishing.publish(post.pk) == Outcome.RETRY
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert post.last_publish_error == "X is having problems (503)."
    assert timezone.now() + timedelta(seconds=25) < post.retry_at < timezone.now() + timedelta(seconds=61)
    assert publishing.publish(post.pk) == Outcome.NOT_DUE  # not before its time
    Post.objects.filter(pk=post.pk).update(retry_at=timezone.now())
    assert publishing.publish(post.pk) == Outcome.PUBLISHED
    assert scripted.publish_calls == 2 and len(scripted.posts) == 1


def test_a_rate_limit_waits_at_least_until_the_reset(settings, approved, scripted):
    settings.PUBLISH_RETRY_BASE_SECONDS = 1
    scripted.script = [NetworkError("Rate limited until 10:15.", retry_after=900)]
    post = approved()
    publishing.publish(post.pk)
    post.refresh_from_db()
    assert post.retry_at >= timezone.now() + timedelta(seconds=890)


def test_a_timeout_after_sending_is_found_on_the_network_not_posted_twice(approved, scripted):
    scripted.script = [("sent", NetworkError("X did not answer in time.", outcome_unknown=True))]
    post = approved()
    assert publishing.publish(post.pk) == Outcome.RECONCILED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.external_id == scripted.posts[0].id
    assert scripted.publish_calls == 1
    assert AuditEvent.objects.get(action="post.published", target_id=str(post.pk)).data["reconciled"] is True


def test_a_key_the_network_may_have_forgotten_is_not_trusted_the_post_is_looked_for(
    monkeypatch, settings, approved, scripted
):
    """Mastodon remembers an idempotency key for an hour: a retry long after the first attempt
    (a rate limit, a server down all morning) reads the account's posts instead of trusting it."""
    from dataclasses import replace

    hourly = replace(ScriptedNetwork.capabilities, supports_idempotency_key=True, idempotency_key_seconds=3600)
    monkeypatch.setattr(ScriptedNetwork, "capabilities", hourly)
    settings.PUBLISH_RETRY_BASE_SECONDS = 0
    scripted.script = [("sent", NetworkError("The server did not answer in time.", outcome_unknown=True))]
    post = approved()

    # Within the hour the key is trusted: nothing is read, the repeat goes with the same key.
    assert publishing.publish(post.pk) == Outcome.RETRY
    assert scripted.publish_calls == 1

    # Two hours later the key may be forgotten: the post the first attempt made is found.
    Post.objects.filter(pk=post.pk).update(
        decided_at=timezone.now() - timedelta(hours=2), created_at=timezone.now() - timedelta(hours=2)
    )
    scripted.posts[0] = scripted.posts[0].__class__(
        id=scripted.posts[0].id,
        text=scripted.posts[0].text,
        created_at=timezone.now() - timedelta(hours=2),
        url="https://scripted/1",
    )
    assert publishing.publish(post.pk) == Outcome.RECONCILED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and scripted.publish_calls == 1 and len(scripted.posts) == 1


def test_an_unknown_outcome_that_did_not_get_through_is_retried(settings, approved, scripted):
    settings.PUBLISH_RETRY_BASE_SECONDS = 0
    scripted.script = [NetworkError("X did not answer in time.", outcome_unknown=True)]
    post = approved()
    assert publishing.publish(post.pk) == Outcome.RETRY
    assert publishing.publish(post.pk) == Outcome.PUBLISHED
    assert len(scripted.posts) == 1


def test_a_duplicate_refusal_for_our_own_earlier_attempt_counts_as_published(approved, scripted):
    post = approved()
    scripted.script = [("sent", DuplicateContent("X says @alpha_year3 already posted this text."))]
    assert publishing.publish(post.pk) == Outcome.RECONCILED
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_a_duplicate_of_an_older_post_fails_with_the_reason(approved, scripted, staff, mailoutbox):
    post = approved()
    scripted.script = [DuplicateContent("X says @alpha_year3 already has a post with exactly this text.")]
    Post.objects.filter(pk=post.pk).update(decided_at=timezone.now())
    scripted.posts.append(  # the same words, published last month
        OwnPost(id="1", text=post.text, created_at=timezone.now() - timedelta(days=30), url="https://scripted/old")
    )
    assert publishing.publish(post.pk) == Outcome.FAILED
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert "already has a post with exactly this text" in post.failure_reason


def test_a_permanent_error_fails_the_post_and_tells_author_and_headteacher(approved, scripted, staff, mailoutbox):
    scripted.script = [NetworkError("X refused the post: the quoted post was deleted.", permanent=True)]
    post = approved()
    assert publishing.publish(post.pk) == Outcome.FAILED
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert post.failure_reason == "X refused the post: the quoted post was deleted."
    assert AuditEvent.objects.filter(action="post.publish_failed", target_id=str(post.pk)).exists()


def test_a_connection_x_no_longer_accepts_marks_the_account(approved, scripted):
    scripted.script = [ReconnectNeeded("X no longer accepts the portal's connection to @alpha_year3.")]
    post = approved()
    assert publishing.publish(post.pk) == Outcome.FAILED
    post.account.refresh_from_db()
    assert post.account.status == SocialAccount.Status.ERROR
    assert "no longer accepts" in post.account.last_error


def test_after_the_last_attempt_it_fails_rather_than_retrying_for_ever(settings, approved, scripted):
    settings.PUBLISH_MAX_ATTEMPTS = 2
    settings.PUBLISH_RETRY_BASE_SECONDS = 0
    scripted.script = [NetworkError("X is having problems (502).")] * 2
    post = approved()
    assert publishing.publish(post.pk) == Outcome.RETRY
    assert publishing.publish(post.pk) == Outcome.FAILED
    post.refresh_from_db()
    assert post.failure_reason.startswith("Gave up after 2 attempts.")


def test_a_burst_of_approvals_queues_instead_of_failing(settings, approved, scripted):
    settings.PUBLISH_MAX_PER_WINDOW = 2
    posts = [approved(f"Well done to our spelling champions, week {n}!") for n in range(3)]
    outcomes = [publishing.publish(post.pk) for post in posts]
    assert outcomes == [Outcome.PUBLISHED, Outcome.PUBLISHED, Outcome.DEFERRED]
    waiting = Post.objects.get(pk=posts[2].pk)
    assert waiting.status == PostStatus.APPROVED and waiting.retry_at > timezone.now()
    assert "Waiting its turn" in waiting.last_publish_error
    assert scripted.publish_calls == 2


def test_the_sweeper_reconciles_a_post_stuck_in_publishing(settings, approved, scripted):
    settings.PUBLISH_STUCK_AFTER_SECONDS = 60
    post = approved()
    # A worker claimed it, sent it, and was killed before recording anything.
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHING, publishing_started_at=timezone.now() - timedelta(minutes=5), publish_attempts=1
    )
    scripted.posts.append(OwnPost(id="77", text=post.text, created_at=timezone.now(), url="https://scripted/77"))
    assert publishing.sweep()["stuck_reconciled"] == 1
    post.refresh_from_db()
    assert (post.status, post.external_id) == (PostStatus.PUBLISHED, "77")
    assert scripted.publish_calls == 0


class TestTheDatabaseGoingAwayAfterTheNetworkTookThePost:
    """The network has the post, then the database connection is lost while it is recorded (a
    PostgreSQL restart: tests/integration/test_faults_postgres.py does it for real). Not in a test
    transaction: the publisher tries again only outside one, as a worker runs."""

    pytestmark = pytest.mark.django_db(transaction=True)

    @pytest.fixture
    def lost_connection(self, monkeypatch):
        """`_save_published` loses its connection on the first call, before or after it commits."""
        monkeypatch.setattr(publishing, "RECORD_RETRY_PAUSE_SECONDS", 0)
        real = publishing._save_published
        calls = []

        def arrange(*, committed: bool):
            def flaky(post, ref, **kwargs):
                calls.append(ref.id)
                if len(calls) == 1:
                    if committed:
                        real(post, ref, **kwargs)
                    raise OperationalError("server closed the connection unexpectedly")
                real(post, ref, **kwargs)

            monkeypatch.setattr(publishing, "_save_published", flaky)
            return calls

        return arrange

    @pytest.fixture
    def due(self, staff, make_post):
        """An approved post that has just fallen due (scheduled, so approving it sent nothing to
        the eager task runner: the test calls the publisher itself)."""
        post = make_post("Our Year 3 choir sang beautifully at the concert today!")
        services.post_submit(actor=staff.teacher, post=post)
        services.post_approve(actor=staff.head, post=post, publish_at=timezone.now() + timedelta(hours=1))
        Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
        return post

    @pytest.mark.parametrize("committed", [False, True], ids=["lost-before-commit", "answer-lost-after-commit"])
    def test_the_post_is_recorded_once_on_a_new_connection(self, due, scripted, lost_connection, committed):
        calls = lost_connection(committed=committed)
        post = due

        assert publishing.publish(post.pk) == Outcome.PUBLISHED

        post.refresh_from_db()
        assert (post.status, post.external_id) == (PostStatus.PUBLISHED, "900")
        assert scripted.publish_calls == 1
        assert AuditEvent.objects.filter(action="post.published", target_id=str(post.pk)).count() == 1
        # Written again only when the first write did not commit.
        assert len(calls) == (1 if committed else 2)

    def test_a_database_away_for_longer_leaves_the_post_to_the_sweeper(
        self, settings, due, scripted, lost_connection, monkeypatch
    ):
        monkeypatch.setattr(publishing, "RECORD_RETRY_SECONDS", 0)
        lost_connection(committed=False)
        post = due

        with pytest.raises(OperationalError):
            publishing.publish(post.pk)

        assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHING
        settings.PUBLISH_STUCK_AFTER_SECONDS = 0
        assert publishing.sweep()["stuck_reconciled"] == 1
        post.refresh_from_db()
        assert (post.status, post.external_id) == (PostStatus.PUBLISHED, "900")
        assert scripted.publish_calls == 1


def test_the_sweeper_sends_a_stuck_post_again_when_it_never_got_there(settings, approved, scripted):
    settings.PUBLISH_STUCK_AFTER_SECONDS = 60
    post = approved()
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHING, publishing_started_at=timezone.now() - timedelta(minutes=5), publish_attempts=1
    )
    publishing.sweep()  # reconciles (not there), then enqueues it again: eager, so it runs
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert scripted.publish_calls == 1


def test_a_recent_claim_is_left_to_its_worker(settings, approved, scripted):
    settings.PUBLISH_STUCK_AFTER_SECONDS = 600
    post = approved()
    Post.objects.filter(pk=post.pk).update(status=PostStatus.PUBLISHING, publishing_started_at=timezone.now())
    assert publishing.sweep() == {"enqueued": 0, "stuck_reconciled": 0}


def test_the_headteacher_retries_a_failed_post(staff, approved, scripted, django_capture_on_commit_callbacks):
    scripted.script = [NetworkError("X refused: not permitted on this API tier.", permanent=True)]
    post = approved()
    publishing.publish(post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        result = publishing.post_retry_publish(actor=staff.head, post=post)
    assert "Trying again" in result.message
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="post.publish_retried", actor=staff.head.user).exists()


def test_a_teacher_cannot_retry_and_a_published_post_cannot_be_retried(staff, approved):
    from django.core.exceptions import PermissionDenied

    post = approved()
    with pytest.raises(PermissionDenied):
        publishing.post_retry_publish(actor=staff.teacher, post=post)
    with pytest.raises(services.TransitionError):
        publishing.post_retry_publish(actor=staff.head, post=post)


def test_the_dashboard_shows_a_failure_in_plain_words_with_a_retry_button(client_for, staff, approved, scripted):
    scripted.script = [NetworkError("X refused the post: this app is not permitted to post on its API tier.", True)]
    post = approved()
    publishing.publish(post.pk)
    page = client_for(staff.head).get("/")
    assert "Posts that have not gone out" in page.text
    assert "not permitted to post on its API tier" in page.text
    assert f"/posts/{post.pk}/retry-publish/" in page.text
    assert "Posts that have not gone out" not in client_for(staff.teacher).get("/").text

    response = client_for(staff.head).post(f"/posts/{post.pk}/retry-publish/", follow=True)
    assert "Trying again now to publish on @alpha_year3." in response.text
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED  # on its way again (the test's on-commit hooks do not run)


def test_a_post_waiting_to_retry_shows_why_and_when(client_for, staff, approved, scripted):
    scripted.script = [NetworkError("X is busy (503). The portal will try again.")]
    post = approved()
    publishing.publish(post.pk)
    page = client_for(staff.head).get("/")
    assert "Retrying" in page.text and "X is busy (503)" in page.text


def test_a_photo_missing_from_storage_fails_the_post_before_anything_is_sent(staff, accounts, scripted):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 160, 60)).save(out, "JPEG")
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Our sunflowers are taller than us!")
    image = services.post_add_image(actor=staff.teacher, post=post, data=out.getvalue(), alt_text="A sunflower")
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    image.rendition.delete(save=False)  # lost from the media volume

    assert publishing.publish(post.pk) == Outcome.FAILED
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert "could not be read from the portal's storage" in post.failure_reason
    assert scripted.publish_calls == 0


def test_the_sweeper_stops_a_post_whose_attempts_keep_being_cut_off(settings, approved, scripted):
    settings.PUBLISH_STUCK_AFTER_SECONDS = 60
    settings.PUBLISH_MAX_ATTEMPTS = 3
    post = approved()
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHING, publishing_started_at=timezone.now() - timedelta(minutes=5), publish_attempts=3
    )
    publishing.sweep()
    post.refresh_from_db()
    assert post.status == PostStatus.FAILED
    assert "interrupted 3 times" in post.failure_reason
    assert scripted.publish_calls == 0


# What the post sends out besides its own words is read again before the checks (posts.outside).


def test_publishing_reads_the_quoted_post_again_before_the_consent_check(staff, accounts, make_post, monkeypatch):
    network = get_network(accounts.whole_school)
    quoted = network.publish(PostPayload(text="Our choir sang at the town hall."))
    post = make_post("Well done!")
    Post.objects.filter(pk=post.pk).update(quote_url=post_url(accounts.whole_school, quoted.id))
    services.post_send_for_approval(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    assert OutsideContent.objects.get(post=post).error == ""
    network.delete(quoted.id)
    order = []
    real_read, real_check = publishing.post_read_outside_content, publishing.check_post_consent
    monkeypatch.setattr(publishing, "post_read_outside_content", lambda **kw: order.append("read") or real_read(**kw))
    monkeypatch.setattr(
        publishing, "check_post_consent", lambda *a, **kw: order.append("check") or real_check(*a, **kw)
    )

    assert publishing.publish(post.pk) == Outcome.FAILED  # the local network refuses a quote of a deleted post

    assert order == ["read", "check"]
    row = OutsideContent.objects.get(post=post)
    assert row.text == "Our choir sang at the town hall."
    assert "it is not on the local network any more" in row.error
    assert AuditEvent.objects.filter(action="post.outside_content_changed", target_id=str(post.pk)).exists()


# The cost of one publish.

# A published post, on PostgreSQL: the claim (3), the post with its photos, tags, faces and
# outside content (5), consent and rules at publish (4), the record (4: the status, the lock on
# the school's audit chain, its last fingerprint, the entry; SQLite needs no lock) and consent once
# more after publishing (3). Inside a test each of the two transactions adds a savepoint and its
# release. Photos are uploaded by the network (none here: the scripted network keeps them in
# memory), so a post's photos and pupils add nothing.
PUBLISH_QUERIES = 19 + 4


def _photo_post(staff, accounts, *, photos: int, pupils_per_photo: int, covered_face: bool) -> Post:
    import io

    from PIL import Image

    from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord
    from posts.models import FaceRegion

    post = services.post_create(actor=staff.teacher, account=accounts.year3, text="Our class at the science fair!")
    for number in range(photos):
        out = io.BytesIO()
        Image.new("RGB", (320, 240), (90, 160, 60 + number)).save(out, "JPEG")
        image = services.post_add_image(actor=staff.teacher, post=post, data=out.getvalue(), alt_text="Our stand")
        for n in range(pupils_per_photo):
            pupil = Pupil.objects.create(school=post.account.school, first_name=f"Kid{number}x{n}", surname="Zed")
            ConsentRecord.objects.create(
                pupil=pupil,
                purpose=ConsentPurpose.SOCIAL_PHOTO,
                decision=ConsentDecision.GIVEN,
                given_by_name="A parent",
                relationship=CarerRelationship.PARENT,
                method=ConsentMethod.ADMISSION_FORM,
                decided_on=timezone.localdate() - timedelta(days=30),
                recorded_by=staff.office.user,
            )
            image.tagged_pupils.add(pupil)
        if covered_face:
            FaceRegion.objects.create(
                image=image, x=20, y=20, w=60, h=60, resolution=FaceRegion.Resolution.REDACTED, source="author"
            )
    services.post_submit(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    return post


@pytest.mark.parametrize(("photos", "pupils_per_photo"), [(0, 0), (1, 1), (4, 6)])
def test_a_publish_makes_a_fixed_number_of_queries_however_many_photos_and_pupils(
    staff, accounts, scripted, django_assert_max_num_queries, photos, pupils_per_photo
):
    post = _photo_post(staff, accounts, photos=photos, pupils_per_photo=pupils_per_photo, covered_face=photos > 0)
    rulebook_for(post.account.school_id)  # new pupils are new words for the rules: built once, then kept

    with django_assert_max_num_queries(PUBLISH_QUERIES):
        assert publishing.publish(post.pk) == Outcome.PUBLISHED

    assert AuditEvent.objects.filter(action="post.published", target_id=str(post.pk)).count() == 1
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_a_repeated_delivery_costs_one_query(staff, approved, django_assert_max_num_queries):
    post = approved()
    publishing.publish(post.pk)

    with django_assert_max_num_queries(1 + 2):  # the lock that finds nothing due, in its savepoint
        assert publishing.publish(post.pk) == Outcome.NOT_DUE
