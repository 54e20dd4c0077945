"""Reads for the pupil register and the consent check that posts rely on.

`effective_consent` is the one place that turns a pupil's consent history into "may we
publish?". It is a pure function of the pupil and their records, so a page that prefetches
records can ask it for every pupil without further queries.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.models import ClassGroup, Membership, Role, School

from . import identity
from .models import ConsentDecision, ConsentPurpose, ConsentRecord, Pupil


class ConsentState(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    LEFT = "left"
    NEVER_PUBLISH = "never_publish"
    NONE = "none"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class ConsentStatus:
    allowed: bool
    state: ConsentState
    reason: str


class RegisterSummary(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# The purposes a class post touches: a child's photo and their first name.
SUMMARY_PURPOSES = (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME)


@dataclass(frozen=True)
class RegisterRow:
    pupil: Pupil
    statuses: dict[str, ConsentStatus]
    summary: RegisterSummary

    @property
    def summary_statuses(self) -> list[tuple[str, ConsentStatus]]:
        """(purpose label, status) for the purposes a class post touches, in the register's column order."""
        return [(ConsentPurpose(purpose).label, self.statuses[purpose]) for purpose in SUMMARY_PURPOSES]

    @property
    def may_appear_with(self) -> str:
        """The summary in words: what of this pupil a post may show."""
        if self.summary == RegisterSummary.GREEN:
            return "Photo and first name"
        if self.summary == RegisterSummary.AMBER:
            return "Photo only" if self.statuses[ConsentPurpose.SOCIAL_PHOTO].allowed else "First name only"
        return "Neither"


def _day(value: date) -> str:
    return format_date(value, "j F Y")


class _CarerWord(NamedTuple):
    """A carer's decision or withdrawal, with the key that orders it in time."""

    order: tuple
    word: str  # "given", "refused" or "withdrawn"
    record: ConsentRecord


def _latest_word_per_carer(records: Iterable[ConsentRecord], *, on: date) -> list[_CarerWord]:
    """Each carer's most recent word on the purpose, as known on `on`.

    A decision counts from `decided_on`; a withdrawal counts from the day it was recorded and
    overrides anything that carer decided up to that day, so older paperwork entered late never
    undoes a withdrawal. Only a decision made after it does.
    """
    latest: dict[tuple[str, str], _CarerWord] = {}
    for record in records:
        words = []
        if record.decided_on <= on:
            # The middle 0/1 puts a withdrawal after a decision made on the same day.
            words.append(_CarerWord((record.decided_on, 0, record.recorded_at, record.pk), record.decision, record))
        if record.withdrawn_at is not None:
            withdrawn_on = timezone.localdate(record.withdrawn_at)
            if withdrawn_on <= on:
                words.append(
                    _CarerWord((withdrawn_on, 1, record.withdrawn_at, record.pk), ConsentState.WITHDRAWN, record)
                )
        for word in words:
            current = latest.get(record.carer_key)
            if current is None or word.order > current.order:
                latest[record.carer_key] = word
    return list(latest.values())


def effective_consent(
    pupil: Pupil,
    purpose: str,
    *,
    on: date | None = None,
    records: Iterable[ConsentRecord] | None = None,
) -> ConsentStatus:
    """May this pupil appear for this purpose on this day? Fails closed: anything unclear is no.

    `records` are the pupil's consent records (any purposes); when omitted they come from
    `pupil.consent_records`, which uses a prefetch if there is one. The never-publish reason
    is never part of the answer.
    """
    purpose = ConsentPurpose(purpose)  # a mistyped purpose is a bug, not a quiet "no"
    on = on or timezone.localdate()
    if pupil.never_publish:
        return ConsentStatus(
            False,
            ConsentState.NEVER_PUBLISH,
            "Do not publish: the headteacher has said this pupil must never appear.",
        )
    if pupil.leaving_date is not None and pupil.leaving_date <= on:
        return ConsentStatus(
            False, ConsentState.LEFT, f"This pupil left the school on {_day(pupil.leaving_date)}, so cannot appear."
        )

    if records is None:
        records = pupil.consent_records.all()
    latest = _latest_word_per_carer((r for r in records if r.purpose == purpose), on=on)
    if not latest:
        return ConsentStatus(False, ConsentState.NONE, "No consent has been recorded for this.")

    yeses = [w.record for w in latest if w.word == ConsentDecision.GIVEN]
    current_yes = [r for r in yeses if r.expires_on is None or r.expires_on >= on]
    lapsed_yes = [r for r in yeses if r.expires_on is not None and r.expires_on < on]
    refusals = [w.record for w in latest if w.word == ConsentDecision.REFUSED]
    withdrawals = [w.record for w in latest if w.word == ConsentState.WITHDRAWN]

    if current_yes and (refusals or withdrawals):
        return ConsentStatus(
            False,
            ConsentState.DISPUTED,
            "Carers disagree: one has given consent and another has refused or withdrawn it. "
            "Treat this as no until the school has spoken to them.",
        )
    if refusals:
        return ConsentStatus(False, ConsentState.REFUSED, "Consent was refused.")
    if withdrawals:
        when = max(timezone.localdate(record.withdrawn_at) for record in withdrawals)
        return ConsentStatus(False, ConsentState.WITHDRAWN, f"Consent was withdrawn on {_day(when)}.")
    if not current_yes:
        lapsed = max(record.expires_on for record in lapsed_yes)
        return ConsentStatus(
            False, ConsentState.EXPIRED, f"Consent ran out on {_day(lapsed)}. Ask the family to renew it."
        )

    open_ended = [record for record in current_yes if record.expires_on is None]
    if open_ended:
        return ConsentStatus(True, ConsentState.GIVEN, "Consent given, until the pupil leaves the school.")
    until = max(record.expires_on for record in current_yes)
    return ConsentStatus(True, ConsentState.GIVEN, f"Consent given, up to and including {_day(until)}.")


def pupils_for_school(
    *,
    school: School,
    class_group: ClassGroup | None = None,
    on: date | None = None,
    include_left: bool = False,
) -> QuerySet[Pupil]:
    """The school's pupils (on roll on `on` unless `include_left`), with their consent records prefetched."""
    pupils = (
        Pupil.objects.filter(school=school)
        .select_related("class_group")
        .prefetch_related("consent_records")
        .order_by("class_group__year_group", "class_group__name", "surname", "first_name", "pk")
    )
    if class_group is not None:
        pupils = pupils.filter(class_group=class_group)
    if not include_left:
        on = on or timezone.localdate()
        pupils = pupils.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))
    return pupils


def register_summary(statuses: dict[str, ConsentStatus]) -> RegisterSummary:
    """Green: photo and name may both appear. Amber: one of them. Red: neither."""
    allowed = sum(1 for purpose in SUMMARY_PURPOSES if statuses[purpose].allowed)
    if allowed == len(SUMMARY_PURPOSES):
        return RegisterSummary.GREEN
    if allowed:
        return RegisterSummary.AMBER
    return RegisterSummary.RED


def consent_register(
    *,
    school: School,
    class_group: ClassGroup | None = None,
    on: date | None = None,
) -> list[RegisterRow]:
    """One row per pupil on roll: a status for every purpose and a traffic-light summary.

    Two queries whatever the number of pupils (pupils with their class, then their records).
    """
    on = on or timezone.localdate()
    return [_register_row(pupil, on=on) for pupil in pupils_for_school(school=school, class_group=class_group, on=on)]


def _register_row(pupil: Pupil, *, on: date, purposes: Iterable[str] = ConsentPurpose.values) -> RegisterRow:
    records = list(pupil.consent_records.all())
    statuses = {purpose: effective_consent(pupil, purpose, on=on, records=records) for purpose in purposes}
    return RegisterRow(pupil=pupil, statuses=statuses, summary=register_summary(statuses))


# The register page: one class or one page of pupils at a time, found by name and narrowed by
# consent, the never-publish flag and whether they are still on roll.

REGISTER_PAGE_SIZE = 50


class Roll(StrEnum):
    ON_ROLL = "on_roll"
    LEFT = "left"
    EVERYONE = "everyone"


@dataclass(frozen=True)
class RegisterFilters:
    """What the register is asked to show. The defaults are every pupil on roll."""

    search: str = ""
    class_group: ClassGroup | None = None
    roll: Roll = Roll.ON_ROLL
    never_publish_only: bool = False
    state: ConsentState | None = None
    # The purpose `state` is looked for in; empty: either of SUMMARY_PURPOSES.
    purpose: str = ""


def register_page(
    *,
    school: School,
    filters: RegisterFilters | None = None,
    page: int | str = 1,
    per_page: int = REGISTER_PAGE_SIZE,
    on: date | None = None,
) -> Page:
    """One page of the register: a `RegisterRow` for each of at most `per_page` pupils of the
    school that match `filters`, ordered by class, then surname. A page number out of range gives
    the nearest page. The rows hold the statuses of SUMMARY_PURPOSES, the register's columns.

    A fixed number of queries whatever the size of the school: a name search reads the school's
    names once; then the count, the page's pupils and their records. Asked for a consent state, it
    first works the state out for every pupil the other filters leave, from the few columns it
    depends on (`_pupils_in_state`), then reads only the page's pupils in full.
    """
    filters = filters or RegisterFilters()
    on = on or timezone.localdate()
    records = Prefetch("consent_records", queryset=ConsentRecord.objects.filter(purpose__in=SUMMARY_PURPOSES))
    pupils = _register_pupils(school=school, filters=filters, on=on)
    if filters.state is not None:
        matching = _pupils_in_state(pupils, filters=filters, on=on)
        result = Paginator(matching, per_page).get_page(page)
        shown = pupils.filter(pk__in=list(result.object_list)).prefetch_related(records)
    else:
        result = Paginator(pupils.prefetch_related(records), per_page).get_page(page)
        shown = result.object_list
    result.object_list = [_register_row(pupil, on=on, purposes=SUMMARY_PURPOSES) for pupil in shown]
    return result


# What `effective_consent` reads of a pupil and of a record: nothing else is loaded to judge them.
_PUPIL_CONSENT_FIELDS = ("id", "never_publish", "leaving_date")
_RECORD_CONSENT_FIELDS = (
    "id",
    "pupil_id",
    "purpose",
    "decision",
    "given_by_name",
    "relationship",
    "decided_on",
    "expires_on",
    "withdrawn_at",
    "recorded_at",
)


def _pupils_in_state(pupils: QuerySet[Pupil], *, filters: RegisterFilters, on: date) -> list[int]:
    """The ids, in register order, of the pupils whose consent is in `filters.state` for the
    purpose asked (either of SUMMARY_PURPOSES when none is).

    Two queries, and no prefetch: Django's prefetch builds a queryset per pupil, which for a
    school of 2,000 costs more than the judging itself. The state is judged by
    `effective_consent`, the one function that says what consent a pupil has, so the filter can
    never disagree with the rows it shows; the database only leaves out first the pupils whose
    records cannot give that state (`_could_be_in_state`), so few are judged.
    """
    searched = [filters.purpose] if filters.purpose else list(SUMMARY_PURPOSES)
    could_be = _could_be_in_state(pupils, state=filters.state, purposes=searched, on=on).select_related(None)
    candidates = list(could_be.only(*_PUPIL_CONSENT_FIELDS))
    records: dict[int, list[ConsentRecord]] = {pupil.pk: [] for pupil in candidates}
    if candidates:
        read = ConsentRecord.objects.filter(pupil__in=could_be.order_by().values("pk"), purpose__in=searched)
        for record in read.only(*_RECORD_CONSENT_FIELDS):
            records[record.pupil_id].append(record)
    return [
        pupil.pk
        for pupil in candidates
        if any(
            effective_consent(pupil, purpose, on=on, records=records[pupil.pk]).state == filters.state
            for purpose in searched
        )
    ]


def _could_be_in_state(pupils: QuerySet[Pupil], *, state: ConsentState, purposes: list[str], on: date):
    """The pupils whose consent could be in `state` for one of `purposes`: every pupil who is,
    and some who are not, for `effective_consent` to judge.

    Each test is looser than the judge's (it ignores which carer said what, and when each word
    was overtaken), so it can only let through too many, never leave one out: a refusal needs a
    refusal on file, a withdrawal a withdrawn record, "no answer yet" a purpose with no decision
    made by `on`. The never-publish flag and leaving come before any answer, as in the judge.
    """
    if state == ConsentState.NEVER_PUBLISH:
        return pupils.filter(never_publish=True)
    if state == ConsentState.LEFT:
        return pupils.filter(never_publish=False, leaving_date__lte=on)
    pupils = pupils.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on), never_publish=False)
    records = ConsentRecord.objects.filter(pupil=OuterRef("pk"), purpose__in=purposes)
    decided = Q(decided_on__lte=on)
    if state == ConsentState.NONE:
        answered = records.filter(decided).order_by().values("pupil").annotate(purposes=Count("purpose", distinct=True))
        answered = Coalesce(Subquery(answered.values("purposes"), output_field=IntegerField()), 0)
        return pupils.annotate(purposes_answered=answered).filter(purposes_answered__lt=len(purposes))

    def on_file(condition: Q) -> Exists:
        return Exists(records.filter(condition))

    given = decided & Q(decision=ConsentDecision.GIVEN)
    said_no = (decided & Q(decision=ConsentDecision.REFUSED)) | Q(withdrawn_at__isnull=False)
    could_give = {
        ConsentState.GIVEN: on_file(given & (Q(expires_on__isnull=True) | Q(expires_on__gte=on))),
        ConsentState.REFUSED: on_file(decided & Q(decision=ConsentDecision.REFUSED)),
        ConsentState.WITHDRAWN: on_file(Q(withdrawn_at__isnull=False)),
        ConsentState.EXPIRED: on_file(given & Q(expires_on__lt=on)),
        ConsentState.DISPUTED: on_file(given) & on_file(said_no),
    }
    return pupils.filter(could_give[state])


def _register_pupils(*, school: School, filters: RegisterFilters, on: date) -> QuerySet[Pupil]:
    pupils = (
        Pupil.objects.filter(school=school)
        .select_related("class_group")
        # Pupils not yet in a class come last, on SQLite as on PostgreSQL.
        .order_by(
            F("class_group__year_group").asc(nulls_last=True),
            F("class_group__name").asc(nulls_last=True),
            "surname",
            "first_name",
            "pk",
        )
    )
    if filters.class_group is not None:
        pupils = pupils.filter(class_group=filters.class_group)
    on_roll = Q(leaving_date__isnull=True) | Q(leaving_date__gt=on)
    if filters.roll == Roll.ON_ROLL:
        pupils = pupils.filter(on_roll)
    elif filters.roll == Roll.LEFT:
        pupils = pupils.exclude(on_roll)
    if filters.never_publish_only:
        pupils = pupils.filter(never_publish=True)
    if filters.search.strip():
        pupils = _named(pupils, filters.search)
    return pupils


def _named(pupils: QuerySet[Pupil], search: str) -> QuerySet[Pupil]:
    """The pupils with every word of `search` somewhere in their first, preferred, other names or
    surname, ignoring case, accents and punctuation ("zoe" finds Zoë, "obrien" finds O'Brien).

    The folding is the identity matcher's, which no database does the same way, so the names are
    read once (one query for the school) and matched here.
    """
    words = identity.name_words(search)
    if not words:
        return pupils.none()
    names = pupils.values_list("pk", "first_name", "preferred_name", "other_names", "surname")
    matching = [
        pk
        for pk, first, preferred, other, surname in names
        if all(any(word in name for name in _searchable(first, preferred, other, surname)) for word in words)
    ]
    return pupils.filter(pk__in=matching)


@lru_cache(maxsize=4096)
def _searchable(first: str, preferred: str, other: str, surname: str) -> tuple[str, ...]:
    """Each name folded and run together ("Mary-Jane" is "maryjane"), and the whole name too, so
    a search typed with or without its spaces and hyphens finds it."""
    names = [first, preferred, *re.split(r"[,;/]", other), surname, f"{first}{surname}", f"{preferred}{surname}"]
    return tuple(folded for folded in ("".join(identity.name_words(name)) for name in names if name) if folded)


def never_publish_reason_for(*, actor: Membership, pupil: Pupil) -> str:
    """The safeguarding reason behind a never-publish flag, for the headteacher's eyes only."""
    if not actor.is_active or actor.school_id != pupil.school_id or Role.HEADTEACHER not in actor.roles:
        raise PermissionDenied("Only the headteacher can see why a pupil must never be published.")
    return pupil.never_publish_reason


@dataclass(frozen=True)
class ClassCoverage:
    class_group: ClassGroup | None
    pupils: int
    photo_allowed: int
    name_allowed: int

    @property
    def photo_percent(self) -> int:
        return round(100 * self.photo_allowed / self.pupils) if self.pupils else 0

    @property
    def name_percent(self) -> int:
        return round(100 * self.name_allowed / self.pupils) if self.pupils else 0


def consent_coverage(*, school: School, on: date | None = None) -> list[ClassCoverage]:
    """Per class: how many pupils on roll may appear in a photo, and by first name."""
    by_class: dict = {}
    for row in consent_register(school=school, on=on):
        by_class.setdefault(row.pupil.class_group, []).append(row)
    return [
        ClassCoverage(
            class_group=class_group,
            pupils=len(rows),
            photo_allowed=sum(r.statuses[ConsentPurpose.SOCIAL_PHOTO].allowed for r in rows),
            name_allowed=sum(r.statuses[ConsentPurpose.SOCIAL_NAME].allowed for r in rows),
        )
        for class_group, rows in by_class.items()
    ]
