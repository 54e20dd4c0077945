"""What a post must pass before it moves on: its own content (something to say, within X's length,
every photo described), the school's rules (the rules engine) and the consent check. Shared by
compose, review, trip mode and the publisher."""

from dataclasses import dataclass

from accounts.models import SocialAccount
from consent.checks import ConsentCheck, Stage, check_post_consent
from moderation.engine import check_text
from networks.x.tweet_text import TWITTER_TEXT_V3, is_valid_length, weighted_length

from ..models import (
    Post,
)
from ..outside import outside_words, post_read_outside_content, reposted_content
from ..selectors import consent_content, with_content


class PostBlocked(Exception):
    """The checks refuse the post. `.problems` lists why, each with a message for the author."""

    def __init__(self, message: str, problems):
        super().__init__(message)
        self.problems = problems


def consent_check(post: Post, stage: Stage) -> ConsentCheck:
    # A quote or link never read (a post made by a script, or before links were read) is read
    # now: the check must see every word the post sends out. The compose page and "Send for
    # approval" have read them already, so this makes no network call on their way.
    post_read_outside_content(post=post, missing_only=True)
    post = with_content(Post.objects.filter(pk=post.pk)).select_related("account").get()
    return check_post_consent(consent_content(post), stage=stage)


def refuse_if_blocked(check: ConsentCheck) -> None:
    if not check.allowed:
        blocks = [p for p in check.problems if p.severity == "block"]
        raise PostBlocked(" ".join(p.message for p in blocks), blocks)


POST_LENGTH_LIMIT = TWITTER_TEXT_V3.max_weighted_length
EMPTY_POST = "Write something or add a photo."


@dataclass(frozen=True)
class ContentProblem:
    """Something in the post itself that stops it being submitted. Shaped like a consent
    problem (`.message`, `.severity`), so PostBlocked carries both kinds alike."""

    code: str
    message: str
    severity: str = "block"


def post_length_problem(text: str) -> str | None:
    """Why X would refuse this text as a post's text, or None. Empty text is the caller's question."""
    length = weighted_length(text)
    if length > POST_LENGTH_LIMIT:
        over = length - POST_LENGTH_LIMIT
        return (
            f"Your post is {length} characters long and the limit is {POST_LENGTH_LIMIT}. "
            f"Take out {over} character{'s' if over != 1 else ''}."
        )
    if text and not is_valid_length(text):
        return "Your text contains an invisible character that X does not accept. Retype the text, or paste it again."
    return None


REPOST_WITH_PHOTOS = "A repost shares someone else's post as it is: remove the photos, or write a post of your own."
REPOST_WITH_WORDS = "A repost shares someone else's post without comment: to add words, quote the post instead."


def post_content_problems(post: Post) -> list[ContentProblem]:
    """What must change before the post can be submitted: it says nothing, it is too long, or a
    photo has no description. A repost has no words or photos of its own."""
    photos = list(post.images.all())
    problems = []
    if post.repost_url:
        if photos:
            problems.append(ContentProblem("repost_photos", REPOST_WITH_PHOTOS))
        if post.text.strip() or post.quote_url:
            problems.append(ContentProblem("repost_words", REPOST_WITH_WORDS))
        return problems
    if not post.text.strip() and not photos:
        problems.append(ContentProblem("empty", EMPTY_POST))
    too_long = post_length_problem(post.text)
    if too_long:
        problems.append(ContentProblem("length", too_long))
    for number, photo in enumerate(photos, start=1):
        if not photo.alt_text.strip():
            problems.append(ContentProblem("alt_text", f"Describe photo {number} for people who cannot see it."))
    if photos:
        # Where the photos came from (posts.services.provenance): only what stops the post here.
        from .provenance import photo_provenance_problems

        problems += [p for p in photo_provenance_problems(post) if p.severity == "block"]
    return problems


@dataclass(frozen=True)
class RulesInput:
    """What the school's rules read for a post: its own words, or for a repost the reposted post's
    words and picture descriptions (the words the school sends out under its name)."""

    text: str
    has_images: bool
    is_repost: bool = False


def rules_input(post: Post, *, has_images: bool | None = None) -> RulesInput:
    """`has_images`: whether the post has photos of its own, when the caller knows (no query)."""
    if not post.repost_url:
        return RulesInput(text=post.text, has_images=post.images.exists() if has_images is None else has_images)
    row = reposted_content(post)
    if row is None:
        return RulesInput(text="", has_images=False, is_repost=True)
    return RulesInput(text=outside_words(row), has_images=bool(row.media), is_repost=True)


# A repost sends out a post the network already has, as it is: how long its words are is not the
# school's to change (and the author's handle and picture descriptions read with them would count).
_NOT_FOR_REPOSTS = {"length"}


def post_rules_findings(post: Post, *, has_images: bool | None = None) -> list | None:
    """The school's rules' findings about what the post sends out under the school's name."""
    words = rules_input(post, has_images=has_images)
    findings = rules_findings(text=words.text, account=post.account, has_images=words.has_images)
    if findings is None or not words.is_repost:
        return findings
    return [finding for finding in findings if finding.rule not in _NOT_FOR_REPOSTS]


def rules_findings(
    *, text: str, school=None, account: SocialAccount | None = None, has_images: bool = False
) -> list | None:
    """The school's rules' findings about the text (for `account` when given)."""
    return check_text(text, school=school or account.school, account=account, has_images=has_images)
