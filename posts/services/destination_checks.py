"""The checks a post's other accounts must pass (issue 17, "One post to several accounts").

A post goes to its own account and to each of its `PostDestination`s, each with its own words
(`destination.words`) and its own network's rules: length and photo limits differ, a class
account reads pupils' first names differently from the whole-school account, and a pupil's
name may be in one destination's words only. So everything the lead's words are checked for,
each destination's words are checked for too, with its account: whether its author may still
post there, the school's rules (the rules engine, which counts length as that network does)
and the consent check. Every message names the account and says where to put it right.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from accounts.models import Membership, SocialAccount
from accounts.permissions import may_draft_for
from consent.checks import ConsentCheck, ConsentProblem, Stage, check_post_consent
from moderation.engine import Finding
from moderation.rules import FindingCode
from networks import text as network_text
from networks.base import Capabilities
from networks.limits import capabilities_for

from ..models import Post, PostDestination
from ..selectors import consent_content, with_content
from .checks import PostBlocked, rules_findings

BLOCK = "block"


def account_label(account: SocialAccount) -> str:
    """How a message names an account: "@alpha.bsky.social (Bluesky)"."""
    network = "the local network" if account.network == "local" else account.get_network_display()
    return f"@{account.handle} ({network})"


@dataclass(frozen=True)
class DestinationProblem:
    """Something about one destination: shaped like the lead's problems (`.message`,
    `.severity`), so PostBlocked carries every kind alike, plus the account it is about."""

    code: str
    message: str
    severity: str
    account_id: int


@dataclass
class DestinationReport:
    """What the checks found for one destination."""

    destination: PostDestination
    findings: list[Finding] = field(default_factory=list)
    consent: ConsentCheck | None = None
    problems: list[DestinationProblem] = field(default_factory=list)

    @property
    def account(self) -> SocialAccount:
        return self.destination.account

    @property
    def label(self) -> str:
        return account_label(self.destination.account)

    @property
    def blocks(self) -> list[DestinationProblem]:
        return [problem for problem in self.problems if problem.severity == BLOCK]

    @property
    def warnings(self) -> list[DestinationProblem]:
        return [problem for problem in self.problems if problem.severity != BLOCK]

    @property
    def refused(self) -> bool:
        """The destination itself cannot be posted to (not its words): no copy can be made."""
        return any(problem.code.startswith("destination:") for problem in self.problems)

    def findings_as_stored(self) -> list[dict]:
        return [
            {
                "rule": finding.rule,
                "severity": finding.severity,
                "message": finding.message,
                "start": finding.start,
                "end": finding.end,
            }
            for finding in self.findings
        ]


@dataclass
class DestinationsCheck:
    reports: list[DestinationReport]

    @property
    def blocks(self) -> list[DestinationProblem]:
        return [problem for report in self.reports for problem in report.blocks]

    @property
    def allowed(self) -> bool:
        return not self.blocks

    def for_destination(self, destination_id: int) -> DestinationReport | None:
        return next((r for r in self.reports if r.destination.pk == destination_id), None)


def author_membership(post: Post) -> Membership | None:
    """The author's membership at the post's school, as the permission checks read it."""
    return (
        Membership.objects.filter(user_id=post.author_id, school_id=post.account.school_id)
        .prefetch_related("role_assignments", "class_groups")
        .first()
    )


def post_destinations(post: Post) -> list[PostDestination]:
    return list(
        PostDestination.objects.filter(post=post).select_related("account__school", "account__class_group", "post")
    )


def destinations_check(
    post: Post,
    *,
    stage: Stage,
    author: Membership | None = None,
    lead_check: ConsentCheck | None = None,
    destinations: list[PostDestination] | None = None,
) -> DestinationsCheck:
    """Check every destination of `post` (none: an empty, allowed check, in one query).

    `author`: the author's membership (read when not given). `lead_check`: the consent check
    of the post's own words, so a problem the lead already reports (a photo every destination
    shares) is not repeated once per destination."""
    destinations = post_destinations(post) if destinations is None else destinations
    if not destinations:
        return DestinationsCheck(reports=[])
    if author is None or author.user_id != post.author_id:
        author = author_membership(post)
    content_post = with_content(Post.objects.filter(pk=post.pk)).select_related("account").get()
    base = consent_content(content_post)
    has_images = bool(base.photos)
    already_said = {problem.message for problem in lead_check.problems} if lead_check is not None else set()
    reports = []
    for destination in destinations:
        destination.post = content_post
        reports.append(
            _check_one(
                destination, stage=stage, author=author, base=base, has_images=has_images, already_said=already_said
            )
        )
    return DestinationsCheck(reports=reports)


def _check_one(destination, *, stage, author, base, has_images, already_said) -> DestinationReport:
    report = DestinationReport(destination=destination)
    account = destination.account
    label = account_label(account)
    post = destination.post

    def add(code: str, message: str, severity: str = BLOCK) -> None:
        report.problems.append(DestinationProblem(code, message, severity, account.pk))

    if account.school_id != post.account.school_id:
        add("destination:other_school", f"{label} belongs to another school. Remove it from this post's accounts.")
        return report
    if account.pk == post.account_id:
        add(
            "destination:same_account",
            f"{label} is already this post's own account. Remove it from the other accounts.",
        )
        return report
    if account.status == SocialAccount.Status.DISABLED:
        add(
            "destination:disabled",
            f"{label} has been disabled, so nothing can be posted to it. Remove it from this post's accounts.",
        )
    if not may_draft_for(author, account):
        add(
            "destination:not_allowed",
            f"{post.author} no longer posts for {label}. Remove it from this post's accounts, or ask the "
            "headteacher to give them that account again.",
        )
    words = destination.words
    fix = f"You can change the words for {label} alone in its own box on the post."
    if not words.strip() and not has_images:
        add("empty", f"Nothing would go out to {label}: write something for it or add a photo.")
    capabilities = _capabilities(account)
    length = network_text.length_of(words, capabilities)
    too_long = length > capabilities.max_length
    if too_long:
        limit, unit = capabilities.max_length, network_text.unit(capabilities.length_rule)
        add("length", f"Too long for {label}: {length} of {limit} {unit}. Take out {length - limit}. {fix}")
    elif too_big := network_text.bytes_message(words, capabilities):
        too_long = True  # the engine's finding says the same: shown once
        add("length", f"Too big for {label}. {too_big} {fix}")
    most = capabilities.max_images
    if len(base.photos) > most:
        add(
            "photos",
            f"{label} takes at most {most} photo{'s' if most != 1 else ''} and this post has {len(base.photos)}. "
            f"Remove a photo, or remove {label} from this post's accounts.",
        )
    report.findings = list(rules_findings(text=words, account=account, has_images=has_images) or [])
    for finding in report.findings:
        if too_long and finding.code == FindingCode.TOO_LONG:
            continue  # said above, with the network's own limit
        add(f"rule:{finding.rule}", f"For {label}: {finding.message} {fix}", finding.severity)
    content = dataclasses.replace(base, account=account, text=words)
    report.consent = check_post_consent(content, stage=stage)
    for problem in report.consent.problems:
        if problem.message in already_said:
            continue
        add(f"consent:{problem.code}", _consent_message(problem, label, fix), problem.severity)
    return report


def _consent_message(problem: ConsentProblem, label: str, fix: str) -> str:
    if problem.photo:  # about a photo every account shares: fixed on the photo, not in the words
        return f"For {label}: {problem.message}"
    return f"For {label}: {problem.message} {fix}"


def _capabilities(account: SocialAccount) -> Capabilities:
    """The account's network limits: its adapter's, or the published ones where the adapter is not
    installed (the publisher then refuses the copy with its own reason)."""
    return capabilities_for(account)


def refuse_if_blocked(lead_problems: list, check: DestinationsCheck) -> None:
    """Raise PostBlocked with every blocking problem, the lead's first, then each destination's."""
    problems = [*lead_problems, *check.blocks]
    if problems:
        raise PostBlocked(" ".join(problem.message for problem in problems), problems)
