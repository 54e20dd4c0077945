"""Who may open which page: every view of the portal is listed here once, and the tests
check each against every role and against another school's objects."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import services
from accounts.models import Invitation, Membership, Role, SocialAccount
from consent.models import CarerRelationship, ConsentDecision, ConsentMethod, ConsentPurpose, ConsentRecord, Pupil
from moderation.models import Rule
from posts.models import Post, PostImage

ALL_ROLES = list(Role)

# url name -> (method, needs an object, roles allowed)
VIEWS = {
    "dashboard": ("get", None, ALL_ROLES),
    "audit_log": ("get", None, [Role.HEADTEACHER]),
    "staff_list": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "staff_edit": ("get", "membership", [Role.HEADTEACHER]),
    "staff_deactivate": ("post", "membership", [Role.HEADTEACHER]),
    "staff_reactivate": ("post", "membership", [Role.HEADTEACHER]),
    "invitation_revoke": ("post", "invitation", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "social_account_list": ("get", None, [Role.HEADTEACHER]),
    "social_account_create": ("get", None, [Role.HEADTEACHER]),
    "social_account_edit": ("get", "social_account", [Role.HEADTEACHER]),
    "school_switch": ("post", None, ALL_ROLES),
    "consent_register": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_bulk_entry": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_coverage": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER, Role.OFFICE_ADMIN]),
    "consent_pupil": ("get", "pupil", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_record_create": ("post", "pupil", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_never_publish": ("post", "pupil", [Role.HEADTEACHER]),
    "consent_withdraw": ("post", "consent_record", [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_map": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_preview": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_apply": ("post", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_import_job": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "consent_export": ("get", None, [Role.HEADTEACHER, Role.OFFICE_ADMIN]),
    "take_down_list": ("get", None, [Role.HEADTEACHER, Role.SENIOR_LEADER]),
    "post_take_down": ("post", "post", [Role.HEADTEACHER, Role.SENIOR_LEADER]),
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
}
PUBLIC_VIEWS = {"invitation_accept", "healthz", "local_timeline", "local_network_media"}
PORTAL_APPS = ("accounts", "portal", "consent", "posts", "moderation", "audit")


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
    }


def _url(name: str, obj_kind: str | None, objects: dict) -> str:
    return reverse(name, args=[objects[obj_kind].pk]) if obj_kind else reverse(name)


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
