"""School devices: "photos are only taken on school iPads".

The headteacher adds a device by name and gets a one-time enrolment link (and a short code for
typing) that works for DEVICE_ENROLMENT_VALID_FOR. Opened on the device by anyone on the school's
staff, it enrols that browser: a signed cookie holding the device's id and a random secret, whose
hash is stored. Each upload then asks `device_from_cookie` which device (if any) it came from; a
revoked device, a tampered cookie or another school's device counts as none.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from audit.services import record

from .models import Membership, SchoolDevice
from .permissions import Perm, has_perm

DEVICE_COOKIE = "pp_school_device"
_SALT = "accounts.school_device"
# Letters and digits that cannot be mistaken for one another when read off a screen.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8
# Seen again at most this often: an upload does not rewrite the device's row each time.
_LAST_SEEN_EVERY = 60

EXPIRED = "This enrolment link has expired. Ask the headteacher for a new one on the School devices page."
USED = "This enrolment link has been used already. Ask the headteacher for a new one on the School devices page."
UNKNOWN = (
    "This enrolment link or code is not one this school gave out. Check it, or ask the headteacher "
    "for a new one on the School devices page."
)
REVOKED = "This device was removed from the school's devices. Ask the headteacher to add it again."


class DeviceEnrolmentError(Exception):
    """A link or code that cannot enrol a device, with a message for the person holding it."""


@dataclass(frozen=True)
class Enrolment:
    """What the headteacher is shown once: the link's token and the short code."""

    device: SchoolDevice
    token: str
    code: str


def _hash(value: str) -> str:
    return SchoolDevice.hash_secret(value)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def shown_code(code: str) -> str:
    """ "K7QF2M9X" as "K7QF-2M9X": easier to read out and type."""
    return f"{code[:4]}-{code[4:]}"


def _check_manager(actor: Membership, device: SchoolDevice | None = None) -> None:
    if not has_perm(actor, Perm.MANAGE_DEVICES):
        raise PermissionDenied("Only the headteacher manages the school's devices.")
    if device is not None and device.school_id != actor.school_id:
        raise PermissionDenied("That device belongs to another school.")


def _issue(device: SchoolDevice) -> tuple[str, str]:
    token, code = secrets.token_urlsafe(32), _new_code()
    device.enrolment_token_hash = _hash(token)
    device.enrolment_code_hash = _hash(f"{device.school_id}:{code}")
    device.enrolment_expires_at = timezone.now() + settings.DEVICE_ENROLMENT_VALID_FOR
    return token, code


def device_add(*, actor: Membership, name: str, request=None) -> Enrolment:
    """A new device, waiting to be enrolled with the returned link or code."""
    _check_manager(actor)
    device = SchoolDevice(school=actor.school, name=name.strip(), created_by=actor.user)
    token, code = _issue(device)
    with transaction.atomic():
        device.full_clean()
        device.save()
        record(
            action="device.added",
            actor=actor.user,
            school=actor.school,
            target=device,
            data={"name": device.name},
            request=request,
        )
    return Enrolment(device, token, code)


def device_new_link(*, actor: Membership, device: SchoolDevice, request=None) -> Enrolment:
    """A fresh link and code for a device not yet enrolled (the first expired or was lost)."""
    _check_manager(actor, device)
    with transaction.atomic():
        device = SchoolDevice.objects.select_for_update().get(pk=device.pk)
        if device.enrolled_at or device.revoked_at:
            raise DeviceEnrolmentError("This device is already enrolled or removed: add it again as a new device.")
        token, code = _issue(device)
        device.save(update_fields=["enrolment_token_hash", "enrolment_code_hash", "enrolment_expires_at"])
        record(action="device.link_renewed", actor=actor.user, school=actor.school, target=device, request=request)
    return Enrolment(device, token, code)


def device_rename(*, actor: Membership, device: SchoolDevice, name: str, request=None) -> SchoolDevice:
    _check_manager(actor, device)
    before = device.name
    device.name = name.strip()
    with transaction.atomic():
        device.full_clean()
        device.save(update_fields=["name"])
        if before != device.name:
            record(
                action="device.renamed",
                actor=actor.user,
                school=actor.school,
                target=device,
                data={"before": before, "after": device.name},
                request=request,
            )
    return device


def device_revoke(*, actor: Membership, device: SchoolDevice, request=None) -> None:
    """Its cookie stops counting at once; its photos keep saying where they came from."""
    _check_manager(actor, device)
    with transaction.atomic():
        updated = SchoolDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), enrolment_code_hash=""
        )
        if updated:
            record(action="device.revoked", actor=actor.user, school=actor.school, target=device, request=request)
    device.refresh_from_db()


def _device_for_enrolment(*, school_id: int, token: str = "", code: str = "") -> SchoolDevice:
    if token:
        found = SchoolDevice.objects.select_for_update().filter(enrolment_token_hash=_hash(token)).first()
    else:
        found = (
            SchoolDevice.objects.select_for_update()
            .filter(school_id=school_id, enrolment_code_hash=_hash(f"{school_id}:{normalise_code(code)}"))
            .exclude(enrolment_code_hash="")
            .first()
        )
    if found is None or found.school_id != school_id:
        raise DeviceEnrolmentError(UNKNOWN)
    return found


def enrolment_device(*, school_id: int, token: str = "", code: str = "") -> SchoolDevice:
    """The device a link or code would enrol; DeviceEnrolmentError says plainly why not."""
    with transaction.atomic():
        device = _device_for_enrolment(school_id=school_id, token=token, code=code)
    _check_enrolable(device)
    return device


def _check_enrolable(device: SchoolDevice) -> None:
    if device.revoked_at:
        raise DeviceEnrolmentError(REVOKED)
    if device.enrolled_at:
        raise DeviceEnrolmentError(USED)
    if device.enrolment_expires_at is None or device.enrolment_expires_at <= timezone.now():
        raise DeviceEnrolmentError(EXPIRED)


def device_enrol(*, actor: Membership, token: str = "", code: str = "", request=None) -> tuple[SchoolDevice, str]:
    """Enrol the browser holding the link (or typed code): once, before it expires, and only for
    staff of the device's own school. Returns the device and the cookie value to set."""
    if actor is None or not actor.is_active:
        raise PermissionDenied("Sign in as a member of the school's staff to enrol a device.")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = _device_for_enrolment(school_id=actor.school_id, token=token, code=code)
        _check_enrolable(device)
        device.enrolled_at = timezone.now()
        device.enrolled_by = actor.user
        device.last_seen_at = device.enrolled_at
        device.secret_hash = _hash(secret)
        # The link and code are spent. The link's hash stays, so opening it again says "used"
        # rather than "unknown"; the short code's goes, so a later code cannot collide with it.
        device.enrolment_code_hash = ""
        device.save(
            update_fields=[
                "enrolled_at",
                "enrolled_by",
                "last_seen_at",
                "secret_hash",
                "enrolment_code_hash",
            ]
        )
        record(action="device.enrolled", actor=actor.user, school=actor.school, target=device, request=request)
    return device, signing.dumps({"d": device.pk, "s": secret}, salt=_SALT)


def set_device_cookie(request: HttpRequest, response: HttpResponse, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=settings.DEVICE_COOKIE_DAYS * 24 * 60 * 60,
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def device_from_cookie(*, school_id: int, value: str | None) -> SchoolDevice | None:
    """The enrolled, unrevoked device of this school the cookie proves, or None. A cookie whose
    signature or secret does not match, or another school's device, is none."""
    if not value:
        return None
    try:
        payload = signing.loads(value, salt=_SALT, max_age=settings.DEVICE_COOKIE_DAYS * 24 * 60 * 60)
        device_id, secret = int(payload["d"]), str(payload["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    device = SchoolDevice.objects.filter(pk=device_id, school_id=school_id).first()
    if device is None or not device.is_enrolled or not device.secret_hash:
        return None
    if not secrets.compare_digest(device.secret_hash, _hash(secret)):
        return None
    now = timezone.now()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > _LAST_SEEN_EVERY:
        SchoolDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    return device


def school_has_enrolled_device(*, school_id: int) -> bool:
    return SchoolDevice.objects.filter(school_id=school_id, enrolled_at__isnull=False, revoked_at__isnull=True).exists()
