"""The consent register as a CSV file, in the columns the MIS import reads, so that a school can
export, correct in a spreadsheet and import again."""

import csv
import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import ClassGroup, Membership
from accounts.permissions import Perm, has_perm
from audit.exports import spreadsheet_safe

from .imports import CONSENT_FIELDS, PUPIL_FIELDS, answer_for
from .selectors import RegisterRow, RegisterSummary, consent_register

STATUS_COLUMN = "status"
DO_NOT_PUBLISH = "Do not publish"
_SUMMARY_STATUS = {
    RegisterSummary.GREEN: "Photo and name",
    RegisterSummary.RED: "No photo or name",
}


def _status(row: RegisterRow) -> str:
    if row.pupil.never_publish:
        return DO_NOT_PUBLISH
    if row.summary == RegisterSummary.AMBER:
        return "Photo only" if row.statuses["social_photo"].allowed else "Name only"
    return _SUMMARY_STATUS[row.summary]


def export_register_csv(*, actor: Membership, class_group: ClassGroup | None = None) -> bytes:
    """One row per pupil on roll (of one class, or the whole school), UTF-8 with a BOM so that Excel
    shows accented names correctly.

    Each purpose says "Yes", "No" or nothing (nothing current on file). A pupil who must never be
    published shows "Do not publish" as their status and no answers: the flag's reason never leaves
    the portal, and the answers stay out so that nobody reads a "Yes" without the status beside it.
    """
    if not has_perm(actor, Perm.MANAGE_CONSENT):
        raise PermissionDenied("You cannot export the consent register.")
    if class_group is not None and class_group.school_id != actor.school_id:
        raise PermissionDenied("That class belongs to another school.")
    on = timezone.localdate()

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*PUPIL_FIELDS, *CONSENT_FIELDS, STATUS_COLUMN])
    for row in consent_register(school=actor.school, class_group=class_group, on=on):
        pupil = row.pupil
        # A flagged pupil's statuses are all "never publish", which has no answer: the cells stay empty.
        answers = [answer_for(row.statuses[purpose].state) for purpose in CONSENT_FIELDS.values()]
        writer.writerow(
            [
                spreadsheet_safe(pupil.mis_id),
                spreadsheet_safe(pupil.first_name),
                spreadsheet_safe(pupil.surname),
                spreadsheet_safe(pupil.preferred_name),
                spreadsheet_safe(pupil.other_names),
                spreadsheet_safe(pupil.class_group.name if pupil.class_group else ""),
                spreadsheet_safe(pupil.year_group),
                pupil.leaving_date.strftime("%d/%m/%Y") if pupil.leaving_date else "",
                *answers,
                _status(row),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
