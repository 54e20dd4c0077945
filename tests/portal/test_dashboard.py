from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.models import Role, SocialAccount

from ..factories import make_member


def test_teacher_sees_the_class_account_they_post_for(client_for, staff, accounts):
    page = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert "@alpha_year3" in page
    assert "@alpha_school" not in page, "class teachers do not post for the whole-school account"


def test_senior_leader_sees_the_whole_school_account(client_for, staff, accounts):
    page = client_for(staff.slt).get(reverse("dashboard")).content.decode()
    assert "@alpha_school" in page and "@alpha_year3" not in page


def test_headteacher_sees_who_still_needs_a_second_factor(client_for, staff, school):
    make_member(school, "newslt@alpha.test", [Role.SENIOR_LEADER], first_name="Priya")
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "Waiting for a second sign-in step" in page and "Priya" in page


def test_headteacher_sees_pending_invitations_and_broken_accounts(client_for, staff, accounts):
    services.invitation_create(actor=staff.head, email="new@alpha.test", roles=[Role.CLASS_TEACHER])
    SocialAccount.objects.filter(pk=accounts.year3.pk).update(
        status=SocialAccount.Status.ERROR, last_error="The network refused the saved sign-in: reconnect it."
    )
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert "1</span> invitation waiting" in page
    assert "reconnect it" in page


def test_menu_follows_the_role(client_for, staff):
    teacher_page = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert reverse("staff_list") not in teacher_page and reverse("audit_log") not in teacher_page
    head_page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert reverse("staff_list") in head_page and reverse("audit_log") in head_page


def _queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_staff(client_for, staff, school):
    client = client_for(staff.head)
    _queries_for(client, reverse("dashboard"))
    before = _queries_for(client, reverse("dashboard"))
    for i in range(15):
        make_member(school, f"slt{i}@alpha.test", [Role.SENIOR_LEADER])
    assert _queries_for(client, reverse("dashboard")) == before


def test_health_check_answers_without_signing_in(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"


def test_dashboard_query_count_does_not_grow_with_posts_that_need_attention(client_for, staff, accounts):
    from posts.models import Post, PostStatus

    def add(n):
        Post.objects.bulk_create(
            Post(
                account=accounts.year3,
                author=staff.teacher.user,
                text=f"Failed post {i}",
                status=PostStatus.FAILED,
                failure_reason="X is not available on this API tier.",
            )
            for i in range(n)
        )

    client = client_for(staff.head)
    add(2)
    _queries_for(client, reverse("dashboard"))
    before = _queries_for(client, reverse("dashboard"))
    add(30)
    assert _queries_for(client, reverse("dashboard")) == before
    page = client.get(reverse("dashboard")).content.decode()
    assert "Posts that have not gone out" in page
    assert page.count('class="publishing-problem"') == 20  # the newest twenty
