import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consent.models import ConsentRecord

SECRET = "Named in a child protection plan"


@pytest.fixture
def admin_client_signed_in(client, db):
    superuser = User.objects.create_superuser(email="it@trust.test", password="not-used")
    client.force_login(superuser, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def flagged(make_pupil, cast):
    return make_pupil(
        first_name="Kit",
        never_publish=True,
        never_publish_reason=SECRET,
        never_publish_set_by=cast.head.user,
        never_publish_set_at=timezone.now(),
    )


def test_pupil_admin_never_shows_the_never_publish_reason(admin_client_signed_in, flagged):
    listing = admin_client_signed_in.get(reverse("admin:consent_pupil_changelist"))
    detail = admin_client_signed_in.get(reverse("admin:consent_pupil_change", args=[flagged.pk]))

    for page in (listing, detail):
        assert page.status_code == 200
        assert "Kit" in page.text
        assert SECRET not in page.text


def test_pupil_admin_is_view_only(admin_client_signed_in, flagged):
    detail = admin_client_signed_in.post(
        reverse("admin:consent_pupil_change", args=[flagged.pk]), {"first_name": "Changed"}
    )
    assert detail.status_code == 403
    flagged.refresh_from_db()
    assert flagged.first_name == "Kit"


def test_consent_records_cannot_be_deleted_in_the_admin(admin_client_signed_in, pupil, add_record):
    record = add_record(pupil)
    listing = admin_client_signed_in.get(reverse("admin:consent_consentrecord_changelist"))
    delete = admin_client_signed_in.post(
        reverse("admin:consent_consentrecord_delete", args=[record.pk]), {"post": "yes"}
    )

    assert listing.status_code == 200
    assert "Grace Okafor" in listing.text
    assert delete.status_code == 403
    assert ConsentRecord.objects.filter(pk=record.pk).exists()
