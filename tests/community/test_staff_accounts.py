"""Staff's own accounts (issue 18): recorded handles, recognised among followers, checked for
privacy through each network's adapter, and a private reminder to the person when public."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Network, StaffHandle
from accounts.services_staff_handles import (
    REMINDER_PERIOD,
    normalise_handle,
    staff_handle_add,
    staff_handle_record_check,
    staff_handle_remove,
)
from audit.models import AuditEvent
from community import staff_accounts
from community.audience import sync_followers
from community.models import Follower
from networks.local import adapter as local
from networks.registry import get_network
from tests.factories import make_account


@pytest.fixture
def teacher_local(staff):
    return staff_handle_add(actor=staff.teacher, network=Network.LOCAL, handle="@Ms_Green")


# Recording handles.


@pytest.mark.parametrize(
    ("network", "typed", "kept"),
    [
        (Network.X, "@MsGreen_Teach", "msgreen_teach"),
        (Network.BLUESKY, "@msgreen.bsky.social", "msgreen.bsky.social"),
        (Network.MASTODON, "@MsGreen@Mastodon.Social", "msgreen@mastodon.social"),
        (Network.LOCAL, "ms_green", "ms_green"),
    ],
)
def test_each_network_takes_handles_written_its_own_way(network, typed, kept):
    assert normalise_handle(network, typed) == kept


@pytest.mark.parametrize(
    ("network", "typed", "says"),
    [
        (Network.X, "@far_too_long_for_x_handles", "15 letters"),
        (Network.X, "ms.green", "15 letters"),
        (Network.BLUESKY, "msgreen", "name with dots"),
        (Network.MASTODON, "@msgreen", "names the server"),
        (Network.LOCAL, "ms green", "letters, digits and underscores"),
    ],
)
def test_a_handle_the_network_would_not_have_is_refused_with_an_example(network, typed, says):
    with pytest.raises(ValidationError) as caught:
        normalise_handle(network, typed)
    assert says in caught.value.message_dict["handle"][0]


def test_a_handle_is_kept_for_the_person_at_their_school_and_audited(staff, teacher_local):
    assert teacher_local.membership == staff.teacher
    assert teacher_local.handle == "ms_green"
    event = AuditEvent.objects.get(action="staff_handle.added")
    assert event.school_id == staff.teacher.school_id and event.actor_id == staff.teacher.user_id


def test_a_colleague_cannot_record_the_same_account_at_the_same_school(staff, teacher_local):
    with pytest.raises(ValidationError) as caught:
        staff_handle_add(actor=staff.ta, network=Network.LOCAL, handle="ms_green")
    assert "Another member of staff" in caught.value.message_dict["handle"][0]


def test_another_school_may_have_the_same_handle_recorded(staff, outsider, teacher_local):
    theirs = staff_handle_add(actor=outsider.teacher, network=Network.LOCAL, handle="ms_green")
    assert theirs.membership.school == outsider.school


def test_only_the_person_removes_their_handle(staff, teacher_local):
    with pytest.raises(PermissionDenied):
        staff_handle_remove(actor=staff.head, staff_handle=teacher_local)
    staff_handle_remove(actor=staff.teacher, staff_handle=teacher_local)
    assert not StaffHandle.objects.exists()
    assert AuditEvent.objects.filter(action="staff_handle.removed").exists()


# What each network says about privacy.


def test_x_reports_a_protected_account_as_private(school, x_stub):
    account = make_account(school, "alpha_school")
    account.network = "x"
    account.credentials = x_stub.oauth2_credentials(x_stub.add_user("alpha_school"))
    account.save()
    x_stub.add_user("msgreen_teach").protected = True
    x_stub.add_user("open_teacher")

    network = get_network(account)

    assert network.user_by_handle("msgreen_teach").is_private is True
    assert network.user_by_handle("open_teacher").is_private is False


def test_mastodon_reports_a_locked_account_as_private(school, mastodon_stub):
    account = make_account(school, "alpha_school")
    account.network = "mastodon"
    account.credentials, account.network_settings = mastodon_stub.connect(mastodon_stub.add_account("alpha_school"))
    account.save()
    mastodon_stub.add_account("msgreen").locked = True
    mastodon_stub.add_account("open_teacher")

    network = get_network(account)

    assert network.user_by_handle("msgreen").is_private is True
    assert network.user_by_handle("open_teacher").is_private is False


def test_the_local_network_reports_its_own_private_flag(accounts):
    local.simulate_person("ms_green", is_private=True)
    local.simulate_person("open_teacher")
    network = get_network(accounts.whole_school)

    assert network.user_by_handle("ms_green").is_private is True
    assert network.user_by_handle("open_teacher").is_private is False


def test_bluesky_says_it_has_no_private_accounts(staff, school):
    bluesky = make_account(school, "alpha.bsky.social")
    bluesky.network = "bluesky"
    bluesky.save()
    staff_handle_add(actor=staff.teacher, network=Network.BLUESKY, handle="msgreen.bsky.social")

    [line] = staff_accounts.check_member_handles(membership=staff.teacher)

    assert "Bluesky has no private accounts" in line
    handle = StaffHandle.objects.get()
    assert handle.is_private is None and not handle.reminder_open
    assert mail.outbox == []


# The follower review.


def test_a_follower_with_a_staff_handle_is_marked_staff_and_not_private(staff, accounts, teacher_local):
    local.simulate_follow(local.simulate_person("ms_green", display_name="Ms Green"), accounts.whole_school)
    local.simulate_follow(local.simulate_person("a_parent"), accounts.whole_school)

    sync_followers(accounts.whole_school)
    followers = list(Follower.objects.filter(account=accounts.whole_school).select_related("account"))
    staff_accounts.mark_staff_followers(followers, school=accounts.whole_school.school)

    marks = {f.handle: f.staff for f in followers}
    assert marks["a_parent"] is None
    assert marks["ms_green"].name == str(staff.teacher.user)
    assert marks["ms_green"].is_private is False


def test_a_staff_handle_on_another_network_is_not_matched(staff, accounts):
    staff_handle_add(actor=staff.teacher, network=Network.X, handle="ms_green")
    local.simulate_follow(local.simulate_person("ms_green"), accounts.whole_school)

    sync_followers(accounts.whole_school)

    assert mail.outbox == []
    assert not StaffHandle.objects.get().reminder_open


def test_a_mastodon_follower_on_the_schools_own_server_matches_the_full_handle(school, staff):
    account = make_account(school, "alpha_school")
    account.network = "mastodon"
    account.network_settings = {"server": "https://toot.school.example", "domain": "toot.school.example"}
    staff_handle_add(actor=staff.teacher, network=Network.MASTODON, handle="@MsGreen@toot.school.example")

    assert staff_accounts.follower_key(account, "MsGreen") == "msgreen@toot.school.example"
    assert staff_accounts.follower_key(account, "msgreen@other.example") == "msgreen@other.example"


# Reminders: only to the person, at most once a period, cleared when private.


def test_a_public_staff_follower_reminds_only_that_person_once(
    staff, accounts, teacher_local, django_capture_on_commit_callbacks
):
    local.simulate_follow(local.simulate_person("ms_green"), accounts.whole_school)

    with django_capture_on_commit_callbacks(execute=True):
        sync_followers(accounts.whole_school)
        sync_followers(accounts.whole_school)

    [email] = mail.outbox
    assert email.to == [staff.teacher.user.email]
    assert "@ms_green" in email.body and "private" in email.body
    teacher_local.refresh_from_db()
    assert teacher_local.reminder_open and teacher_local.is_private is False
    assert AuditEvent.objects.filter(action="staff_handle.reminded").count() == 1
    # Nothing was sent on the network: no post, no mention, no message.
    assert not accounts.whole_school.local_posts.exists()


def test_the_reminder_is_emailed_again_only_after_the_period(staff, teacher_local, django_capture_on_commit_callbacks):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_handle_record_check(staff_handle=teacher_local, is_private=False, now=now)
        assert not staff_handle_record_check(staff_handle=teacher_local, is_private=False, now=now + timedelta(days=29))
        assert staff_handle_record_check(staff_handle=teacher_local, is_private=False, now=now + REMINDER_PERIOD)
    assert len(mail.outbox) == 2


def test_the_reminder_clears_when_the_account_becomes_private(client_for, staff, accounts, teacher_local):
    person = local.simulate_person("ms_green")
    local.simulate_follow(person, accounts.whole_school)
    sync_followers(accounts.whole_school)
    assert "Your own accounts" in client_for(staff.teacher).get(reverse("dashboard")).content.decode()

    person.is_private = True
    person.save()
    sync_followers(accounts.whole_school)

    teacher_local.refresh_from_db()
    assert teacher_local.is_private is True and not teacher_local.reminder_open
    assert AuditEvent.objects.filter(action="staff_handle.reminder_cleared").exists()
    assert "Your own accounts" not in client_for(staff.teacher).get(reverse("dashboard")).content.decode()


def test_the_reminder_is_on_the_persons_dashboard_and_nobody_elses(client_for, staff, accounts, teacher_local):
    staff_handle_record_check(staff_handle=teacher_local, is_private=False)

    assert "@ms_green" in client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert "@ms_green" not in client_for(staff.head).get(reverse("dashboard")).content.decode()


def test_check_my_accounts_now_looks_the_handle_up_through_the_schools_account(staff, accounts, teacher_local):
    local.simulate_person("ms_green", is_private=True)

    [line] = staff_accounts.check_member_handles(membership=staff.teacher)

    assert line == "@ms_green on the local network is private."
    teacher_local.refresh_from_db()
    assert teacher_local.is_private is True and teacher_local.checked_at is not None
    assert mail.outbox == []


def test_check_now_says_when_the_school_has_no_account_on_that_network(staff, accounts):
    staff_handle_add(actor=staff.teacher, network=Network.X, handle="ms_green")

    [line] = staff_accounts.check_member_handles(membership=staff.teacher)

    assert "no working account on X" in line
