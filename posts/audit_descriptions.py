"""What the posts app's audit entries say, and where posts and photos live (see audit.describe).

A post is named by whose it is and how it starts: "Year 3's post ‘Our rocket day’".
"""

from django.urls import reverse

from accounts.permissions import may_approve_for
from audit.describe import Ref, count, day, kinds, label_of, moment, pks, register_target, words

from .models import FaceRegion, PhotoSource, Post, PostImage, PostRevision

_PREVIEW_CHARS = 40


def post_label(post: Post) -> str:
    text = " ".join(post.text.split())
    if len(text) > _PREVIEW_CHARS:
        text = text[:_PREVIEW_CHARS].rsplit(" ", 1)[0].rstrip(",.;:!?") + "…"
    class_group = post.account.class_group
    whose = f"{class_group.name}'s" if class_group is not None else "the whole-school account's"
    return f"{whose} post ‘{text}’" if text else f"{whose} photo post"


def _may_open(viewer, post: Post) -> bool:
    """The review page is the approvers'; the photo page is theirs and the author's."""
    return may_approve_for(viewer, post.account)


_POST_FIELDS = ("id", "text", "author", "account__school", "account__handle", "account__class_group__name")


def _posts(ids, *, school, viewer) -> dict[str, Ref]:
    found = (
        Post.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account__class_group")
        .only(*_POST_FIELDS)
    )
    return {
        str(post.pk): Ref(post_label(post), reverse("review_post", args=[post.pk]) if _may_open(viewer, post) else "")
        for post in found
    }


def _photos(ids, *, school, viewer) -> dict[str, Ref]:
    found = (
        PostImage.objects.filter(post__account__school=school, pk__in=pks(ids))
        .select_related("post__account__class_group")
        .only("id", "position", *(f"post__{name}" for name in _POST_FIELDS))
    )
    refs = {}
    for image in found:
        post = image.post
        may_open = _may_open(viewer, post) or (viewer is not None and post.author_id == viewer.user_id)
        url = reverse("post_photo", args=[post.pk, image.pk]) if may_open else ""
        refs[str(image.pk)] = Ref(f"photo {image.position + 1} of {post_label(post)}", url)
    return refs


register_target("posts.post", _posts, gone="a post")
register_target("posts.postimage", _photos, gone="a photo since removed from its post")


def _approved(data: dict) -> str:
    said = "{who} approved {target} to go out at {when}" if data.get("publish_at") else "{who} approved {target}"
    if data.get("repost_pictures_confirmed"):
        said += ", having looked at the pictures of the post it reposts"
    return said


def _trip_withheld(data: dict) -> str:
    if data.get("repost_pictures"):
        return "{who} wrote {target} in trip mode, but the post it reposts has pictures, so it went to the approvers"
    return "{who} wrote {target} in trip mode, but the portal could not read a link in it, so it went to the approvers"


def _published(data: dict) -> str:
    if data.get("reconciled"):
        return "{who} found {target} already on the network after an unclear answer, and recorded it as published"
    return "{who} published {target}"


def _photo_added(data: dict) -> str:
    where = " from {device}" if data.get("device") else " not from a school device" if "device" in data else ""
    faces = "; the portal found {faces} on it" if data.get("faces_found") else ""
    return "{who} added a photo to {target}" + where + faces


def _face_resolved(data: dict) -> str:
    return {
        FaceRegion.Resolution.PUPIL: "{who} said a face on {target} is {pupil}",
        FaceRegion.Resolution.NOT_PUPIL: "{who} said a face on {target} is not a pupil",
        FaceRegion.Resolution.REDACTED: "{who} covered a face on {target}",
        FaceRegion.Resolution.NOT_FACE: "{who} said a box on {target} is not a face",
        FaceRegion.Resolution.UNRESOLVED: "{who} cleared what a face on {target} was marked as",
    }[data["resolution"]]


posts = kinds("posts")
posts.add("post.created", "Post started", "{who} started writing {target}")
posts.add(
    "post.edited",
    "Post edited",
    "{who} edited {target}: {changed}",
    values=lambda data: {"changed": words(label_of(PostRevision.What, what) for what in data["changed"])},
)
posts.add(
    "post.photo_added",
    "Photo added",
    _photo_added,
    values=lambda data: {"faces": count(data.get("faces_found"), "face"), "device": data.get("device", "")},
)
posts.add(
    "post.destinations_changed",
    "Other accounts changed",
    "{who} changed the other accounts {target} goes to: {accounts}",
    values=lambda data: {"accounts": words(data.get("accounts") or [], empty="no other account")},
)
posts.add("post.photo_removed", "Photo removed", "{who} removed a photo from {target}")
posts.add(
    "post.photo_source_changed",
    "Photo source changed",
    "{who} said where a photo on {target} came from: {source}",
    values=lambda data: {
        "source": label_of(PhotoSource, data["source"]) + (f" (credit {data['credit']})" if data.get("credit") else "")
    },
)
posts.add("post.alt_text_changed", "Photo description changed", "{who} changed a photo's description on {target}")
posts.add("post.submitted", "Post sent for approval", "{who} sent {target} for approval")
posts.add("post.withdrawn", "Post withdrawn", "{who} withdrew {target}")
posts.add(
    "post.reopened",
    "Post back to draft after a change",
    "{who} changed {target} while it was waiting for approval, so it became a draft again",
)
posts.add("post.approved", "Post approved", _approved, values=lambda data: {"when": moment(data.get("publish_at"))})
posts.add(
    "post.approved_on_trip",
    "Post approved in trip mode",
    lambda data: (
        "{who} sent out {target} in trip mode, without waiting for an approver"
        + (", skipping the account's {skipped} approval steps" if data.get("approval_steps_skipped") else "")
    ),
    values=lambda data: {"skipped": data.get("approval_steps_skipped")},
)


def _step_approved(data: dict) -> str:
    sentence = "{who} approved step {step} of {steps} of {target}"
    if "for" in data:
        sentence += " for {absent}, who is away"
    if data.get("as_headteacher"):
        sentence += " as headteacher, as it had waited too long or nobody else could decide it"
    if data.get("completes_chain"):
        return sentence + ", its last step"
    if "advanced_to" in data:
        return sentence + ": it moves on to step {advanced_to}"
    return sentence + ": the step waits for its other approvers"


def _step_values(data: dict) -> dict:
    return {"step": data.get("step"), "steps": data.get("steps"), "advanced_to": data.get("advanced_to")}


posts.add(
    "post.step_approved",
    "Approval step approved",
    _step_approved,
    refs={"absent": ("accounts.user", "for")},
    values=_step_values,
)
posts.add(
    "post.step_reminded",
    "Approvers reminded of a waiting post",
    "{who} reminded the approvers of step {step} of {target}, which had waited too long",
    values=_step_values,
)
posts.add(
    "post.step_escalated",
    "Waiting post passed to the headteacher",
    lambda data: (
        "{who} asked the headteacher to decide step {step} of {target}, "
        + ("which nobody but its author could decide" if data.get("nobody_else") else "which had waited too long")
    ),
    values=_step_values,
)
posts.add(
    "post.approval_restarted",
    "Approval started again after the steps changed",
    "{who} changed the account's approval steps, so {target} starts again at step 1",
)
posts.add(
    "post.trip_approval_withheld",
    "Trip-mode post sent to the approvers",
    _trip_withheld,
)


def _at_step(sentence: str):
    def said(data: dict) -> str:
        if not data or "step" not in data:
            return sentence
        return sentence + " at step {step} of {steps}" + (" for {absent}, who is away" if "for" in data else "")

    return said


posts.add(
    "post.changes_requested",
    "Changes asked for",
    _at_step("{who} asked for changes to {target}"),
    refs={"absent": ("accounts.user", "for")},
    values=_step_values,
)
posts.add(
    "post.rejected",
    "Post rejected",
    _at_step("{who} rejected {target}"),
    refs={"absent": ("accounts.user", "for")},
    values=_step_values,
)
posts.add("post.commented", "Comment added", "{who} commented on {target}")
posts.add(
    "post.stopped_for_consent",
    "Post stopped: consent changed",
    "{who} sent {target} back to its author because a pupil's consent changed",
)
posts.add(
    "post.outside_content_changed",
    "Linked page changed after approval",
    "{who} found that a linked page or quoted post in {target} had changed since approval, and checked it again",
)
posts.add(
    "post.stopped_at_publish",
    "Post stopped before publishing",
    "{who} stopped {target} just before publishing, because the checks found a problem, and sent it back to its author",
)
posts.add("post.published", "Post published", _published)
posts.add(
    "post.publish_retry",
    "Publishing to be tried again",
    "{who} could not publish {target} on attempt {attempt} and will try again at {retry_at} ({error})",
    values=lambda data: {"attempt": data["attempt"], "retry_at": moment(data["retry_at"]), "error": data["error"]},
)
posts.add(
    "post.publish_failed",
    "Publishing failed",
    "{who} could not publish {target}: {reason}",
    values=lambda data: {"reason": data["reason"]},
)
posts.add("post.publish_retried", "Publishing tried again", "{who} pressed “Try again” to publish {target}")
posts.add(
    "post.take_down_requested",
    "Take-down asked for",
    "{who} asked for {target} to be taken down, because a pupil's consent changed after it was published",
)
posts.add(
    "post.take_down_failed",
    "Take-down refused by the network",
    "{who} tried to take down {target}, but the network refused: {error}",
    values=lambda data: {"error": data["error"]},
)
posts.add("post.taken_down", "Post taken down", "{who} took down {target}")
posts.add(
    "post.copy_made",
    "Copy made for another account",
    "{who} approved {target} as the copy of {lead} for another of the school's accounts",
    refs={"lead": ("posts.post", "part_of")},
)
posts.add(
    "post.copies_made",
    "Copies made for other accounts",
    "{who} approved {target} for {accounts} besides its own",
    values=lambda data: {"accounts": count(len(data["copies"]), "other account")},
)
posts.add(
    "post.partly_published",
    "Published on some accounts only",
    "{who} published {target} on {published} but not on {not_published}, and told the approvers",
    values=lambda data: {
        "published": count(len(data["published"]), "account"),
        "not_published": count(len(data["not_published"]), "account"),
    },
)
posts.add(
    "post.taken_down_everywhere",
    "Post taken down everywhere",
    "{who} took down {target} from every account it was on{refused}",
    values=lambda data: {
        "refused": f"; still up on {words(f['account'] for f in data['failed'])}" if data.get("failed") else ""
    },
)
posts.add(
    "post.original_photo_cleaned",
    "Original photo cleaned",
    "{who} removed the position, serial numbers and names kept in the original of a photo on {target}",
)
posts.add(
    "post.original_photo_deleted",
    "Original photo deleted",
    "{who} deleted the original of a photo on {target}, which the school keeps for {days}",
    values=lambda data: {"days": count(data["retention_days"], "day")},
)

photos = kinds("posts")
photos.add("photo.face_added", "Face marked by hand", "{who} marked a face the portal had missed on {target}")
photos.add("photo.face_deleted", "Face box removed", "{who} removed a face box they had drawn on {target}")
photos.add(
    "photo.face_resolved",
    "Face identified",
    _face_resolved,
    refs={"pupil": ("consent.pupil", "pupil_id")},
)
photos.add("photo.face_dismissed", "Box marked “not a face”", "{who} said a box on {target} is not a face")
photos.add(
    "photo.tagged",
    "Pupil tagged in a photo",
    "{who} tagged {pupil} in {target}",
    refs={"pupil": ("consent.pupil", "pupil_id")},
)
photos.add(
    "photo.untagged",
    "Pupil's tag removed from a photo",
    "{who} removed {pupil}'s tag from {target}",
    refs={"pupil": ("consent.pupil", "pupil_id")},
)

trips = kinds("posts")
trips.add(
    "delegation.created",
    "Trip mode started",
    "{who} lent {account} to {delegate} in trip mode, from {starts_on} to {ends_on}",
    refs={"account": ("accounts.socialaccount", "account_id"), "delegate": ("accounts.user", "delegate_id")},
    values=lambda data: {"starts_on": day(data["starts_on"]), "ends_on": day(data["ends_on"])},
)
trips.add(
    "delegation.revoked",
    "Trip mode ended",
    "{who} ended trip mode for {delegate} on {account}",
    refs={"account": ("accounts.socialaccount", "account_id"), "delegate": ("accounts.user", "delegate_id")},
)
