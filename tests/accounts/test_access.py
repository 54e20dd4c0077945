"""Who may open which page: every view of the portal is listed here once, and the tests
check each against every role and against another school's objects."""

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import services, services_devices
from accounts.models import ApprovalCover, Delegation, Invitation, Membership, Role, SchoolDevice, SocialAccount
from community.models import (
    BlockedAccount,
    Concern,
    Follower,
    FollowRequest,
    Incident,
    IncidentEntry,
    MentionItem,
    OutgoingMessage,
)
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from moderation.models import Rule
from posts.models import Post, PostImage

ALL_ROLES = list(Role)

# url name -> (method, needs an object, roles allowed)
VIEWS = {
    "dashboard": ("get", None, ALL_ROLES),
    "audit_log": ("get", None, [Role.HEADTEACHER]),
    "audit_export": ("get", None, [Role.HEADTEACHER]),
    "staff_list": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "staff_edit": ("get", "membership", [Role.HEADTEACHER]),
    "staff_deactivate": ("post", "membership", [Role.HEADTEACHER]),
    "staff_reactivate": ("post", "membership", [Role.HEADTEACHER]),
    "invitation_revoke": ("post", "invitation", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "social_account_list": ("get", None, [Role.HEADTEACHER]),
    "social_account_create": ("get", None, [Role.HEADTEACHER]),
    "social_account_edit": ("get", "social_account", [Role.HEADTEACHER]),
    # Connecting an account to X (the table's account is on the local network: the views say it
    # needs no connection; tests/accounts/test_x_connect.py drives them on an X account).
    "x_connection": ("get", "social_account", [Role.HEADTEACHER]),
    "x_connect_start": ("post", "social_account", [Role.HEADTEACHER]),
    "x_connect_callback": ("get", None, [Role.HEADTEACHER]),
    "x_connect_oauth1": ("get", "social_account", [Role.HEADTEACHER]),
    "x_disconnect": ("post", "social_account", [Role.HEADTEACHER]),
    "x_check_connection": ("post", "social_account", [Role.HEADTEACHER]),
    # Connecting an account to Bluesky (the same local account: the views send it back to its page).
    "bluesky_connection": ("get", "social_account", [Role.HEADTEACHER]),
    "bluesky_connect": ("get", "social_account", [Role.HEADTEACHER]),
    "bluesky_disconnect": ("post", "social_account", [Role.HEADTEACHER]),
    "bluesky_check_connection": ("post", "social_account", [Role.HEADTEACHER]),
    # Connecting an account to Mastodon (the server is typed on the panel; the callback finds the account).
    "mastodon_connection": ("get", "social_account", [Role.HEADTEACHER]),
    "mastodon_connect_start": ("post", "social_account", [Role.HEADTEACHER]),
    "mastodon_connect_callback": ("get", None, [Role.HEADTEACHER]),
    "mastodon_disconnect": ("post", "social_account", [Role.HEADTEACHER]),
    "mastodon_check_connection": ("post", "social_account", [Role.HEADTEACHER]),
    "school_switch": ("post", None, ALL_ROLES),
    # Sign-in steps around allauth's pages: anyone signed in is sent on from them.
    "second_factor_required": ("get", None, ALL_ROLES),
    "signin_continue": ("get", None, ALL_ROLES),
    "consent_register": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_bulk_entry": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_coverage": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.OFFICE_ADMIN]),
    "consent_pupil": ("get", "pupil", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_record_create": ("post", "pupil", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_never_publish": ("post", "pupil", [Role.HEADTEACHER]),
    "consent_pupil_other_names": ("post", "pupil", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_withdraw": ("post", "consent_record", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_encoding": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_map": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_preview": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_apply": ("post", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_job": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_export": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "take_down_list": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "post_take_down": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "post_take_down_everywhere": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "post_retry_publish": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    # The photo page: the post's author (the Year 3 teacher here) and the approvers.
    "post_photo": ("get", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_pupils": ("get", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_face_resolve": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_face_add": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_face_delete": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_tag": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "post_photo_untag": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER]),
    "review_queue": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "review_post": ("get", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "review_approve": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "review_request_changes": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "review_reject": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "review_comment": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "post_calendar": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    # Trip mode (the headteacher only) and approvers' email preferences.
    "delegation_list": ("get", None, [Role.HEADTEACHER]),
    "delegation_create": ("post", None, [Role.HEADTEACHER]),
    "delegation_revoke": ("post", "delegation", [Role.HEADTEACHER]),
    "email_preferences": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    # The website feed's addresses and code (issue 17); its settings are the headteacher's alone.
    "website_feed": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.COMPUTING_LEAD]),
    # The policy (everyone reads it) and the rules for posts (headteacher and computing lead).
    "policy_current": ("get", None, ALL_ROLES),
    "policy_acknowledge": ("post", None, ALL_ROLES),
    "policy_edit": ("get", None, [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    "policy_sign_off": ("get", None, [Role.HEADTEACHER]),
    "rules_list": ("get", None, [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    "rule_create": ("get", None, [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    "rules_try": ("post", None, [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    "rule_edit": ("get", "rule", [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    "rule_delete": ("post", "rule", [Role.HEADTEACHER, Role.COMPUTING_LEAD]),
    # The audience (issue 7): followers and blocks for the headteacher and the office admin; any
    # member of staff proposes an account to follow, the headteacher decides.
    "audience_followers": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_sync_now": ("post", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_follower_decide": ("post", "follower", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_follower_report": ("post", "follower", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_follower_remove": ("post", "follower", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_blocked": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_blocked_csv": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_block_done": ("post", "blocked_account", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_block_lift": ("post", "blocked_account", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_blocked_report": ("post", "blocked_account", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_blocked_remove_follower": ("post", "blocked_account", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "audience_following": ("get", None, ALL_ROLES),
    "audience_follow_propose": ("post", None, ALL_ROLES),
    "audience_follow_decide": ("post", "follow_request", [Role.HEADTEACHER]),
    "audience_unfollow": ("post", "follow_request", [Role.HEADTEACHER]),
    # The mentions inbox (headteacher and office admin); concerns (anyone raises one) and incidents
    # (the headteacher handles them, senior leaders read them).
    "inbox_list": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "inbox_fetch": ("post", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_mark_ok": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_hide_reply": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_mute_author": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_block_author": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_mark_reported": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_report_author": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_limit_replies": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "mention_escalate": ("post", "mention", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "concern_raise": ("get", None, ALL_ROLES),
    "concern_list": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "concern_detail": ("get", "concern", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "concern_open_incident": ("post", "concern", [Role.HEADTEACHER]),
    "concern_resolve": ("post", "concern", [Role.HEADTEACHER]),
    "concern_add_to_incident": ("post", "concern", [Role.HEADTEACHER]),
    "incident_list": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "incident_create": ("get", None, [Role.HEADTEACHER]),
    "incident_detail": ("get", "incident", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "incident_add_entry": ("post", "incident", [Role.HEADTEACHER]),
    "incident_refer": ("post", "incident", [Role.HEADTEACHER]),
    "incident_set_severity": ("post", "incident", [Role.HEADTEACHER]),
    "incident_close": ("post", "incident", [Role.HEADTEACHER]),
    "incident_reopen": ("post", "incident", [Role.HEADTEACHER]),
    # The compose page (issue 5). The table's post is the Year 3 teacher's draft; drafting roles
    # reach the pages that are not about one post.
    "post_compose": (
        "get",
        None,
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    "post_list_mine": (
        "get",
        None,
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    "post_text_feedback": (
        "post",
        None,
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    "post_edit": ("get", "post", [Role.CLASS_TEACHER]),
    "post_image_upload": ("post", "post", [Role.CLASS_TEACHER]),
    "post_image_remove": ("post", "image", [Role.CLASS_TEACHER]),
    "post_image_alt_text": ("post", "image", [Role.CLASS_TEACHER]),
    # A photo's thumbnail or rendition: the author, the class's other drafters and the approvers.
    "post_image_file": (
        "get",
        "image",
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    # School devices (issue 18): the headteacher's page; the enrolment pages are for anyone on
    # the staff (the link is opened on the device by whoever holds it).
    "device_list": ("get", None, [Role.HEADTEACHER]),
    "device_rename": ("post", "device", [Role.HEADTEACHER]),
    "device_revoke": ("post", "device", [Role.HEADTEACHER]),
    "device_new_link": ("post", "device", [Role.HEADTEACHER]),
    "device_enrol_code": ("get", None, ALL_ROLES),
    "device_enrol": ("get", "device_token", ALL_ROLES),
    # Reposts (issue 18): the drafting roles start one; a repost's draft is its author's (the
    # table's post is the Year 3 teacher's, an ordinary post, which the page sends to its own).
    "post_repost_compose": (
        "get",
        None,
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    "post_repost_edit": ("get", "post", [Role.CLASS_TEACHER]),
    # Staff's own accounts (issue 18): each person's own page; the headteacher's read-only list.
    "staff_handles": ("get", None, ALL_ROLES),
    "staff_handle_delete": ("post", None, ALL_ROLES),
    "staff_handles_check": ("post", None, ALL_ROLES),
    "staff_handles_school": ("get", None, [Role.HEADTEACHER]),
    # Private messages (issue 18). The table's message is the headteacher's, from the whole-school
    # account: those who write or approve for that account open it; only its author sends it on.
    "message_list": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT]),
    "message_compose": (
        "get",
        None,
        [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.CLASS_TEACHER, Role.TEACHING_ASSISTANT],
    ),
    "message_detail": ("get", "outgoing_message", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "message_edit": ("get", "outgoing_message", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "message_submit": ("post", "outgoing_message", [Role.HEADTEACHER]),
    "message_review": ("post", "outgoing_message", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "message_retry": ("post", "outgoing_message", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    # Approval in more than one step (issue 18): the steps are the headteacher's; cover while away
    # is every approver's, and ending another person's cover (the table's is the headteacher's) is
    # the headteacher's.
    "approval_settings": ("get", None, [Role.HEADTEACHER]),
    "approval_chain_edit": ("get", "social_account", [Role.HEADTEACHER]),
    "approval_covers": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "approval_cover_create": ("post", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "approval_cover_revoke": ("post", "approval_cover", [Role.HEADTEACHER]),
}
PUBLIC_VIEWS = {"invitation_accept", "healthz", "local_timeline", "local_network_media", "local_person"}
# allauth's sign-in steps, answered by the portal's subclasses (accounts.views_signin): before
# anyone is signed in; the code step needs a right password first (allauth's login stage).
PUBLIC_VIEWS |= {"account_login", "mfa_authenticate"}
# The school's website feed (issue 17): published posts, for anyone.
PUBLIC_VIEWS |= {"feed_school_atom", "feed_school_list", "feed_photo", "feed_account_atom", "feed_account_list"}
PORTAL_APPS = ("accounts", "networks", "portal", "consent", "posts", "moderation", "community", "audit")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """The photos made for the table's posts are written under the test's own directory."""
    settings.MEDIA_ROOT = str(tmp_path)


def _portal_url_names() -> set[str]:
    names = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                module = getattr(pattern.callback, "__module__", "")
                if module.split(".")[0] in PORTAL_APPS:
                    names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_view_is_in_the_access_table():
    assert _portal_url_names() == set(VIEWS) | PUBLIC_VIEWS


def _objects_at(school_staff_member: Membership) -> dict:
    """One object of each kind at the member's school, made by that school's headteacher."""
    school = school_staff_member.school
    head = Membership.objects.get(school=school, role_assignments__role=Role.HEADTEACHER)
    head = Membership.objects.prefetch_related("role_assignments").get(pk=head.pk)
    invitation, _ = services.invitation_create(
        actor=head, email=f"invitee@{school.slug}.test", roles=[Role.CLASS_TEACHER]
    )
    pupil = Pupil.objects.create(school=school, first_name="Ada", surname=f"Pupil-{school.slug}")
    record = ConsentRecord.objects.create(
        pupil=pupil,
        purpose=ConsentPurpose.SOCIAL_PHOTO,
        decision=ConsentDecision.GIVEN,
        given_by_name="A Parent",
        relationship=CarerRelationship.PARENT,
        method=ConsentMethod.ADMISSION_FORM,
        decided_on=date(2026, 9, 4),
        recorded_by=head.user,
    )
    teacher = Membership.objects.filter(school=school, role_assignments__role=Role.CLASS_TEACHER).first()
    post = Post.objects.create(
        account=SocialAccount.objects.filter(school=school).first(), author=(teacher or head).user, text="Hello"
    )
    image = PostImage.objects.create(post=post, alt_text="Paper volcanoes", width=1, height=1)
    image.thumbnail.save("thumbnail.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    image.rendition.save("rendition.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=True)
    return {
        "post": post,
        "image": image,
        "pupil": pupil,
        "consent_record": record,
        "membership": Membership.objects.filter(school=school).exclude(pk=head.pk).first(),
        "invitation": invitation,
        "social_account": SocialAccount.objects.filter(school=school).first(),
        "rule": Rule.objects.create(school=school, type="tone", severity="warn"),
        **_audience_objects(school, head),
        **_inbox_objects(school, head),
        "outgoing_message": OutgoingMessage.objects.create(
            account=SocialAccount.objects.get(school=school, kind=SocialAccount.Kind.WHOLE_SCHOOL),
            author=head.user,
            recipient_handle=f"museum_near_{school.slug}",
            purpose="visit",
            text="Could we visit on Friday?",
        ),
        # Trip mode starting tomorrow, so it changes nobody's access today.
        "delegation": Delegation.objects.create(
            account=SocialAccount.objects.get(school=school, kind=SocialAccount.Kind.WHOLE_SCHOOL),
            delegate=(teacher or head).user,
            starts_on=timezone.localdate() + timedelta(days=1),
            ends_on=timezone.localdate() + timedelta(days=2),
            created_by=head.user,
        ),
        **_device_objects(head),
        # Cover for the headteacher starting tomorrow, so it changes nobody's access today.
        "approval_cover": ApprovalCover.objects.create(
            school=school,
            absent=head,
            delegate=Membership.objects.filter(school=school).exclude(pk=head.pk).first(),
            starts_on=timezone.localdate() + timedelta(days=1),
            ends_on=timezone.localdate() + timedelta(days=2),
            created_by=head.user,
        ),
    }


def _device_objects(head: Membership) -> dict:
    enrolment = services_devices.device_add(actor=head, name=f"iPad of {head.school.slug}")
    return {"device": enrolment.device, "device_token": enrolment.token}


def _inbox_objects(school, head: Membership) -> dict:
    mention = MentionItem.objects.create(
        account=SocialAccount.objects.filter(school=school).first(),
        network_id="501",
        author_id="502",
        author_handle=f"critic_of_{school.slug}",
        text="Not impressed",
        created_at=timezone.now(),
    )
    return {
        "mention": mention,
        "incident": Incident.objects.create(school=school, title="Unkind replies", opened_by=head.user),
        "concern": Concern.objects.create(
            school=school, raised_by=head.user, mention=mention, description="Unkind words about a class"
        ),
    }


def _audience_objects(school, head: Membership) -> dict:
    account = SocialAccount.objects.filter(school=school).first()
    follower = Follower.objects.create(account=account, network_user_id="77", handle=f"fan_of_{school.slug}")
    return {
        "follower": follower,
        "blocked_account": BlockedAccount.objects.create(
            account=account,
            network_user_id="78",
            handle=f"troll_of_{school.slug}",
            reason="Abusive replies",
            decided_by=head.user,
            how=BlockedAccount.How.MANUAL_PENDING,
        ),
        "follow_request": FollowRequest.objects.create(
            account=account, handle=f"author_for_{school.slug}", why="Children's author", proposed_by=head.user
        ),
    }


def _url(name: str, obj_kind: str | None, objects: dict) -> str:
    if not obj_kind:
        return reverse(name)
    target = objects[obj_kind]
    return reverse(name, args=[target if isinstance(target, str) else target.pk])


@pytest.mark.parametrize("name", sorted(VIEWS))
@pytest.mark.parametrize("role", ALL_ROLES)
def test_roles_gate_every_view(client_for, staff, accounts, name, role):
    method, obj_kind, allowed = VIEWS[name]
    member = next(m for m in vars(staff).values() if isinstance(m, Membership) and role in m.roles)
    objects = _objects_at(staff.head)
    if obj_kind == "membership":
        objects["membership"] = staff.computing
    client = client_for(member)
    data = {"school": staff.head.school_id} if name == "school_switch" else {}

    response = getattr(client, method)(_url(name, obj_kind, objects), data)

    if role in allowed:
        # 400 is the form saying what is missing from the empty POST: the person got in.
        assert response.status_code in (200, 302, 400), f"{role} should reach {name}"
        assert response.status_code != 302 or "/accounts/login" not in response.url
    else:
        assert response.status_code == 403, f"{role} must not reach {name}"


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_signed_out_visitors_are_sent_to_sign_in(client, staff, accounts, name):
    method, obj_kind, _allowed = VIEWS[name]
    response = getattr(client, method)(_url(name, obj_kind, _objects_at(staff.head)))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def _state_of(school) -> tuple:
    return (
        list(Membership.objects.filter(school=school).values_list("pk", "is_active")),
        list(Invitation.objects.filter(school=school).values_list("pk", "revoked_at")),
        list(Pupil.objects.filter(school=school).values_list("pk", "never_publish")),
        list(ConsentRecord.objects.filter(pupil__school=school).values_list("pk", "withdrawn_at")),
        list(Post.objects.filter(account__school=school).values_list("pk", "status")),
        list(Rule.objects.filter(school=school).values_list("pk", "enabled", "parameters")),
        list(Follower.objects.filter(account__school=school).values_list("pk", "status")),
        list(BlockedAccount.objects.filter(account__school=school).values_list("pk", "how", "lifted_at")),
        list(FollowRequest.objects.filter(account__school=school).values_list("pk", "status")),
        list(MentionItem.objects.filter(account__school=school).values_list("pk", "status", "incident")),
        list(Concern.objects.filter(school=school).values_list("pk", "incident", "resolved_at")),
        list(Incident.objects.filter(school=school).values_list("pk", "status", "severity", "referred_to")),
        list(IncidentEntry.objects.filter(incident__school=school).values_list("pk")),
        list(SchoolDevice.objects.filter(school=school).values_list("pk", "name", "revoked_at", "enrolled_at")),
        list(OutgoingMessage.objects.filter(account__school=school).values_list("pk", "status", "text")),
    )


@pytest.mark.parametrize("name", sorted(n for n, (_, kind, _) in VIEWS.items() if kind))
def test_another_schools_objects_are_not_found(client_for, staff, accounts, outsider, name):
    method, obj_kind, _allowed = VIEWS[name]
    theirs = _objects_at(outsider.head)
    before = _state_of(outsider.school)

    response = getattr(client_for(staff.head), method)(_url(name, obj_kind, theirs))

    assert response.status_code == 404
    assert _state_of(outsider.school) == before


@pytest.mark.parametrize(
    "name", ["staff_list", "social_account_list", "audit_log", "dashboard", "consent_register", "consent_coverage"]
)
def test_lists_show_nothing_of_another_school(client_for, staff, accounts, outsider, name):
    _objects_at(outsider.head)
    page = client_for(staff.head).get(reverse(name)).content.decode()
    for secret in (
        "head@beta.test",
        "teacher@beta.test",
        "beta_school",
        "invitee@beta.test",
        "Beta Primary",
        "Pupil-beta",
    ):
        assert secret not in page


def test_cannot_switch_to_a_school_you_are_not_on(client_for, staff, outsider):
    response = client_for(staff.head).post(reverse("school_switch"), {"school": outsider.school.pk})
    assert response.status_code == 403


def test_someone_on_two_schools_works_in_the_one_they_choose(client_for, staff, outsider):
    _invitation, token = services.invitation_create(
        actor=outsider.head, email=staff.teacher.user.email, roles=[Role.CLASS_TEACHER]
    )
    services.invitation_accept(token=token, existing_user=staff.teacher.user)
    client = client_for(staff.teacher)
    assert "Alpha Primary" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("school_switch"), {"school": outsider.school.pk})
    assert "Beta Primary" in client.get(reverse("dashboard")).content.decode()
