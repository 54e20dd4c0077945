"""One post, several accounts (issue 17): the copies approval makes, and what the approvers are
told once every account has had its turn.

A post written for several accounts is approved once. In the same transaction as the approval
(after its conditional UPDATE, so two approvers clicking at once make the copies once), each
destination gets a copy: a Post of its own for that account, `part_of` the post, with the
destination's words, the post's photos (the same stored files, with their descriptions, tags
and faces) and what it sends out besides its words. From then on each copy publishes, fails,
retries and is taken down on its own, through the same machinery as any post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from audit.models import AuditEvent
from audit.services import record

from .. import notifications
from ..models import FaceRegion, OutsideContent, Post, PostDestination, PostImage, PostStatus
from ..selectors import with_content
from .destination_checks import DestinationsCheck, account_label

# A copy in one of these has gone out, is going, or failed and may be tried again: approving the
# post again (it was stopped and resubmitted) must not send that account a second one.
_COPY_IN_PLAY = (
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.FAILED,
)
# Where a post stands once its publishing has run its course.
SETTLED = (PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.DRAFT, PostStatus.TAKEN_DOWN)
PARTLY_PUBLISHED = "post.partly_published"


def make_copies(
    *,
    post: Post,
    actor: Membership,
    destinations: DestinationsCheck,
    moment: datetime,
    when: datetime | None,
) -> list[Post]:
    """Inside the approval's transaction, once `post` has been claimed: one copy per destination
    (none for a destination whose copy is already in play), returned for the caller to hand to
    the publisher like the post itself."""
    reports = [
        report
        for report in destinations.reports
        if report.destination.copy_id is None
        or not PostDestination.objects.filter(pk=report.destination.pk, copy__status__in=_COPY_IN_PLAY).exists()
    ]
    if not reports:
        return []
    lead = with_content(Post.objects.filter(pk=post.pk)).select_related("account__school").get()
    made = []
    for report in reports:
        destination = report.destination
        copy = Post(
            account=destination.account,
            author_id=lead.author_id,
            part_of=lead,
            text=destination.words,
            quote_url=lead.quote_url,
            publish_at=when,
            status=lead.status,
            findings=report.findings_as_stored(),
            # What consent allowed for this account's words, as checked at this approval.
            consent_snapshot=report.consent.snapshot if report.consent is not None else lead.consent_snapshot,
            submitted_at=lead.submitted_at,
            decided_by=actor.user,
            decided_at=moment,
        )
        copy.full_clean(exclude=["account", "part_of", "author", "decided_by"], validate_unique=False)
        copy.save()
        _copy_content(lead, copy)
        PostDestination.objects.filter(pk=destination.pk).update(copy=copy)
        destination.copy = copy
        record(
            action="post.copy_made",
            actor=actor.user,
            school=lead.account.school,
            target=copy,
            data={"part_of": lead.pk, "account_id": destination.account_id},
        )
        made.append(copy)
    record(
        action="post.copies_made",
        actor=actor.user,
        school=lead.account.school,
        target=lead,
        data={"copies": [{"post_id": copy.pk, "account_id": copy.account_id} for copy in made]},
    )
    return made


def _copy_content(lead: Post, copy: Post) -> None:
    """The lead's photos (same stored files) with their descriptions, tags and faces, and its
    outside content: a handful of INSERTs whatever the number of photos."""
    images = list(lead.images.all())
    copies = PostImage.objects.bulk_create(
        PostImage(
            post=copy,
            position=image.position,
            original=image.original.name,
            rendition=image.rendition.name,
            thumbnail=image.thumbnail.name,
            width=image.width,
            height=image.height,
            alt_text=image.alt_text,
            device_id=image.device_id,
            from_school_device=image.from_school_device,
            camera_make=image.camera_make,
            camera_model=image.camera_model,
            source=image.source,
            source_credit=image.source_credit,
            source_licence=image.source_licence,
        )
        for image in images
    )
    Tag = PostImage.tagged_pupils.through
    Tag.objects.bulk_create(
        Tag(postimage_id=new.pk, pupil_id=pupil.pk)
        for image, new in zip(images, copies, strict=True)
        for pupil in image.tagged_pupils.all()
    )
    FaceRegion.objects.bulk_create(
        FaceRegion(
            image_id=new.pk,
            x=face.x,
            y=face.y,
            w=face.w,
            h=face.h,
            source=face.source,
            resolution=face.resolution,
            pupil_id=face.pupil_id,
        )
        for image, new in zip(images, copies, strict=True)
        for face in image.faces.all()
    )
    OutsideContent.objects.bulk_create(
        OutsideContent(
            post=copy,
            kind=row.kind,
            url=row.url,
            author=row.author,
            text=row.text,
            read_at=row.read_at,
            error=row.error,
        )
        for row in lead.outside_content.all()
    )


# --- Once every account has had its turn -------------------------------------------------------


@dataclass(frozen=True)
class DestinationOutcome:
    """Where one account's post stands, as the lead's page and the approvers' email say it."""

    post: Post
    label: str  # "@alpha.bsky.social (Bluesky)"

    @property
    def published(self) -> bool:
        return self.post.status in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN)

    @property
    def reason(self) -> str:
        if self.post.status == PostStatus.FAILED:
            return self.post.failure_reason or "The network did not say why."
        if self.post.status == PostStatus.DRAFT:
            return "The checks stopped it before publishing, and it went back to its author."
        return ""


def group_outcomes(lead: Post) -> list[DestinationOutcome]:
    """The lead and its copies (one query), the lead first, each with its account."""
    posts = Post.objects.filter(pk=lead.pk) | Post.objects.filter(part_of_id=lead.pk)
    rows = sorted(posts.select_related("account"), key=lambda p: (p.part_of_id is not None, p.pk))
    return [DestinationOutcome(post=p, label=account_label(p.account)) for p in rows]


def tell_if_partly_published(post: Post) -> bool:
    """After a post or one of its copies has published, failed or been stopped: once all of them
    have, if some went out and others did not, the approvers hear which, in one email (and the
    lead's page says so). Returns whether they were told now.

    Told once per post: the lead's row is locked while deciding, and the audit entry is the mark."""
    lead_id = post.part_of_id or post.pk
    with transaction.atomic():
        lead = Post.objects.select_for_update().select_related("account__school").filter(pk=lead_id).first()
        if lead is None:
            return False
        outcomes = group_outcomes(lead)
        if len(outcomes) < 2 or any(outcome.post.status not in SETTLED for outcome in outcomes):
            return False
        went_out = [outcome for outcome in outcomes if outcome.published]
        did_not = [outcome for outcome in outcomes if not outcome.published]
        if not went_out or not did_not:
            return False
        if AuditEvent.objects.filter(action=PARTLY_PUBLISHED, target_id=str(lead.pk)).exists():
            return False
        record(
            action=PARTLY_PUBLISHED,
            school=lead.account.school,
            target=lead,
            data={
                "published": [{"post_id": o.post.pk, "url": o.post.external_url} for o in went_out],
                "not_published": [{"post_id": o.post.pk, "reason": o.reason} for o in did_not],
                "at": timezone.now().isoformat(),
            },
        )
        notifications.notify_partly_published(lead, went_out=went_out, did_not=did_not)
    return True
