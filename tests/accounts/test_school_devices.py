"""School devices (issue 18): enrolment once only, expiry, revocation, tampered cookies and other
schools' devices; the headteacher's page and the page opened on the device."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import services_devices as devices
from accounts.models import SchoolDevice
from audit.models import AuditEvent


def _enrolled(staff, name="Year 3 iPad"):
    enrolment = devices.device_add(actor=staff.head, name=name)
    device, cookie = devices.device_enrol(actor=staff.teacher, token=enrolment.token)
    return device, cookie


def test_an_enrolment_link_enrols_once_and_the_cookie_names_the_device(school, staff):
    enrolment = devices.device_add(actor=staff.head, name="Year 3 iPad")

    device, cookie = devices.device_enrol(actor=staff.teacher, token=enrolment.token)

    assert devices.device_from_cookie(school_id=school.pk, value=cookie) == device
    assert device.enrolled_by == staff.teacher.user and device.status == "enrolled"
    with pytest.raises(devices.DeviceEnrolmentError, match="used already|not one this school"):
        devices.device_enrol(actor=staff.ta, token=enrolment.token)
    assert AuditEvent.objects.filter(action="device.enrolled").count() == 1


def test_only_hashes_of_the_link_code_and_secret_are_stored(school, staff):
    enrolment = devices.device_add(actor=staff.head, name="Year 3 iPad")
    stored = SchoolDevice.objects.get(pk=enrolment.device.pk)
    assert enrolment.token not in str(stored.__dict__) and enrolment.code not in str(stored.__dict__)
    _, cookie = devices.device_enrol(actor=staff.teacher, token=enrolment.token)
    secret = signing.loads(cookie, salt="accounts.school_device")["s"]
    assert secret not in str(SchoolDevice.objects.get(pk=enrolment.device.pk).__dict__)


def test_the_short_code_enrols_too_in_any_case_and_with_its_dash(school, staff):
    enrolment = devices.device_add(actor=staff.head, name="Office iPad")
    typed = devices.shown_code(enrolment.code).lower()

    device, cookie = devices.device_enrol(actor=staff.teacher, code=typed)

    assert device.pk == enrolment.device.pk
    assert devices.device_from_cookie(school_id=school.pk, value=cookie) == device


def test_an_expired_link_is_refused_plainly(school, staff):
    enrolment = devices.device_add(actor=staff.head, name="Year 3 iPad")
    SchoolDevice.objects.filter(pk=enrolment.device.pk).update(enrolment_expires_at=timezone.now() - timedelta(1))

    with pytest.raises(devices.DeviceEnrolmentError, match="expired"):
        devices.device_enrol(actor=staff.teacher, token=enrolment.token)
    assert SchoolDevice.objects.get(pk=enrolment.device.pk).enrolled_at is None


def test_a_revoked_device_stops_counting_at_once(school, staff):
    device, cookie = _enrolled(staff)

    devices.device_revoke(actor=staff.head, device=device)

    assert devices.device_from_cookie(school_id=school.pk, value=cookie) is None
    assert not devices.school_has_enrolled_device(school_id=school.pk)


def test_a_tampered_cookie_or_a_wrong_secret_is_no_device(school, staff):
    device, cookie = _enrolled(staff)
    forged = signing.dumps({"d": device.pk, "s": "guessed"}, salt="accounts.school_device")

    assert devices.device_from_cookie(school_id=school.pk, value=cookie[:-2] + "xx") is None
    assert devices.device_from_cookie(school_id=school.pk, value=forged) is None
    assert devices.device_from_cookie(school_id=school.pk, value="") is None


def test_another_schools_device_counts_for_nothing_and_its_link_is_refused(school, staff, outsider):
    enrolment = devices.device_add(actor=outsider.head, name="Beta iPad")
    with pytest.raises(devices.DeviceEnrolmentError, match="not one this school"):
        devices.device_enrol(actor=staff.teacher, token=enrolment.token)

    device, cookie = devices.device_enrol(actor=outsider.teacher, token=enrolment.token)
    assert devices.device_from_cookie(school_id=school.pk, value=cookie) is None
    assert devices.device_from_cookie(school_id=outsider.school.pk, value=cookie) == device


def test_only_the_headteacher_adds_renames_and_removes_devices(school, staff, outsider):
    with pytest.raises(PermissionDenied):
        devices.device_add(actor=staff.teacher, name="Mine")
    device, _ = _enrolled(staff)
    with pytest.raises(PermissionDenied):
        devices.device_revoke(actor=staff.slt, device=device)
    with pytest.raises(PermissionDenied):
        devices.device_rename(actor=outsider.head, device=device, name="Stolen")

    devices.device_rename(actor=staff.head, device=device, name="Year 3 iPad (blue case)")
    assert SchoolDevice.objects.get(pk=device.pk).name == "Year 3 iPad (blue case)"


# Pages


def test_the_headteacher_adds_a_device_and_sees_its_link_and_code_once(client_for, staff):
    client = client_for(staff.head)
    response = client.post(reverse("device_list"), {"name": "Year 3 iPad"}, follow=True)
    page = response.content.decode()
    assert "Year 3 iPad" in page and "/devices/enrol/" in page and "Waiting to be enrolled" in page

    again = client.get(reverse("device_list")).content.decode()
    assert "/devices/enrol/" + "x" not in again and "data-enrolment-link" not in again


def test_opening_the_link_on_the_device_sets_a_long_lived_http_only_cookie(client_for, staff, school):
    enrolment = devices.device_add(actor=staff.head, name="Year 3 iPad")
    client = client_for(staff.teacher)
    url = reverse("device_enrol", args=[enrolment.token])

    assert "Year 3 iPad" in client.get(url).content.decode()
    response = client.post(url)

    cookie = response.cookies[devices.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 4 * 365 * 86400
    assert devices.device_from_cookie(school_id=school.pk, value=cookie.value).name == "Year 3 iPad"
    refused = client.post(url)
    assert refused.status_code == 410 and "used already" in refused.content.decode()


def test_a_wrong_code_is_refused_beside_the_field(client_for, staff):
    response = client_for(staff.teacher).post(reverse("device_enrol_code"), {"code": "AAAA-BBBB"})
    assert response.status_code == 200 and "not one this school gave out" in response.content.decode()


def test_the_account_page_sets_warn_or_block(client_for, staff, accounts):
    client = client_for(staff.head)
    account = accounts.year3
    client.post(
        reverse("social_account_edit", args=[account.pk]),
        {
            "display_name": account.display_name,
            "handle": account.handle,
            "kind": account.kind,
            "class_group": account.class_group_id,
            "network": account.network,
            "device_check": "block",
        },
    )
    account.refresh_from_db()
    assert account.device_check == "block"
    assert AuditEvent.objects.filter(action="social_account.device_check_changed").exists()
