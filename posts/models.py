import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from policy_portal.storage import private_storage

# Who wrote a reposted post, read from its link: x.com/<user>/status/<id>,
# bsky.app/profile/<handle>/post/<id>, <server>/@<user>/<id> (Mastodon), /local/<handle>/#post-<id>.
_REPOSTED_AUTHOR = re.compile(
    r"^/(?:profile/([^/]+)/post|@([^/]+)/\d|local/([^/]+)/?$|(?!i/)([A-Za-z0-9_]{1,15})/status)"
)


def repost_label(url: str) -> str:
    """How lists name a repost: "Repost of @someone" (or "Repost" when the link does not say)."""
    match = _REPOSTED_AUTHOR.match(urlsplit(url).path)
    handle = next((group for group in match.groups() if group), "") if match else ""
    return f"Repost of @{handle}" if handle else "Repost"


class PostStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPROVED = "approved", "Approved"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn by the author"
    TAKEN_DOWN = "taken_down", "Taken down"


# Statuses in which a post is on its way out: consent problems must stop it.
PENDING_STATUSES = (PostStatus.SUBMITTED, PostStatus.APPROVED, PostStatus.SCHEDULED)

# The posts a calendar places at a moment: those that went out, are going out or failed to.
CALENDAR_STATUSES = (
    PostStatus.SCHEDULED,
    PostStatus.APPROVED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.FAILED,
    PostStatus.TAKEN_DOWN,
)

# A post's moment on the calendar: when it was published; before that, when it is due to be; for a
# post sent "now", when publishing began or, before that, when it was approved.
CALENDAR_MOMENT = Coalesce("published_at", "publish_at", "publishing_started_at", "decided_at")


class Post(models.Model):
    """One post for one of the school's accounts, from draft to published (or not).

    The status changes only in posts.services, each transition a conditional UPDATE on the
    expected source status, so two approvers acting at once cannot both win.
    """

    # Not indexed on its own: every index below that serves a school's pages starts with the account.
    account = models.ForeignKey(
        "accounts.SocialAccount", on_delete=models.PROTECT, related_name="posts", db_index=False
    )
    # Indexed with the status below, for a person's own posts.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts", db_index=False)
    text = models.TextField(blank=True)
    quote_url = models.URLField(blank=True, max_length=500)
    # A repost (issue 18): someone's public post shared without comment, on the account's own
    # network. A repost has no text or photos of its own; what it sends out is the reposted post,
    # read into an OutsideContent row of kind "repost" for the checks and the approver.
    repost_url = models.URLField(blank=True, max_length=500)
    publish_at = models.DateTimeField(null=True, blank=True, help_text="Empty: as soon as it is approved.")
    status = models.CharField(max_length=16, choices=PostStatus.choices, default=PostStatus.DRAFT)
    findings = models.JSONField(default=list, blank=True)
    consent_snapshot = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=64, blank=True)
    external_url = models.URLField(blank=True, max_length=500)
    published_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    # Publishing bookkeeping (posts.services.publishing): attempts so far, when the current attempt
    # began (the stuck-post sweeper's clock), when a deferred or failed attempt may run
    # again, and the last transient error, shown while the portal keeps trying.
    publish_attempts = models.PositiveSmallIntegerField(default=0)
    publishing_started_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_publish_error = models.TextField(blank=True)
    taken_down_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One post written for several accounts (issue 17): the post its author wrote and the
    # approver approved, when this row is its copy for another account. The copy is made at
    # approval, with the lead's photos, and from then on publishes, fails, retries and is taken
    # down on its own, with its own link.
    part_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="copies", db_index=True
    )
    # Approval in more than one step (posts.services.chains): the step waiting now (its position
    # in the account's chain), the round (each submission starts one, at step 0), when the post
    # reached this step, and whether its approvers were reminded and the headteacher asked.
    approval_step = models.PositiveSmallIntegerField(default=0)
    approval_round = models.PositiveIntegerField(default=0)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_reminded_at = models.DateTimeField(null=True, blank=True)
    step_escalated_at = models.DateTimeField(null=True, blank=True)
    # From the "New post" form: a second POST of the same form (a double tap) finds this draft.
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # A school's pages read its own posts, so their indexes start with the account (PostgreSQL
        # walks the school's few accounts and reads each one's slice), then the status the page
        # asks for, then the time it orders or bounds by, then the id: a page's ids come from the
        # index alone, without reading thousands of rows to sort them. The two that start with the
        # status serve the work that spans every school: the beat sweep's due and stuck posts,
        # and the approvers' daily digest of waiting posts.
        indexes = [
            models.Index(fields=["status", "publish_at"]),
            models.Index(fields=["status", "submitted_at"]),
            # The queue's "All", newest first: the page's ids are read from this index alone.
            models.Index(fields=["account", "status", "-created_at", "-id"], name="post_account_created"),
            # Waiting posts oldest first (queue, dashboard, navigation), and an author's drafts
            # sent back (a draft with a submission time) or never sent.
            models.Index(fields=["account", "status", "submitted_at", "id"], name="post_account_submitted"),
            # Scheduled posts soonest first, and those on their way or failed.
            models.Index(fields=["account", "status", "publish_at", "id"], name="post_account_publish_at"),
            # Published posts newest first, and those published in the last days.
            models.Index(fields=["account", "status", "published_at", "id"], name="post_account_published"),
            # A person's own posts by what they need next (dashboard, "My posts", the navigation's
            # "sent back"): a busy office account may write thousands.
            models.Index(fields=["author", "status", "-updated_at", "-id"], name="post_author_status"),
            # The month, week and day views: the posts whose moment falls in the period shown.
            models.Index(
                F("account"),
                CALENDAR_MOMENT,
                condition=Q(status__in=CALENDAR_STATUSES),
                name="post_account_calendar_moment",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PostStatus.values), name="post_known_status"),
            models.CheckConstraint(
                condition=~Q(status=PostStatus.PUBLISHED) | ~Q(external_id=""),
                name="post_published_has_external_id",
            ),
            models.CheckConstraint(
                condition=Q(repost_url="") | (Q(text="") & Q(quote_url="")),
                name="post_repost_has_no_words_of_its_own",
            ),
        ]

    def __str__(self) -> str:
        if self.repost_url:
            return f"{self.get_status_display()}: repost of {self.repost_url}"
        preview = self.text[:40] + ("…" if len(self.text) > 40 else "")
        return f"{self.get_status_display()}: {preview or 'photo post'}"

    @property
    def is_repost(self) -> bool:
        return bool(self.repost_url)

    @property
    def repost_label(self) -> str:
        return repost_label(self.repost_url) if self.repost_url else ""


class PostDestination(models.Model):
    """Another account a post goes to besides its own, chosen by its author (issue 17).

    Until approval it is a wish: the checks run on its text for its account and the approver
    sees its preview. Approval makes `copy`, a Post of its own for that account."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="destinations")
    account = models.ForeignKey("accounts.SocialAccount", on_delete=models.PROTECT, related_name="+")
    # Empty: the same words as the post. Otherwise the words for this account (shorter for a
    # network with a lower limit, a mention in that network's form).
    text = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    copy = models.OneToOneField(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="made_for_destination"
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "account"], name="post_destination_once_per_account"),
        ]

    def __str__(self) -> str:
        return f"Post {self.post_id} also to account {self.account_id}"

    @property
    def words(self) -> str:
        """What goes out to this account."""
        return self.text or self.post.text


class PhotoSource(models.TextChoices):
    STAFF = "staff", "Taken by staff"
    PUPILS = "pupils", "Pupils' own work"
    ELSEWHERE = "elsewhere", "From elsewhere"


class PostImage(models.Model):
    """A photo on a post. The original stays private; only the rendition is ever published."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    # The private storage: never linked to, deleted by retention (posts/retention.py).
    original = models.FileField(upload_to="posts/originals/%Y/%m/", storage=private_storage, blank=True)
    rendition = models.FileField(upload_to="posts/renditions/%Y/%m/", blank=True)
    thumbnail = models.FileField(upload_to="posts/thumbnails/%Y/%m/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.TextField(blank=True)
    tagged_pupils = models.ManyToManyField("consent.Pupil", blank=True, related_name="tagged_in")
    # Where it came from (issue 18), recorded by the upload from what the server saw, never
    # from a field the browser sent: the school device whose cookie came with it (none: "not
    # from a school device"), whether that device was enrolled and not removed at that moment,
    # and the camera the file's EXIF named before its metadata was stripped.
    device = models.ForeignKey(
        "accounts.SchoolDevice", null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    from_school_device = models.BooleanField(default=False)
    camera_make = models.CharField(max_length=100, blank=True)
    camera_model = models.CharField(max_length=100, blank=True)
    # Who owns the picture ("no images that infringe copyright"); from elsewhere needs a credit.
    source = models.CharField(max_length=16, choices=PhotoSource.choices, default=PhotoSource.STAFF)
    source_credit = models.CharField("credit", max_length=200, blank=True)
    source_licence = models.CharField("licence", max_length=200, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"Photo {self.position + 1} of post {self.post_id}"

    @property
    def camera(self) -> str:
        """The camera in words, e.g. "Apple iPad (10th generation)": the make once, even when the model repeats it."""
        make, model = self.camera_make.strip(), self.camera_model.strip()
        if make and model.lower().startswith(make.lower()):
            return model
        return " ".join(part for part in (make, model) if part)


class FaceRegion(models.Model):
    """A face on a photo, found by the detector or drawn by the author, and what it is."""

    class Source(models.TextChoices):
        DETECTED = "detected", "Found by the portal"
        DRAWN = "drawn", "Marked by hand"

    class Resolution(models.TextChoices):
        UNRESOLVED = "", "Not resolved yet"
        PUPIL = "pupil", "A tagged pupil"
        NOT_PUPIL = "not_pupil", "Not a pupil"
        REDACTED = "redacted", "Covered up"
        # A box the detector drew on something that is not a face (a helmet, a pattern). The
        # box stays on the photo and the approver sees it marked as dismissed.
        NOT_FACE = "not_face", "Not a face"

    image = models.ForeignKey(PostImage, on_delete=models.CASCADE, related_name="faces")
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    w = models.PositiveIntegerField()
    h = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.DETECTED)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True, default="")
    pupil = models.ForeignKey("consent.Pupil", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(resolution="pupil") & Q(pupil__isnull=False))
                | (~Q(resolution="pupil") & Q(pupil__isnull=True)),
                name="face_pupil_only_when_resolved_as_pupil",
            ),
        ]

    def __str__(self) -> str:
        return f"Face at {self.x},{self.y} ({self.get_resolution_display()})"


class OutsideContent(models.Model):
    """Words a post sends out that nobody typed into the portal: the text of the post it quotes,
    and the preview card a network shows for a link in the text. They are read (through the
    network's adapter, or from the linked page) when the link is added and again at publish, so
    the consent check and the approver see them; `error` says why they could not be read."""

    class Kind(models.TextChoices):
        QUOTE = "quote", "Quoted post"
        LINK_PREVIEW = "link_preview", "Link preview"
        REPOST = "repost", "Reposted post"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="outside_content")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    url = models.URLField(max_length=500)
    author = models.CharField(max_length=200, blank=True, help_text="Who wrote the quoted post, or the linked site.")
    text = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The reposted post's pictures, as [{"url": ..., "alt_text": ...}]: the approver looks at them.
    media = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "kind", "url"], name="outside_content_once_per_post"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.url}"


class PostComment(models.Model):
    """The conversation on a post: comments, change requests, rejection reasons, system notes."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        REJECTION = "rejection", "Rejected"
        SYSTEM = "system", "Portal note"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.COMMENT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on post {self.post_id}"


class TakeDownRequest(models.Model):
    """A published post that consent no longer covers, waiting for the headteacher to act.

    One open request per post (a partial unique constraint); closed requests stay as history.
    """

    class Outcome(models.TextChoices):
        OPEN = "", "Waiting"
        TAKEN_DOWN = "taken_down", "Taken down"
        FAILED = "failed", "Take-down failed"

    post = models.ForeignKey(Post, on_delete=models.PROTECT, related_name="take_down_requests")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_message = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(resolved_at__isnull=True), name="one_open_take_down_per_post"
            )
        ]

    def __str__(self) -> str:
        return f"Take down post {self.post_id}"


class PostRevision(models.Model):
    """One change the author made to a post after first submitting it.

    The reviewer sees what changed since they last looked, and the author sees what they
    changed in answer to a change request. Values are kept as the author saw them (a publish
    time in the school's time zone, a photo by its number and description).
    """

    class What(models.TextChoices):
        TEXT = "text", "Text"
        QUOTE_URL = "quote_url", "Quoted post"
        REPOST_URL = "repost_url", "Reposted post"
        PUBLISH_AT = "publish_at", "Publish time"
        PHOTO_ADDED = "photo_added", "Photo added"
        PHOTO_REMOVED = "photo_removed", "Photo removed"
        ALT_TEXT = "alt_text", "Photo description"
        PHOTO_SOURCE = "photo_source", "Where a photo came from"
        # Another account the post also goes to (issue 17): before/after name the account.
        ALSO_TO_ADDED = "also_to_added", "Another account added"
        ALSO_TO_REMOVED = "also_to_removed", "Another account removed"
        ALSO_TO_TEXT = "also_to_text", "Words for another account"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=16, choices=What.choices)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_what_display()} changed on post {self.post_id}"


class OrphanFile(models.Model):
    """A stored file that no row points at, left by an upload that failed half-way while the
    object store stopped answering (so it could not be deleted then). The tidy task deletes it
    once the store answers again, so nothing half-stored stays behind."""

    class Storage(models.TextChoices):
        DEFAULT = "default", "Shown media"
        PRIVATE = "private", "Private files"

    storage = models.CharField(max_length=16, choices=Storage.choices)
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["storage", "name"], name="orphan_file_unique")]

    def __str__(self) -> str:
        return f"{self.get_storage_display()}: {self.name}"


class StepDecision(models.Model):
    """One decision on one step of a post's approval chain, in one round (posts.services.chains).

    `decided_by` acted; `counts_for` is whose decision it is (the same person, or the absent
    approver they covered for: "X for Y"). One approval per person per step per round."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Asked for changes"
        REJECTED = "rejected", "Rejected"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="step_decisions")
    round = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    counts_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    as_headteacher = models.BooleanField(default=False, help_text="Decided by the headteacher after escalation.")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "step", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "round", "step", "counts_for"],
                condition=Q(outcome="approved"),
                name="step_decision_one_approval_each",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["approved", "changes_requested", "rejected"]),
                name="step_decision_known_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at step {self.step + 1}, round {self.round}, post {self.post_id}"

    @property
    def covering(self) -> bool:
        return self.decided_by_id != self.counts_for_id
