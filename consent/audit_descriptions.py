"""What the consent app's audit entries say, and where pupils live (see audit.describe).

A pupil is named as staff say it in passing, first name and the surname's initial ("Ava P."), and
only while they are on this school's register: the entries hold the pupil's id, and a full name is
never spelled out in the trail or its export. When the pupil cannot be found the entry says "a pupil".
"""

from django.urls import reverse

from accounts.permissions import Perm, has_perm
from audit.describe import Ref, count, day, kinds, label_of, pks, register_target, words

from .models import CarerRelationship, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil


def short_name(pupil: Pupil) -> str:
    initial = pupil.surname.strip()[:1]
    return f"{pupil.known_as} {initial}." if initial else pupil.known_as


def _pupil_page(viewer, pupil_id: int) -> str:
    return reverse("consent_pupil", args=[pupil_id]) if has_perm(viewer, Perm.MANAGE_CONSENT) else ""


def _pupils(ids, *, school, viewer) -> dict[str, Ref]:
    found = Pupil.objects.filter(school=school, pk__in=pks(ids)).only("id", "first_name", "preferred_name", "surname")
    return {str(pupil.pk): Ref(short_name(pupil), _pupil_page(viewer, pupil.pk)) for pupil in found}


def _consent_records(ids, *, school, viewer) -> dict[str, Ref]:
    found = (
        ConsentRecord.objects.filter(pupil__school=school, pk__in=pks(ids))
        .select_related("pupil")
        .only("id", "purpose", "pupil__id", "pupil__first_name", "pupil__preferred_name", "pupil__surname")
    )
    return {
        str(record.pk): Ref(
            f"{purpose(record.purpose)} for {short_name(record.pupil)}", _pupil_page(viewer, record.pupil.pk)
        )
        for record in found
    }


register_target("consent.pupil", _pupils, gone="a pupil")
register_target("consent.consentrecord", _consent_records, gone="a consent record")


_PURPOSES = {
    ConsentPurpose.SOCIAL_PHOTO: "photo consent",
    ConsentPurpose.SOCIAL_NAME: "first-name consent",
    ConsentPurpose.WEBSITE_PHOTO: "website photo consent",
    ConsentPurpose.PRESS: "press and media consent",
}


def purpose(value) -> str:
    return _PURPOSES.get(value, f"{label_of(ConsentPurpose, value)} consent")


_FIELDS = {
    "first_name": "first name",
    "surname": "surname",
    "preferred_name": "preferred name",
    "other_names": "other names",
    "class_group": "class",
    "year_group": "year group",
    "mis_id": "MIS id",
    "leaving_date": "leaving date",
}


def _year(value) -> str:
    if value is None:
        return "none"
    return "Reception" if value == 0 else f"Year {value}"


def _changes(data: dict) -> str:
    """The fields that changed; with the new value where it names nobody (a class, a date)."""
    shown = []
    for name in data["changed"]:
        label = _FIELDS.get(name, name.replace("_", " "))
        if name == "class_group" and "class_group" in data:
            label += f" (now {data['class_group'] or 'no class'})"
        elif name == "year_group" and "year_group" in data:
            label += f" (now {_year(data['year_group'])})"
        elif name == "leaving_date" and "leaving_date" in data:
            label += f" (now {day(data['leaving_date']) if data['leaving_date'] else 'none'})"
        shown.append(label)
    return words(shown)


def _pupil_created(data: dict) -> str:
    return "{who} added {target} to the register" + (" in {class_group}" if data.get("class_group") else "")


def _never_publish_set(data: dict) -> str:
    if data.get("was_already_set"):
        return "{who} updated why {target} must never be published"
    return "{who} marked {target} “do not publish”"


register = kinds("consent")
register.add(
    "pupil.created",
    "Pupil added",
    _pupil_created,
    values=lambda data: {"class_group": data.get("class_group") or ""},
)
register.add(
    "pupil.updated",
    "Pupil's details changed",
    "{who} changed {target}'s {changes}",
    values=lambda data: {"changes": _changes(data)},
)
register.add("pupil.never_publish_set", "Marked “do not publish”", _never_publish_set)
register.add("pupil.never_publish_cleared", "“Do not publish” cleared", "{who} cleared “do not publish” for {target}")
register.add(
    "consent.recorded",
    "Consent recorded",
    "{who} recorded {purpose} as {decision} for {pupil} ({relationship}, {method})",
    refs={"pupil": ("consent.pupil", "pupil_id")},
    subject="pupil",
    values=lambda data: {
        "purpose": purpose(data["purpose"]),
        "decision": data["decision"],
        "relationship": label_of(CarerRelationship, data["relationship"]),
        "method": label_of(ConsentMethod, data["method"]),
    },
)
register.add(
    "consent.withdrawn",
    "Consent withdrawn",
    "{who} withdrew {purpose} for {pupil}",
    refs={"pupil": ("consent.pupil", "pupil_id")},
    subject="pupil",
    values=lambda data: {"purpose": purpose(data["purpose"])},
)
register.add(
    "consent.imported",
    "Register imported from the MIS",
    "{who} imported the register from the MIS: {created}, {updated} and {consents}",
    values=lambda data: {
        "created": count(data["created"], "pupil added", "pupils added"),
        "updated": count(data["updated"], "pupil updated", "pupils updated"),
        "consents": count(data["consents_recorded"], "consent decision recorded", "consent decisions recorded"),
    },
)
