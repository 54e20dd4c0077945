"""The office's consent work, for the dashboard: paper forms still to type in, MIS imports that are
running or did not finish, consent that runs out soon and consent withdrawn lately.

Reads only. Each function costs a fixed number of queries whatever the size of the school, and
`consent_work` gathers them (six queries). Whether a pupil's consent is in force is decided by
`consent.selectors.effective_consent`, as everywhere else.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import School

from .models import ConsentDecision, ConsentPurpose, ConsentRecord, ImportJob, ImportJobStatus, Pupil
from .selectors import SUMMARY_PURPOSES, ConsentState, effective_consent

# Consent that runs out within this many days is listed, so the office can ask families to renew it.
RUNNING_OUT_DAYS = 30
# Withdrawals recorded within this many days are listed.
WITHDRAWN_LATELY_DAYS = 14
# A failed import stays on the dashboard this long, unless a later import of the school succeeded.
FAILED_IMPORT_DAYS = 14


def _on_roll(on: date) -> Q:
    return Q(leaving_date__isnull=True) | Q(leaving_date__gt=on)


@dataclass(frozen=True)
class ClassForms:
    """One class's pupils with no answer recorded for a photo or a first name on social media."""

    class_group_id: int | None  # None: pupils not in a class yet
    name: str
    pupils: int


def forms_to_type_in(*, school: School, on: date | None = None) -> list[ClassForms]:
    """Per class (youngest first), the pupils on roll with no decision at all recorded for one of the
    purposes that "Type in paper forms" asks about (`SUMMARY_PURPOSES`). One query.

    Each pupil's answered purposes are counted by a subquery of their own records, which the
    database answers from the (pupil, purpose) index alone. Asked as "no photo answer OR no name
    answer" instead, PostgreSQL cannot turn the two tests into joins and reads every school's
    consent records to hash them, ten times the cost for one school among fifty.
    """
    on = on or timezone.localdate()
    answered = (
        ConsentRecord.objects.filter(pupil=OuterRef("pk"), purpose__in=SUMMARY_PURPOSES)
        .order_by()
        .values("pupil")
        .annotate(purposes=Count("purpose", distinct=True))
        .values("purposes")
    )
    rows = (
        Pupil.objects.filter(school=school)
        .filter(_on_roll(on))
        .annotate(answered=Coalesce(Subquery(answered, output_field=IntegerField()), 0))
        .filter(answered__lt=len(SUMMARY_PURPOSES))
        .values("class_group_id", "class_group__name", "class_group__year_group")
        .annotate(pupils=Count("pk"))
        .order_by("class_group__year_group", "class_group__name", "class_group_id")
    )
    return [
        ClassForms(
            class_group_id=row["class_group_id"],
            name=row["class_group__name"] or "Not in a class",
            pupils=row["pupils"],
        )
        for row in rows
    ]


def imports_needing_attention(*, school: School, rows: int, now: datetime | None = None) -> list[ImportJob]:
    """Imports waiting to start or running, and those that failed lately with no successful import
    of the school since; newest first. One query."""
    now = now or timezone.now()
    later_success = ImportJob.objects.filter(
        school=OuterRef("school"), status=ImportJobStatus.DONE, requested_at__gt=OuterRef("requested_at")
    )
    jobs = (
        ImportJob.objects.filter(school=school)
        .annotate(superseded=Exists(later_success))
        .filter(
            Q(status__in=[ImportJobStatus.QUEUED, ImportJobStatus.RUNNING])
            | Q(
                status=ImportJobStatus.FAILED,
                finished_at__gte=now - timedelta(days=FAILED_IMPORT_DAYS),
                superseded=False,
            )
        )
        .select_related("requested_by")
        .defer("mapping", "warnings")
        .order_by("-requested_at", "-pk")
    )
    return list(jobs[:rows])


@dataclass(frozen=True)
class RunningOut:
    """A pupil whose consent for some purposes is in force today and runs out soon."""

    pupil: Pupil
    purposes: tuple[str, ...]  # the purposes' labels, in ConsentPurpose's order
    last_day: date  # the earliest last day among those purposes


def consent_running_out(
    *, school: School, on: date | None = None, within_days: int = RUNNING_OUT_DAYS
) -> list[RunningOut]:
    """Pupils on roll whose consent is in force today but not `within_days` days later because it
    reaches its end date (not because they leave), soonest first. Two queries: the pupils with an
    end date in the window, then their records."""
    on = on or timezone.localdate()
    after = on + timedelta(days=within_days + 1)
    pupils = (
        Pupil.objects.filter(school=school)
        .filter(_on_roll(on))
        .filter(
            Exists(
                ConsentRecord.objects.filter(
                    pupil=OuterRef("pk"),
                    decision=ConsentDecision.GIVEN,
                    withdrawn_at__isnull=True,
                    expires_on__gte=on,
                    expires_on__lt=after,
                )
            )
        )
        .select_related("class_group")
        .defer("never_publish_reason")
        .prefetch_related("consent_records")
    )
    found = []
    for pupil in pupils:
        records = list(pupil.consent_records.all())
        ending = {}
        for purpose in ConsentPurpose:
            today = effective_consent(pupil, purpose, on=on, records=records)
            later = effective_consent(pupil, purpose, on=after, records=records)
            if today.allowed and later.state == ConsentState.EXPIRED:
                ending[purpose.label] = max(
                    r.expires_on
                    for r in records
                    if r.purpose == purpose
                    and r.decision == ConsentDecision.GIVEN
                    and r.withdrawn_at is None
                    and r.expires_on is not None
                    and r.expires_on >= on
                )
        if ending:
            found.append(RunningOut(pupil=pupil, purposes=tuple(ending), last_day=min(ending.values())))
    return sorted(found, key=lambda row: (row.last_day, row.pupil.surname, row.pupil.first_name, row.pupil.pk))


def withdrawals_lately(*, school: School, now: datetime | None = None, days: int = WITHDRAWN_LATELY_DAYS):
    """The school's consent records withdrawn in the last `days` days."""
    now = now or timezone.now()
    return ConsentRecord.objects.filter(pupil__school=school, withdrawn_at__gte=now - timedelta(days=days))


def consent_withdrawn_lately(
    *,
    school: School,
    rows: int,
    now: datetime | None = None,
    days: int = WITHDRAWN_LATELY_DAYS,
    total: int | None = None,
) -> tuple[list[ConsentRecord], int]:
    """Consent withdrawn in the last `days` days, newest first (at most `rows`), and how many in all.
    Two queries, or one when the caller has counted `withdrawals_lately` already."""
    withdrawn = withdrawals_lately(school=school, now=now, days=days)
    total = withdrawn.count() if total is None else total
    if not total:
        return [], 0
    listed = (
        withdrawn.select_related("pupil", "pupil__class_group")
        .defer("pupil__never_publish_reason")
        .order_by("-withdrawn_at", "-pk")
    )
    return list(listed[:rows]), total


@dataclass(frozen=True)
class ConsentWork:
    forms: list[ClassForms] = field(default_factory=list)
    imports: list[ImportJob] = field(default_factory=list)
    running_out: list[RunningOut] = field(default_factory=list)
    withdrawn: list[ConsentRecord] = field(default_factory=list)
    withdrawn_count: int = 0

    @property
    def forms_count(self) -> int:
        """Pupils whose paper forms are still to be typed in."""
        return sum(row.pupils for row in self.forms)

    @property
    def running_out_count(self) -> int:
        return len(self.running_out)

    @property
    def anything(self) -> bool:
        return bool(self.forms or self.imports or self.running_out or self.withdrawn_count)


def consent_work(*, school: School, rows: int, withdrawn_count: int | None = None) -> ConsentWork:
    """Everything above for one school: six queries, or five when the caller has counted
    `withdrawals_lately` already."""
    withdrawn, withdrawn_count = consent_withdrawn_lately(school=school, rows=rows, total=withdrawn_count)
    return ConsentWork(
        forms=forms_to_type_in(school=school),
        imports=imports_needing_attention(school=school, rows=rows),
        running_out=consent_running_out(school=school),
        withdrawn=withdrawn,
        withdrawn_count=withdrawn_count,
    )
