"""What happens to posts when consent narrows (a withdrawal, a refusal, never-publish, a
pupil leaving): posts on their way out are stopped at once and go back to their authors;
published posts that consent no longer covers become take-down requests for the
headteacher, who is emailed."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import Membership, Role
from audit.services import record
from consent.checks import PostContent, Stage, check_post_consent
from consent.models import Pupil

from .models import PENDING_STATUSES, Post, PostStatus, TakeDownRequest
from .selectors import consent_content, with_content
from .services.destination_checks import destinations_check
from .services.review import post_stop_for_consent


def posts_showing_or_naming(*, school_id: int, pupil_ids: list[int]):
    """Pending and published posts of the school that tag, resolve a face to, or may name these pupils."""
    pupils = list(Pupil.objects.filter(pk__in=pupil_ids, school_id=school_id).only("first_name", "preferred_name"))
    named = Q()
    for pupil in pupils:
        for name in filter(None, (pupil.first_name, pupil.preferred_name)):
            # A post on its way to several accounts may name the pupil in one account's words only.
            named |= Q(text__icontains=name) | Q(status__in=PENDING_STATUSES, destinations__text__icontains=name)
    shows = Q(images__tagged_pupils__in=pupil_ids) | Q(images__faces__pupil__in=pupil_ids)
    return with_content(
        Post.objects.filter(account__school_id=school_id, status__in=[*PENDING_STATUSES, PostStatus.PUBLISHED])
        .filter(shows | named)
        .select_related("account")
        .distinct()
    )


def react_to_narrowed_consent(*, school_id: int, pupil_ids: list[int], reason: str) -> dict[str, int]:
    """Re-check every post that may be affected, with the same check publishing uses."""
    stopped = requested = 0
    for post in posts_showing_or_naming(school_id=school_id, pupil_ids=pupil_ids):
        check = check_post_consent(consent_content(post), stage=Stage.PUBLISH)
        problems = list(check.problems)
        if post.status != PostStatus.PUBLISHED:
            # Not approved yet, or approved with its copies already made (each copy is a post of
            # its own, checked on its own): the words for each other account are checked too.
            for report in destinations_check(post, stage=Stage.PUBLISH).reports:
                problems += report.consent.problems if report.consent is not None else ()
        affected = [p for p in problems if p.severity == "block" and p.pupil_id in pupil_ids]
        if not affected:
            continue
        if post.status == PostStatus.PUBLISHED:
            requested += _request_take_down(post=post, reason=reason)
        elif post_stop_for_consent(
            post=post, reason=f"{reason} {affected[0].message} Change the post, then submit it again."
        ):
            stopped += 1
    return {"stopped": stopped, "take_down_requested": requested}


def _request_take_down(*, post: Post, reason: str) -> int:
    if TakeDownRequest.objects.filter(post=post, resolved_at__isnull=True).exists():
        return 0
    request = TakeDownRequest.objects.create(post=post, reason=reason)
    record(action="post.take_down_requested", school=post.account.school, target=post, data={"reason": reason})
    transaction.on_commit(lambda: _email_headteachers(request))
    return 1


def _email_headteachers(request: TakeDownRequest) -> None:
    school = request.post.account.school
    heads = Membership.objects.filter(school=school, is_active=True, role_assignments__role=Role.HEADTEACHER)
    recipients = sorted({m.user.email for m in heads.select_related("user")})
    if not recipients:
        return
    send_mail(
        subject=f"A published post needs taking down ({school})",
        message=(
            f"{request.reason}\n\nThe post on {request.post.account} is still public. Open the take-down list "
            f"to remove it:\n{settings.SITE_URL}{reverse('take_down_list')}\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )


def recheck_after_publish(post: Post, content: PostContent | None = None) -> bool:
    """For the publishing task, after it has recorded a post as published: consent withdrawn
    while the network call was under way could not stop the post (it was already claimed), so
    check again now and, if consent no longer covers it, ask for a take-down at once.

    `content` is what the publisher checked before sending. Nobody can change a post's words,
    photos or tags once it is past approval, so only consent itself (the register and the
    consent records, which the check always reads afresh) can have moved: the post's content
    is not read again."""
    if content is None:
        post = with_content(Post.objects.filter(pk=post.pk)).select_related("account").get()
        content = consent_content(post)
    check = check_post_consent(content, stage=Stage.PUBLISH)
    blocks = [p for p in check.problems if p.severity == "block"]
    if not blocks:
        return False
    reason = f"Consent changed while the post was being published: {blocks[0].message}"
    return bool(_request_take_down(post=post, reason=reason))
