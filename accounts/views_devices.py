"""School devices: the headteacher's list (add, rename, new link, remove) and the enrolment
page opened on the device itself. Every change goes through accounts.services_devices."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import services_devices as devices
from .decorators import school_member_required
from .forms import DeviceCodeForm, DeviceNameForm
from .models import SchoolDevice
from .permissions import Perm

_NEW_ENROLMENT = "accounts.new_device_enrolment"


def _remember_enrolment(request, enrolment: devices.Enrolment) -> None:
    """Shown once, on the next page: the link and code are never stored in a readable form."""
    request.session[_NEW_ENROLMENT] = {
        "device": enrolment.device.pk,
        "url": request.build_absolute_uri(reverse("device_enrol", args=[enrolment.token])),
        "code": devices.shown_code(enrolment.code),
    }


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.MANAGE_DEVICES)
def device_list(request):
    form = DeviceNameForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        enrolment = devices.device_add(actor=request.membership, name=form.cleaned_data["name"], request=request)
        _remember_enrolment(request, enrolment)
        messages.success(request, f"{enrolment.device.name} added. Open its enrolment link on the device itself.")
        return redirect("device_list")
    school_devices = list(SchoolDevice.objects.filter(school=request.school).select_related("enrolled_by"))
    new = request.session.pop(_NEW_ENROLMENT, None)
    return render(
        request,
        "accounts/device_list.html",
        {
            "form": form,
            "devices": school_devices,
            "new": new,
            "new_device": next((d for d in school_devices if new and d.pk == new["device"]), None),
            "valid_minutes": int(settings.DEVICE_ENROLMENT_VALID_FOR.total_seconds() // 60),
        },
    )


def _device_or_404(request, pk: int) -> SchoolDevice:
    return get_object_or_404(SchoolDevice, school=request.school, pk=pk)


@require_POST
@school_member_required(Perm.MANAGE_DEVICES)
def device_rename(request, pk: int):
    device = _device_or_404(request, pk)
    form = DeviceNameForm(request.POST)
    if form.is_valid():
        devices.device_rename(actor=request.membership, device=device, name=form.cleaned_data["name"], request=request)
        messages.success(request, f"Renamed to {device.name}.")
    else:
        messages.error(request, "Give the device a name.")
    return redirect("device_list")


@require_POST
@school_member_required(Perm.MANAGE_DEVICES)
def device_revoke(request, pk: int):
    device = _device_or_404(request, pk)
    devices.device_revoke(actor=request.membership, device=device, request=request)
    messages.success(
        request, f"{device.name} is no longer a school device. Photos from it now count as from elsewhere."
    )
    return redirect("device_list")


@require_POST
@school_member_required(Perm.MANAGE_DEVICES)
def device_new_link(request, pk: int):
    device = _device_or_404(request, pk)
    try:
        enrolment = devices.device_new_link(actor=request.membership, device=device, request=request)
    except devices.DeviceEnrolmentError as exc:
        messages.error(request, str(exc))
    else:
        _remember_enrolment(request, enrolment)
        messages.success(request, f"A new enrolment link for {device.name}.")
    return redirect("device_list")


def _enrolled(request, device: SchoolDevice, cookie: str):
    response = render(request, "accounts/device_enrolled.html", {"device": device})
    devices.set_device_cookie(request, response, cookie)
    return response


@require_http_methods(["GET", "POST"])
@school_member_required()
def device_enrol(request, token: str):
    """Opened on the device: shows which device it will become, and enrols it on "Enrol"."""
    try:
        device = devices.enrolment_device(school_id=request.school.pk, token=token)
        if request.method == "POST":
            device, cookie = devices.device_enrol(actor=request.membership, token=token, request=request)
            return _enrolled(request, device, cookie)
    except devices.DeviceEnrolmentError as exc:
        # Another school's link, or none at all, is not found; a spent one is gone.
        status = 404 if str(exc) == devices.UNKNOWN else 410
        return render(request, "accounts/device_enrol_refused.html", {"reason": str(exc)}, status=status)
    return render(request, "accounts/device_enrol.html", {"device": device})


@require_http_methods(["GET", "POST"])
@school_member_required()
def device_enrol_code(request):
    """The same, with the short code typed on the device instead of opening the link."""
    form = DeviceCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device, cookie = devices.device_enrol(
                actor=request.membership, code=form.cleaned_data["code"], request=request
            )
        except devices.DeviceEnrolmentError as exc:
            form.add_error("code", str(exc))
        else:
            return _enrolled(request, device, cookie)
    current = devices.device_from_cookie(school_id=request.school.pk, value=request.COOKIES.get(devices.DEVICE_COOKIE))
    return render(request, "accounts/device_enrol_code.html", {"form": form, "current": current})
