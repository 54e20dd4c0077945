"""The consent check a post must pass to be submitted, approved and published.

One function, `check_post_consent`, used unchanged at every stage: publishing re-runs it, so
consent withdrawn after approval still stops the post. It takes a plain description of what
a post carries (its account, text and photos with their tags and faces) rather than a post,
so it does not depend on how posts are stored.

The database work is two queries whatever the size of the school: the school's pupils, then
the consent records of the pupils the post shows or names. The never-publish reason is never
loaded, so no message or snapshot can carry it.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import groupby, pairwise

from django.db.models import prefetch_related_objects
from django.utils import timezone

from accounts.models import SocialAccount

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


def check_post_consent(content: PostContent, *, stage: Stage, on: date | None = None) -> ConsentCheck:
    """Check that everyone a post shows or names may appear, as things stand on `on` (default today).

    Blocks: a tagged pupil without photo consent, from another school or never to be published;
    a pupil named without name consent; any pupil's full name; a face not resolved by approval.
    Warns: a face still unresolved at submission, a face resolved to a pupil nobody tagged, and
    a first name on a class account's post with photos.
    """
    stage = Stage(stage)
    on = on or timezone.localdate()
    account = content.account
    # Leavers are loaded too: their full names stay off limits and a tag on one must be refused.
    pupils = {pupil.pk: pupil for pupil in Pupil.objects.filter(school_id=account.school_id).only(*_PUPIL_FIELDS)}

    shown = [_pupils_shown(photo) for photo in content.photos]
    tagged_ids = {pupil_id for photo in shown for pupil_id in photo if pupil_id in pupils}
    mentions = [
        mention
        for mention in _find_mentions(content.text, pupils.values(), on=on)
        if mention.full_name or _first_name_identifies(mention.pupil, account=account, tagged_ids=tagged_ids)
    ]
    named_ids = {mention.pupil.pk for mention in mentions}
    prefetch_related_objects([pupils[pupil_id] for pupil_id in tagged_ids | named_ids], "consent_records")
    photo_status = {
        pupil_id: effective_consent(pupils[pupil_id], ConsentPurpose.SOCIAL_PHOTO, on=on) for pupil_id in tagged_ids
    }
    name_status = {
        pupil_id: effective_consent(pupils[pupil_id], ConsentPurpose.SOCIAL_NAME, on=on) for pupil_id in named_ids
    }

    problems = []
    for photo, pupil_ids in zip(content.photos, shown, strict=True):
        problems += _photo_problems(photo, pupil_ids, pupils=pupils, photo_status=photo_status, stage=stage)
    initials_advised = account.kind == SocialAccount.Kind.CLASS and bool(content.photos)
    for mention in mentions:
        problems += _mention_problems(
            mention, text=content.text, name_status=name_status, initials_advised=initials_advised
        )

    by_full_name = {mention.pupil.pk for mention in mentions if mention.full_name}
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
                "social_name": _status_record(name_status[pupil_id]),
            }
            for pupil_id in dict.fromkeys(mention.pupil.pk for mention in mentions)
        ],
    }
    return ConsentCheck(problems=tuple(problems), snapshot=snapshot)


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
            what = f"Face {number} in {photo.label} is not resolved: tag the pupil, mark it as not a pupil, or cover it"
            if stage == Stage.SUBMIT:
                add(ProblemCode.FACE_UNRESOLVED, Severity.WARN, f"{what} (resolve before approval).", None)
            else:
                add(ProblemCode.FACE_UNRESOLVED, Severity.BLOCK, f"{what}.", None)
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


# Names in the text.


@dataclass(frozen=True)
class _Name:
    pupil: Pupil
    words: tuple[str, ...]  # folded, as `words` splits them
    full_name: bool


@dataclass(frozen=True)
class _Mention:
    pupil: Pupil
    full_name: bool
    start: int  # in the original text
    end: int


def _first_name_identifies(pupil: Pupil, *, account: SocialAccount, tagged_ids: set[int]) -> bool:
    """Does a first name on its own identify this pupil in this post?

    First names are shared (three Amaras in a school, and any number outside it), so flagging
    every one would cry wolf on "Amara" the author, the parent or the book character, and staff
    would learn to ignore the check. A first name only points at a child when the post also
    shows that child, or when it goes out on their class's account, whose followers know the
    class list. A full name identifies anyone and is handled apart.
    """
    if pupil.pk in tagged_ids:
        return True
    return account.kind == SocialAccount.Kind.CLASS and pupil.class_group_id == account.class_group_id


def _find_mentions(text: str, pupils: Iterable[Pupil], *, on: date) -> list[_Mention]:
    """Where the text names a pupil: a first or preferred name, or one of them with the surname.

    Matching is on whole words after folding case, compatibility forms and invisible characters
    (see `fold`), so "AMARA", "Amara's", "𝐀𝐦𝐚𝐫𝐚" and "Ama<soft hyphen>ra" are all Amara,
    but "Amarantha" is not. Words in a name may be joined by any whitespace (line breaks
    too), hyphens or apostrophes. A name inside a longer one ("Mary" in "Mary-Jane", "Amara" in
    "Amara Okafor") is the longer one only. Scripts written without spaces between words are not
    split into words, so names in them are found only when set apart by spaces or punctuation.

    Pupils who have left (on `on`) are matched by full name only. The work is linear in the text:
    words are looked up in a dict keyed by a name's first word, never by trying every name at
    every position.
    """
    index: dict[str, list[_Name]] = {}
    for name in _names(pupils, on=on):
        index.setdefault(name.words[0], []).append(name)
    if not index:
        return []

    folded, origins = fold(text)
    words = split_words(folded)
    glued = [
        all(char.isspace() or char in WORD_GLUE for char in folded[left[2] : right[1]])
        for left, right in pairwise(words)
    ]
    found = []  # (first word, past the last word, name)
    for position, (word, _, _) in enumerate(words):
        for name in index.get(word, ()):
            end = position + len(name.words)
            if end <= len(words) and all(
                glued[position + offset - 1] and words[position + offset][0] == name.words[offset]
                for offset in range(1, len(name.words))
            ):
                found.append((position, end, name))

    return [
        _Mention(
            pupil=name.pupil,
            full_name=name.full_name,
            start=origins[words[first][1]][0],
            end=origins[words[last - 1][2] - 1][1],
        )
        for first, last, name in outermost(found)
    ]


def _names(pupils: Iterable[Pupil], *, on: date) -> Iterable[_Name]:
    for pupil in pupils:
        on_roll = pupil.leaving_date is None or pupil.leaving_date > on
        surname = _name_words(pupil.surname)
        for given in dict.fromkeys(_name_words(name) for name in (pupil.first_name, pupil.preferred_name)):
            if not given:
                continue
            if on_roll:
                yield _Name(pupil, given, full_name=False)
            if surname:
                yield _Name(pupil, given + surname, full_name=True)


def _name_words(name: str) -> tuple[str, ...]:
    return tuple(word for word, _, _ in split_words(fold(name)[0]))


def outermost(found: list[tuple[int, int, _Name]]) -> list[tuple[int, int, _Name]]:
    """Drop matches lying inside a longer match; keep equal ones (two pupils called Amara)."""
    kept = []
    reach = 0  # the furthest end of any match starting before the current one
    for _, group in groupby(sorted(found, key=lambda match: (match[0], -match[1])), key=lambda match: match[0]):
        group = list(group)
        longest = group[0][1]
        kept += [match for match in group if match[1] == longest and longest > reach]
        reach = max(reach, longest)
    return kept


# Hyphens and apostrophes as they come out of `fold`.
WORD_GLUE = frozenset("-\u2010'\u2019\u2018\u02bc")


def _is_invisible(char: str) -> bool:
    """Zero-width and formatting characters (soft hyphen, joiners, direction marks) and variation selectors."""
    code = ord(char)
    return unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def fold(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as names are matched against it, and for each of its characters the span it came from.

    Case is folded and compatibility forms normalised (NFKC: "ﬁ", full-width and
    "mathematical bold" letters become plain ones), invisible characters removed. Each letter is
    folded with the combining marks that follow it, so every folded character maps back to a
    whole letter of the original.
    """
    pieces = []
    origins: list[tuple[int, int]] = []
    start, length = 0, len(text)
    while start < length:
        end = start + 1
        while end < length and unicodedata.combining(text[end]):
            end += 1
        letter = text[start:end]
        if letter.isascii():
            piece = letter.lower()
        else:
            kept = "".join(char for char in letter if not _is_invisible(char))
            piece = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", kept).casefold())
        pieces.append(piece)
        origins += [(start, end)] * len(piece)
        start = end
    return "".join(pieces), origins


def split_words(folded: str) -> list[tuple[str, int, int]]:
    """Runs of letters and digits, with the marks that belong to them, and where each run lies."""
    words = []
    start = None
    for position, char in enumerate(folded):
        kind = unicodedata.category(char)[0]
        if kind in "LN" or (kind == "M" and start is not None):
            if start is None:
                start = position
        elif start is not None:
            words.append((folded[start:position], start, position))
            start = None
    if start is not None:
        words.append((folded[start:], start, len(folded)))
    return words


def _mention_problems(
    mention: _Mention, *, text: str, name_status: dict[int, ConsentStatus], initials_advised: bool
) -> list[ConsentProblem]:
    pupil = mention.pupil
    written = text[mention.start : mention.end]
    problems = []

    def add(code: ProblemCode, severity: Severity, message: str) -> None:
        problems.append(
            ConsentProblem(code.value, severity.value, message, pupil.pk, None, start=mention.start, end=mention.end)
        )

    if mention.full_name:
        add(
            ProblemCode.FULL_NAME,
            Severity.BLOCK,
            f"“{written}” is a pupil's full name. A post never gives a pupil's full name: "
            "use the first name (with consent) or initials.",
        )
    if pupil.never_publish:
        add(ProblemCode.NEVER_PUBLISH, Severity.BLOCK, _never_publish_message(pupil))
        return problems
    if mention.full_name:
        return problems
    status = name_status[pupil.pk]
    if not status.allowed:
        add(
            ProblemCode.NAME_CONSENT_MISSING,
            Severity.BLOCK,
            f"“{written}” names {pupil.known_as}, who may not be named on social media. {status.reason} "
            "Remove the name or use initials.",
        )
    if initials_advised:
        add(
            ProblemCode.CLASS_ACCOUNT_NAME,
            Severity.WARN,
            f"Use initials, e.g. “{written[:1].upper()}.”, on class accounts with photos: "
            f"with the photos, “{written}” could identify the child.",
        )
    return problems
