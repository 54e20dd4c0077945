import datetime as dt

import pytest
from django.utils import timezone

from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from posts.models import FaceRegion, PostImage
from posts.services import post_create


@pytest.fixture
def pupils(school, year3, staff):
    """Year 3 pupils: Amara with photo consent, Ben without, Cleo never to be published."""

    def pupil(first, surname, *, photo_consent: bool, never_publish: bool = False) -> Pupil:
        p = Pupil.objects.create(
            school=school,
            class_group=year3,
            first_name=first,
            surname=surname,
            never_publish=never_publish,
            never_publish_reason="Safeguarding" if never_publish else "",
            never_publish_set_at=timezone.now() if never_publish else None,
        )
        if photo_consent:
            ConsentRecord.objects.create(
                pupil=p,
                purpose=ConsentPurpose.SOCIAL_PHOTO,
                decision=ConsentDecision.GIVEN,
                given_by_name=f"Parent of {first}",
                relationship=CarerRelationship.PARENT,
                method=ConsentMethod.ADMISSION_FORM,
                decided_on=timezone.localdate() - dt.timedelta(days=30),
                recorded_by=staff.office.user,
            )
        return p

    from types import SimpleNamespace

    return SimpleNamespace(
        amara=pupil("Amara", "Okafor", photo_consent=True),
        ben=pupil("Ben", "Ruiz", photo_consent=False),
        cleo=pupil("Cleo", "Hart", photo_consent=True, never_publish=True),
    )


@pytest.fixture
def make_post(staff, accounts):
    """A Year 3 draft by the class teacher, optionally with one photo tagging pupils."""

    def make(text="We built volcanoes in science today!", *, tagged=(), faces=(), author=None, account=None):
        post = post_create(actor=author or staff.teacher, account=account or accounts.year3, text=text)
        if tagged or faces:
            image = PostImage.objects.create(post=post, alt_text="Children with paper volcanoes", width=800, height=600)
            image.tagged_pupils.set(tagged)
            for resolution, pupil in faces:
                FaceRegion.objects.create(image=image, x=10, y=10, w=50, h=50, resolution=resolution, pupil=pupil)
        return post

    return make


@pytest.fixture
def network_accounts(school, accounts):
    """Alpha Primary's whole-school accounts on Bluesky and Mastodon (issue 17), beside its
    whole-school account on the local network, which counts as X does."""
    from types import SimpleNamespace

    from .network_accounts import network_account

    return SimpleNamespace(
        bluesky=network_account(school, "bluesky", "alpha.bsky.social"),
        mastodon=network_account(school, "mastodon", "alpha", network_settings={"server": "mastodon.example"}),
    )
