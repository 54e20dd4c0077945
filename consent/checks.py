"""The consent check a post must pass to be submitted, approved and published.

One function, `check_post_consent`, used unchanged at every stage: publishing re-runs it, so
consent withdrawn after approval still stops the post. It takes a plain description of what
a post carries (its account, text and photos with their tags and faces) rather than a post,
so it does not depend on how posts are stored.

The database work is two queries whatever the size of the school: the school's pupils, then
the consent records of the pupils the post shows or names. The never-publish reason is never
loaded, so no message or snapshot can carry it.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.utils import timezone

from accounts.models import SocialAccount

from . import identity
from .identity import Form
from .models import ConsentPurpose, Pupil
from .selectors import ConsentStatus, effective_consent


class FaceResolution(StrEnum):
    PUPIL = "pupil"
    NOT_PUPIL = "not_pupil"
    REDACTED = "redacted"
    NOT_FACE = "not_face"  # the author dismissed a false detection; the approver still sees the box
    UNRESOLVED = ""


class Stage(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    PUBLISH = "publish"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class ProblemCode(StrEnum):
    PHOTO_CONSENT_MISSING = "photo_consent_missing"
    FACE_UNRESOLVED = "face_unresolved"
    FACE_PUPIL_NOT_TAGGED = "face_pupil_not_tagged"
    FULL_NAME = "full_name"
    NAME_CONSENT_MISSING = "name_consent_missing"
    NEVER_PUBLISH = "never_publish"
    CLASS_ACCOUNT_NAME = "class_account_name"
    PUPIL_OTHER_SCHOOL = "pupil_other_school"
    NAME_MAY_IDENTIFY = "name_may_identify"
    OUTSIDE_UNREAD = "outside_unread"


@dataclass(frozen=True)
class FaceInput:
    """A face the detector (or the author) marked on a photo, and what the author said it is."""

    resolution: str
    pupil_id: int | None = None

    def __post_init__(self) -> None:
        FaceResolution(self.resolution)  # a mistyped resolution is a bug, not an unresolved face
        if self.pupil_id is not None and self.resolution != FaceResolution.PUPIL:
            raise ValueError("Only a face resolved as a pupil can say which pupil it is.")


@dataclass(frozen=True)
class PhotoInput:
    label: str
    tagged_pupil_ids: tuple[int, ...] = ()
    faces: tuple[FaceInput, ...] = ()
    alt_text: str = ""  # the description the network receives with the photo


@dataclass(frozen=True)
class OutsideText:
    """Words the post sends out that were not typed into the portal: a quoted post's text, a
    link's preview card. `read` is False when they could not be fetched: `text` is then the
    last version read (possibly empty) and `error` says why."""

    label: str  # "the quoted post", "the preview of https://…"
    text: str
    read: bool = True
    error: str = ""


@dataclass(frozen=True)
class PostContent:
    account: SocialAccount
    text: str
    photos: tuple[PhotoInput, ...] = ()
    outside: tuple[OutsideText, ...] = ()


@dataclass(frozen=True)
class ConsentProblem:
    code: str
    severity: str
    message: str
    pupil_id: int | None
    photo: str | None
    start: int | None = None
    end: int | None = None
    where: str = ""  # empty: the post's text; else which text it is in ("the description of photo 1")


@dataclass(frozen=True)
class ConsentCheck:
    problems: tuple[ConsentProblem, ...]
    snapshot: dict

    @property
    def allowed(self) -> bool:
        return not any(problem.severity == Severity.BLOCK for problem in self.problems)


# Only what the check reads: in particular not `never_publish_reason`.
_PUPIL_FIELDS = (
    "id",
    "school_id",
    "class_group_id",
    "first_name",
    "preferred_name",
    "surname",
    "leaving_date",
    "never_publish",
)
POST_TEXT = "the post"


def check_post_consent(content: PostContent, *, stage: Stage, on: date | None = None) -> ConsentCheck:
    """Check that everyone a post shows or names may appear, as things stand on `on` (default today).

    Everything the network receives is read: the text, every photo's description, and the
    outside text the post carries (a quoted post, a link's preview). Names are found by the
    identity matcher (`consent.identity`).

    Blocks: a tagged pupil without photo consent, from another school or never to be published;
    any pupil's full name; a name that points at a pupil without name consent (they are tagged,
    it is their class's account, their class is named beside it, or the surname's initial is
    given); a name or initials that a never-publish pupil has, on any account; a face not
    resolved. Warns: a first name or initials on another account that could mean a pupil
    without name consent (the approver decides), a face resolved to a pupil nobody tagged, a
    first name on a class account's post with photos, and outside text that could not be read.

    Three queries whatever the size of the school: the register's version (the matcher's
    index is kept in memory), then the pupils the post shows or may name, with their consent.
    """
    stage = Stage(stage)
    on = on or timezone.localdate()
    account = content.account
    index = identity.index_for(account.school_id)

    parts = [(POST_TEXT, content.text)]
    parts += [(f"the description of {photo.label}", photo.alt_text) for photo in content.photos if photo.alt_text]
    parts += [(outside.label, outside.text) for outside in content.outside if outside.text]
    found = [(where, text, match) for where, text in parts for match in identity.find_names(text, index)]

    shown = [_pupils_shown(photo) for photo in content.photos]
    tagged_ids = {pupil_id for photo in shown for pupil_id in photo}
    wanted = tagged_ids | {pupil_id for _, _, match in found for pupil_id in match.pupil_ids}
    pupils = {
        pupil.pk: pupil
        for pupil in Pupil.objects.filter(school_id=account.school_id, pk__in=wanted)
        .only(*_PUPIL_FIELDS)
        .prefetch_related("consent_records")
    }
    tagged_ids &= set(pupils)

    photo_status = {
        pupil_id: effective_consent(pupils[pupil_id], ConsentPurpose.SOCIAL_PHOTO, on=on) for pupil_id in tagged_ids
    }
    readings = [
        _read_name(where, text, match, index=index, pupils=pupils, account=account, tagged_ids=tagged_ids, on=on)
        for where, text, match in found
    ]
    readings = [reading for reading in readings if reading is not None]
    named_ids = {pupil_id for reading in readings for pupil_id in reading.pupil_ids}
    name_status = {
        pupil_id: effective_consent(pupils[pupil_id], ConsentPurpose.SOCIAL_NAME, on=on) for pupil_id in named_ids
    }

    problems = []
    for photo, pupil_ids in zip(content.photos, shown, strict=True):
        problems += _photo_problems(photo, pupil_ids, pupils=pupils, photo_status=photo_status, stage=stage)
    initials_advised = account.kind == SocialAccount.Kind.CLASS and bool(content.photos)
    for reading in readings:
        problems += _name_problems(
            reading, pupils=pupils, name_status=name_status, index=index, initials_advised=initials_advised
        )
    for outside in content.outside:
        if not outside.read:
            problems.append(
                ConsentProblem(
                    ProblemCode.OUTSIDE_UNREAD.value,
                    Severity.WARN.value,
                    f"The portal could not read {outside.label}: {outside.error or 'no answer.'} "
                    "Open it yourself and check that it names and shows no pupil without consent.",
                    None,
                    None,
                    where=outside.label,
                )
            )
    problems = _without_repeats(problems)

    identified = {pupil_id for reading in readings if reading.identifies for pupil_id in reading.pupil_ids}
    by_full_name = {
        pupil_id for reading in readings if reading.match.form == Form.FULL for pupil_id in reading.pupil_ids
    }
    snapshot = {
        "checked_on": on.isoformat(),
        "stage": stage.value,
        "account_id": account.pk,
        "photos": [
            {
                "label": photo.label,
                "pupils": [
                    _shown_record(pupil_id, source, pupils=pupils, photo_status=photo_status, name_status=name_status)
                    for pupil_id, source in pupil_ids.items()
                ],
                "faces": [{"resolution": str(face.resolution), "pupil_id": face.pupil_id} for face in photo.faces],
            }
            for photo, pupil_ids in zip(content.photos, shown, strict=True)
        ],
        "named": [
            {
                "pupil_id": pupil_id,
                "first_name": pupils[pupil_id].first_name,
                "full_name": pupil_id in by_full_name,
                "identified": pupil_id in identified or pupil_id in by_full_name,
                "social_name": _status_record(name_status[pupil_id]),
            }
            for pupil_id in sorted(named_ids)
        ],
        "read": [where for where, _ in parts],
    }
    return ConsentCheck(problems=tuple(problems), snapshot=snapshot)


def _without_repeats(problems: list[ConsentProblem]) -> list[ConsentProblem]:
    """One problem per pupil, code and place: a name written three times is one thing to fix."""
    seen = set()
    kept = []
    for problem in problems:
        key = (problem.code, problem.pupil_id, problem.photo, problem.where, problem.message)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


# Photos and faces.


def _pupils_shown(photo: PhotoInput) -> dict[int, str]:
    """Everyone the photo shows, by id, with how we know: tagged, or only named on a face."""
    shown = dict.fromkeys(photo.tagged_pupil_ids, "tag")
    for face in photo.faces:
        if face.resolution == FaceResolution.PUPIL and face.pupil_id is not None:
            shown.setdefault(face.pupil_id, "face")
    return shown


def _photo_problems(
    photo: PhotoInput,
    pupil_ids: dict[int, str],
    *,
    pupils: dict[int, Pupil],
    photo_status: dict[int, ConsentStatus],
    stage: Stage,
) -> list[ConsentProblem]:
    problems = []

    def add(code: ProblemCode, severity: Severity, message: str, pupil_id: int | None) -> None:
        problems.append(ConsentProblem(code.value, severity.value, message, pupil_id, photo.label))

    for pupil_id, source in pupil_ids.items():
        pupil = pupils.get(pupil_id)
        if pupil is None:
            # Whoever they are, this school has no business knowing (or showing) their name.
            who = "A pupil tagged" if source == "tag" else "A face marked as a pupil"
            add(
                ProblemCode.PUPIL_OTHER_SCHOOL,
                Severity.BLOCK,
                f"{who} in {photo.label} is not on this school's register. Remove the tag.",
                pupil_id,
            )
            continue
        if pupil.never_publish:
            add(ProblemCode.NEVER_PUBLISH, Severity.BLOCK, _never_publish_message(pupil), pupil_id)
        elif not photo_status[pupil_id].allowed:
            add(
                ProblemCode.PHOTO_CONSENT_MISSING,
                Severity.BLOCK,
                f"{pupil.known_as} cannot appear in {photo.label}. {photo_status[pupil_id].reason} "
                f"Choose another photo, or cover {pupil.known_as}'s face and remove the tag.",
                pupil_id,
            )
        if source == "face":
            add(
                ProblemCode.FACE_PUPIL_NOT_TAGGED,
                Severity.WARN,
                f"A face in {photo.label} is marked as {pupil.known_as}, who is not tagged. "
                f"{pupil.known_as} has been checked as if tagged: add the tag.",
                pupil_id,
            )

    for number, face in enumerate(photo.faces, start=1):
        if face.resolution == FaceResolution.UNRESOLVED or (
            face.resolution == FaceResolution.PUPIL and face.pupil_id is None
        ):
            # The same refusal at every stage: the author is told at "Send for approval" what the
            # approver would otherwise be told later.
            add(
                ProblemCode.FACE_UNRESOLVED,
                Severity.BLOCK,
                f"Face {number} in {photo.label} is not resolved: tag the pupil, mark it as not a pupil "
                "(or not a face), or cover it.",
                None,
            )
    return problems


def _shown_record(
    pupil_id: int,
    source: str,
    *,
    pupils: dict[int, Pupil],
    photo_status: dict[int, ConsentStatus],
    name_status: dict[int, ConsentStatus],
) -> dict:
    pupil = pupils.get(pupil_id)
    if pupil is None:
        return {"pupil_id": pupil_id, "source": source, "on_register": False}
    record = {
        "pupil_id": pupil_id,
        "source": source,
        "on_register": True,
        "first_name": pupil.first_name,
        "social_photo": _status_record(photo_status[pupil_id]),
    }
    if pupil_id in name_status:
        record["social_name"] = _status_record(name_status[pupil_id])
    return record


def _status_record(status: ConsentStatus) -> dict:
    return {"allowed": status.allowed, "state": status.state.value, "reason": status.reason}


def _never_publish_message(pupil: Pupil) -> str:
    return f"{pupil.known_as} must not appear in any post (do not publish)."


# Names.


@dataclass(frozen=True)
class _Reading:
    """What one name in one place means for the check."""

    where: str
    written: str
    match: identity.NameMatch
    pupil_ids: tuple[int, ...]  # the pupils it names (identifies) or could mean
    identifies: bool  # True: it points at these pupils; False: it could mean any of them


def _read_name(
    where: str,
    text: str,
    match: identity.NameMatch,
    *,
    index: identity.IdentityIndex,
    pupils: dict[int, Pupil],
    account: SocialAccount,
    tagged_ids: set[int],
    on: date,
) -> _Reading | None:
    """Whom a name found in the text points at, or None when it is only a word.

    A full name identifies anyone, leavers included. Any other form (a first, preferred or
    other name, a nickname, initials) is read only for pupils on roll, and only where the text
    treats it as a name. It identifies a pupil who is tagged in the post, whose class's account
    it goes out on, whose class or year is named beside it, or whose surname's initial is
    given; otherwise it could mean any pupil of that name, and the check says whom.
    """
    written = text[match.start : match.end]
    candidates = tuple(pupil_id for pupil_id in match.pupil_ids if pupil_id in pupils)
    if match.form == Form.FULL:
        return _Reading(where, written, match, candidates, True) if candidates else None
    candidates = tuple(pupil_id for pupil_id in candidates if index.pupils[pupil_id].on_roll(on))
    if not candidates:
        return None
    in_photo = tuple(pupil_id for pupil_id in candidates if pupil_id in tagged_ids)
    if in_photo:
        return _Reading(where, written, match, in_photo, True)
    if not match.name_like:
        return None
    if match.form == Form.SPECIFIC:
        return _Reading(where, written, match, candidates, True)
    in_context = tuple(pupil_id for pupil_id in match.pupils_in_context(index) if pupil_id in candidates)
    if in_context:
        return _Reading(where, written, match, in_context, True)
    if account.kind == SocialAccount.Kind.CLASS:
        in_class = tuple(
            pupil_id for pupil_id in candidates if pupils[pupil_id].class_group_id == account.class_group_id
        )
        if in_class:
            return _Reading(where, written, match, in_class, True)
    return _Reading(where, written, match, candidates, False)


def _name_problems(
    reading: _Reading,
    *,
    pupils: dict[int, Pupil],
    name_status: dict[int, ConsentStatus],
    index: identity.IdentityIndex,
    initials_advised: bool,
) -> list[ConsentProblem]:
    match, written = reading.match, reading.written
    problems = []
    in_text = reading.where == POST_TEXT
    place = "" if in_text else f" (in {reading.where})"

    def add(code: ProblemCode, severity: Severity, message: str, pupil_id: int | None) -> None:
        problems.append(
            ConsentProblem(
                code.value,
                severity.value,
                message,
                pupil_id,
                None,
                start=match.start,
                end=match.end,
                where="" if in_text else reading.where,
            )
        )

    if match.form == Form.FULL:
        for pupil_id in reading.pupil_ids:
            add(
                ProblemCode.FULL_NAME,
                Severity.BLOCK,
                f"“{written}”{place} is a pupil's full name. A post never gives a pupil's full name: "
                "use the first name (with consent) or initials.",
                pupil_id,
            )
            if pupils[pupil_id].never_publish:
                add(ProblemCode.NEVER_PUBLISH, Severity.BLOCK, _never_publish_message(pupils[pupil_id]), pupil_id)
        return problems

    never = [pupil_id for pupil_id in reading.pupil_ids if pupils[pupil_id].never_publish]
    for pupil_id in never:
        if reading.identifies:
            add(ProblemCode.NEVER_PUBLISH, Severity.BLOCK, _never_publish_message(pupils[pupil_id]), pupil_id)
        else:
            add(
                ProblemCode.NEVER_PUBLISH,
                Severity.BLOCK,
                f"“{written}”{place} is also what a pupil who must never appear in posts is called "
                f"({index.pupils[pupil_id].short_name}). Leave the name out, on every account.",
                pupil_id,
            )
    if never:
        return problems

    without = [pupil_id for pupil_id in reading.pupil_ids if not name_status[pupil_id].allowed]
    if reading.identifies:
        for pupil_id in without:
            pupil = pupils[pupil_id]
            add(
                ProblemCode.NAME_CONSENT_MISSING,
                Severity.BLOCK,
                f"“{written}”{place} names {pupil.known_as}, who may not be named on social media. "
                f"{name_status[pupil_id].reason} Remove the name.",
                pupil_id,
            )
        if initials_advised and match.form == Form.GIVEN and in_text:
            add(
                ProblemCode.CLASS_ACCOUNT_NAME,
                Severity.WARN,
                f"Use initials, e.g. “{written[:1].upper()}.”, on class accounts with photos: "
                f"with the photos, “{written}” could identify the child.",
                reading.pupil_ids[0],
            )
        return problems
    if without:
        who = ", ".join(_described(index, pupil_id) for pupil_id in without)
        add(
            ProblemCode.NAME_MAY_IDENTIFY,
            Severity.WARN,
            f"“{written}”{place} could mean {who}, who may not be named on social media. "
            "If the post is about them, take the name out; if not, the approver can let it go.",
            without[0],
        )
    return problems


def _described(index: identity.IdentityIndex, pupil_id: int) -> str:
    entry = index.pupils[pupil_id]
    year = entry.year_group if entry.year_group is not None else index.class_years.get(entry.class_group_id)
    if year is None:
        return entry.short_name
    return f"{entry.short_name} ({'Reception' if year == 0 else f'Year {year}'})"
