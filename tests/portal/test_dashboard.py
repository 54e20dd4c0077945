"""The dashboard: each person sees their next job first, whatever roles they hold, and nothing from
another school; the page costs the same queries however much data there is."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts import services
from accounts.models import Role, SocialAccount
from community import incidents
from consent.models import (
    CarerRelationship,
    ConsentDecision,
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    ImportJob,
    ImportJobStatus,
    Pupil,
)
from moderation.services import policy_acknowledge, policy_seed_default, seed_default_rules
from portal.selectors import DASHBOARD_ROWS
from portal.templatetags.dashboard import age_in_words
from posts.models import Post, PostImage, PostStatus
from posts.services import post_create, post_request_changes, post_submit
from posts.services import trip_mode as trips

from ..factories import enable_totp, make_account, make_class, make_member

# Reading the page as a person does: its headings in order, one panel's words, the first button.


def _text(fragment: str) -> str:
    return " ".join(html.unescape(strip_tags(fragment)).split())


def _main(page: str) -> str:
    return page[page.index("<main") :]


def panel_headings(page: str) -> list[str]:
    return [_text(h) for h in re.findall(r"<h2\b[^>]*>(.*?)</h2>", _main(page), re.S)]


def panel(page: str, heading: str) -> str:
    """The words of the panel with this heading (empty when there is none)."""
    for section in re.findall(r"<section\b.*?</section>", _main(page), re.S):
        found = re.search(r"<h2\b[^>]*>(.*?)</h2>", section, re.S)
        if found and _text(found.group(1)) == heading:
            return _text(section)
    return ""


def panel_html(page: str, heading: str) -> str:
    for section in re.findall(r"<section\b.*?</section>", _main(page), re.S):
        found = re.search(r"<h2\b[^>]*>(.*?)</h2>", section, re.S)
        if found and _text(found.group(1)) == heading:
            return section
    return ""


def list_lengths(fragment: str) -> list[int]:
    """How many rows each list of a panel shows."""
    lists = re.findall(r'<ul\b[^>]*class="[^"]*\bdash-list\b[^"]*"[^>]*>(.*?)</ul>', fragment, re.S)
    return [len(re.findall(r"<li\b", items)) for items in lists]


def first_button(page: str) -> tuple[str, str]:
    """(words, href) of the first link styled as a button, or button, in the page's main part."""
    found = re.search(
        r'<a\b[^>]*class="[^"]*\bbutton\b[^"]*"[^>]*href="([^"]*)"[^>]*>(.*?)</a>'
        r'|<a\b[^>]*href="([^"]*)"[^>]*class="[^"]*\bbutton\b[^"]*"[^>]*>(.*?)</a>'
        r"|<button\b[^>]*>(.*?)</button>",
        _main(page),
        re.S,
    )
    assert found, "no button on the page"
    href = found.group(1) or found.group(3) or ""
    words = found.group(2) or found.group(4) or found.group(5)
    return _text(words), href


def dashboard(client_for, member) -> str:
    response = client_for(member).get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def submitted(staff, accounts):
    """A post by the class teacher, sent for approval `days_ago` days ago, optionally with photos."""

    def make(text: str, *, days_ago: float = 0, photos: int = 0, author=None, account=None) -> Post:
        post = post_create(actor=author or staff.teacher, account=account or accounts.year3, text=text)
        for position in range(photos):
            PostImage.objects.create(post=post, position=position, alt_text="Children planting", width=8, height=6)
        post_submit(actor=author or staff.teacher, post=post)
        Post.objects.filter(pk=post.pk).update(submitted_at=timezone.now() - timedelta(days=days_ago))
        post.refresh_from_db()
        return post

    return make


def pupil(school, class_group, first_name, surname="Smith", **kwargs) -> Pupil:
    return Pupil.objects.create(
        school=school, class_group=class_group, first_name=first_name, surname=surname, **kwargs
    )


def decide(pupil, purpose, staff, *, decision=ConsentDecision.GIVEN, expires_on=None, withdrawn_days_ago=None):
    record = ConsentRecord.objects.create(
        pupil=pupil,
        purpose=purpose,
        decision=decision,
        given_by_name=f"Parent of {pupil.first_name}",
        relationship=CarerRelationship.PARENT,
        method=ConsentMethod.ADMISSION_FORM,
        decided_on=timezone.localdate() - timedelta(days=200),
        expires_on=expires_on,
        recorded_by=staff.office.user,
    )
    if withdrawn_days_ago is not None:
        ConsentRecord.objects.filter(pk=record.pk).update(
            withdrawn_at=timezone.now() - timedelta(days=withdrawn_days_ago), withdrawn_by=staff.office.user
        )
    return record


def answered(pupil, staff):
    for purpose in (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME):
        decide(pupil, purpose, staff)


# Approvers: posts waiting for them come first.


def test_headteacher_sees_how_many_posts_wait_and_for_how_long_first(client_for, staff, accounts, submitted):
    submitted("Our Year 3 gardeners planted sunflowers and beans this afternoon in the rain", days_ago=2, photos=2)
    submitted("Reading morning with grandparents next Friday", days_ago=0.1)

    page = dashboard(client_for, staff.head)

    assert panel_headings(page)[0] == "Waiting for you"
    waiting = panel(page, "Waiting for you")
    assert "2 posts waiting for your approval, oldest waiting 2 days." in waiting
    assert "“Our Year 3 gardeners planted sunflowers and beans this afternoon in the rain”" in waiting
    assert "@alpha_year3 · by Teacher · 2 photos · waiting 2 days" in waiting
    assert "@alpha_year3 · by Teacher · 0 photos · waiting 2 hours" in waiting
    assert waiting.index("gardeners") < waiting.index("grandparents"), "the oldest comes first"
    assert f'href="{reverse("review_queue")}"' in panel_html(page, "Waiting for you")
    assert "Open the approval queue" in waiting


def test_approvers_are_not_asked_to_approve_their_own_posts(client_for, staff, accounts, submitted):
    submitted("Sports day moves to Thursday because of the weather.", author=staff.slt, account=accounts.whole_school)

    slt_page = dashboard(client_for, staff.slt)
    assert panel_headings(slt_page)[0] == "Nothing is waiting for you"
    assert "No posts are waiting for your approval" in panel(slt_page, "Nothing is waiting for you")
    mine = panel(slt_page, "Your posts on their way")
    assert "Waiting for approval" in mine and "Sports day moves to Thursday" in mine

    head_page = dashboard(client_for, staff.head)
    assert "1 post waiting for your approval, oldest waiting less than an hour." in panel(head_page, "Waiting for you")


def test_the_waiting_list_is_capped_with_a_way_to_the_queue(client_for, staff, submitted):
    for number in range(DASHBOARD_ROWS + 3):
        submitted(f"Class news number {number}", days_ago=10 - number)

    page = dashboard(client_for, staff.head)

    waiting = panel_html(page, "Waiting for you")
    assert f"{DASHBOARD_ROWS + 3} posts waiting for your approval, oldest waiting 10 days." in _text(waiting)
    assert list_lengths(waiting) == [DASHBOARD_ROWS]
    assert "Class news number 0" in waiting and f"Class news number {DASHBOARD_ROWS}" not in waiting


def test_senior_leader_sees_approvals_then_concerns(client_for, staff, submitted, django_capture_on_commit_callbacks):
    submitted("Harvest festival collection starts Monday.")
    with django_capture_on_commit_callbacks(execute=True):
        incidents.concern_raise(
            actor=staff.teacher, url="https://example.org/post/1", description="A reply names a pupil"
        )

    page = dashboard(client_for, staff.slt)

    assert panel_headings(page)[:2] == ["Waiting for you", "Concerns and incidents"]
    assert "1 new concern and 0 open incidents." in panel(page, "Concerns and incidents")
    assert "A reply names a pupil" in panel(page, "Concerns and incidents")


def test_posts_that_did_not_go_out_are_capped_with_a_link_to_the_calendar(client_for, staff, accounts):
    Post.objects.bulk_create(
        Post(
            account=accounts.year3,
            author=staff.teacher.user,
            text=f"Failed post {number}",
            status=PostStatus.FAILED,
            failure_reason="X is not available on this API tier.",
        )
        for number in range(DASHBOARD_ROWS + 2)
    )

    page = dashboard(client_for, staff.head)

    problems = panel_html(page, "Posts that have not gone out")
    assert f"{DASHBOARD_ROWS + 2} posts could not be published" in _text(problems)
    assert list_lengths(problems) == [DASHBOARD_ROWS]
    assert f'href="{reverse("post_calendar")}"' in problems
    assert panel_headings(page)[:2] == ["Waiting for you", "Posts that have not gone out"]


# People who write posts: "New post" first, then what came back to them.


def test_teachers_first_button_is_new_post(client_for, staff, accounts):
    assert first_button(dashboard(client_for, staff.teacher)) == ("New post", reverse("post_compose"))
    assert first_button(dashboard(client_for, staff.ta)) == ("New post", reverse("post_compose"))


def test_a_teacher_without_an_account_is_told_why_there_is_no_new_post_button(client_for, school, staff):
    page = dashboard(client_for, staff.teacher)
    assert reverse("post_compose") not in _main(page)
    assert "No social media account is linked to your role yet." in panel(page, "Your accounts")


def test_teacher_sees_the_approvers_comment_on_a_post_sent_back_first(client_for, staff, submitted):
    post = submitted("We went to the museum and saw a real mummy!")
    post_request_changes(actor=staff.head, post=post, comment="Please say which museum, for the parents.")

    page = dashboard(client_for, staff.teacher)

    assert panel_headings(page)[0] == "Sent back to you"
    sent_back = panel(page, "Sent back to you")
    assert "1 post came back to you." in sent_back
    assert "We went to the museum and saw a real mummy!" in sent_back
    assert "Changes requested by Head" in sent_back
    assert "Please say which museum, for the parents." in sent_back
    assert f'href="{reverse("post_edit", args=[post.pk])}"' in panel_html(page, "Sent back to you")
    assert "Make the changes" in sent_back
    assert "Your drafts" not in panel_headings(page), "a post sent back is not counted again as a draft"


def test_teacher_sees_drafts_waiting_scheduled_and_published_posts(client_for, staff, accounts, submitted):
    draft = post_create(actor=staff.teacher, account=accounts.year3, text="Notes for the class assembly")
    submitted("Book fair open after school all week")
    scheduled = post_create(actor=staff.teacher, account=accounts.year3, text="Swimming kit reminder")
    going_out_at = timezone.now() + timedelta(days=2)
    Post.objects.filter(pk=scheduled.pk).update(status=PostStatus.SCHEDULED, publish_at=going_out_at)
    published = post_create(actor=staff.teacher, account=accounts.year3, text="Well done to our spelling stars")
    Post.objects.filter(pk=published.pk).update(
        status=PostStatus.PUBLISHED, published_at=timezone.now() - timedelta(days=1), external_id="41"
    )
    old = post_create(actor=staff.teacher, account=accounts.year3, text="Last term's trip to the farm")
    Post.objects.filter(pk=old.pk).update(
        status=PostStatus.PUBLISHED, published_at=timezone.now() - timedelta(days=40), external_id="7"
    )

    page = dashboard(client_for, staff.teacher)

    assert panel_headings(page)[0] == "Your drafts"
    drafts = panel(page, "Your drafts")
    assert "1 draft not sent for approval yet." in drafts and "Notes for the class assembly" in drafts
    assert f'href="{reverse("post_edit", args=[draft.pk])}"' in panel_html(page, "Your drafts")
    on_their_way = panel(page, "Your posts on their way")
    assert "1 waiting for approval, 1 going out and 1 published in the last two weeks." in on_their_way
    assert "Book fair open after school all week" in on_their_way
    local = timezone.localtime(going_out_at)
    assert f"@alpha_year3 · Scheduled for {local:%A} {local.day} {local:%B}, {local:%H:%M}" in on_their_way
    assert "Well done to our spelling stars" in on_their_way
    assert "farm" not in on_their_way, "published more than two weeks ago"


def test_a_teacher_on_a_trip_is_told_they_post_for_the_whole_school(client_for, staff, accounts):
    trips.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.teacher,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + timedelta(days=2),
        note="Year 6 residential",
    )

    page = dashboard(client_for, staff.teacher)

    trip = panel(page, "Trip mode: you post for @alpha_school")
    ends = timezone.localdate() + timedelta(days=2)
    assert f"Until {ends:%A} {ends.day} {ends:%B} your posts to @alpha_school go out without waiting" in trip
    assert "Write a trip post" in trip
    assert "Trip mode" not in " ".join(panel_headings(dashboard(client_for, staff.ta)))


# Office staff: consent work.


@pytest.fixture
def consent_work(school, year3, staff):
    """Year 3: Ava and Ben answered; Cara and Dev have no answer yet. Ava's photo consent runs out in
    ten days; Ben's name consent was withdrawn yesterday. Year 4: Eli has no answer. An import is
    running and another failed this morning."""
    year4 = make_class(school, "Year 4", 4)
    ava, ben = pupil(school, year3, "Ava", "Brown"), pupil(school, year3, "Ben", "Jones")
    decide(ava, ConsentPurpose.SOCIAL_PHOTO, staff, expires_on=timezone.localdate() + timedelta(days=10))
    decide(ava, ConsentPurpose.SOCIAL_NAME, staff)
    decide(ben, ConsentPurpose.SOCIAL_PHOTO, staff)
    decide(ben, ConsentPurpose.SOCIAL_NAME, staff, withdrawn_days_ago=1)
    pupil(school, year3, "Cara", "Lee")
    pupil(school, year3, "Dev", "Shah")
    pupil(school, year4, "Eli", "Khan")
    ImportJob.objects.create(
        school=school,
        requested_by=staff.office.user,
        stored_file="imports/spring.csv",
        file_name="spring-register.csv",
        mapping={},
        status=ImportJobStatus.RUNNING,
        started_at=timezone.now(),
    )
    ImportJob.objects.create(
        school=school,
        requested_by=staff.office.user,
        stored_file="imports/broken.csv",
        file_name="broken-export.csv",
        mapping={},
        status=ImportJobStatus.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error_message="Line 14 has no surname, so nothing was imported.",
    )
    return {"year3": year3, "year4": year4, "ava": ava, "ben": ben}


def test_office_sees_paper_forms_to_type_in_first_with_a_link_per_class(client_for, staff, consent_work):
    page = dashboard(client_for, staff.office)

    assert panel_headings(page)[0] == "Paper forms to type in"
    forms = panel(page, "Paper forms to type in")
    assert "3 pupils on roll have no answer recorded for a photo or a first name on social media." in forms
    assert "Type in Year 3’s forms 2 pupils without an answer" in forms
    assert "Type in Year 4’s forms 1 pupil without an answer" in forms
    links = panel_html(page, "Paper forms to type in")
    assert f'href="{reverse("consent_bulk_entry")}?class={consent_work["year3"].pk}"' in links
    assert f'href="{reverse("consent_bulk_entry")}?class={consent_work["year4"].pk}"' in links


def test_office_sees_imports_withdrawals_and_consent_running_out(client_for, staff, consent_work):
    page = dashboard(client_for, staff.office)

    imports = panel(page, "Imports from the MIS")
    assert "Importing: spring-register.csv" in imports
    assert "Not imported: broken-export.csv Line 14 has no surname, so nothing was imported." in imports
    failed = ImportJob.objects.get(status=ImportJobStatus.FAILED)
    assert f'href="{reverse("consent_import_job")}?job={failed.pk}"' in panel_html(page, "Imports from the MIS")

    withdrawn = panel(page, "Consent withdrawn lately")
    assert "1 withdrawal recorded in the last two weeks." in withdrawn
    assert "Ben Jones, Year 3 First name on social media: withdrawn on" in withdrawn
    assert f'href="{reverse("consent_pupil", args=[consent_work["ben"].pk])}"' in panel_html(
        page, "Consent withdrawn lately"
    )

    running_out = panel(page, "Consent running out")
    last_day = timezone.localdate() + timedelta(days=10)
    assert "1 pupil has consent that ends in the next 30 days." in running_out
    assert (
        f"Ava Brown, Year 3 Photo on social media: last day {last_day:%A} {last_day.day} {last_day:%B}" in running_out
    )


def test_consent_renewed_or_ending_with_the_pupil_leaving_is_not_running_out(client_for, school, year3, staff):
    soon = timezone.localdate() + timedelta(days=10)
    renewed = pupil(school, year3, "Ruby", "Hall")
    decide(renewed, ConsentPurpose.SOCIAL_PHOTO, staff, expires_on=soon)
    decide(renewed, ConsentPurpose.SOCIAL_PHOTO, staff)  # a new form with no end date
    leaving = pupil(school, year3, "Leo", "Ward", leaving_date=soon)
    decide(leaving, ConsentPurpose.SOCIAL_PHOTO, staff, expires_on=soon + timedelta(days=5))
    far = pupil(school, year3, "Mia", "Cole")
    decide(far, ConsentPurpose.SOCIAL_PHOTO, staff, expires_on=timezone.localdate() + timedelta(days=90))

    assert panel(dashboard(client_for, staff.office), "Consent running out") == ""


def test_a_failed_import_followed_by_a_good_one_needs_nothing(client_for, school, staff):
    earlier = timezone.now() - timedelta(hours=2)
    failed = ImportJob.objects.create(
        school=school,
        requested_by=staff.office.user,
        stored_file="imports/first.csv",
        mapping={},
        status=ImportJobStatus.FAILED,
        started_at=earlier,
        finished_at=earlier,
    )
    ImportJob.objects.filter(pk=failed.pk).update(requested_at=earlier)
    ImportJob.objects.create(
        school=school,
        requested_by=staff.office.user,
        stored_file="imports/second.csv",
        mapping={},
        status=ImportJobStatus.DONE,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )

    page = dashboard(client_for, staff.office)

    assert panel(page, "Imports from the MIS") == ""
    assert panel_headings(page)[0] == "Nothing is waiting for you"


def test_someone_who_teaches_and_works_in_the_office_sees_the_post_sent_back_before_the_forms(
    client_for, school, year3, staff, accounts
):
    both = make_member(school, "both@alpha.test", [Role.CLASS_TEACHER, Role.OFFICE_ADMIN], [year3])
    enable_totp(both.user)
    post = post_create(actor=both, account=accounts.year3, text="Our class poem is on the wall")
    post_submit(actor=both, post=post)
    post_request_changes(actor=staff.head, post=post, comment="Lovely. Add the poem's title.")
    pupil(school, year3, "Nia", "Owen")

    page = dashboard(client_for, both)

    assert panel_headings(page)[:2] == ["Sent back to you", "Paper forms to type in"]
    assert first_button(page) == ("New post", reverse("post_compose"))


# Computing lead and everyone: the rules, the policy, and a calm page when nothing waits.


def test_computing_lead_sees_nothing_waiting_then_the_rules(client_for, staff, school):
    seed_default_rules(school)

    page = dashboard(client_for, staff.computing)

    assert panel_headings(page)[0] == "Nothing is waiting for you"
    assert "You can change the rules for posts" in panel(page, "Nothing is waiting for you")
    rules = panel(page, "Rules for posts")
    assert re.search(r"\d+ rules? stops? a post and \d+ warns? its author", rules), rules
    assert f'href="{reverse("rules_list")}"' in panel_html(page, "Rules for posts")


def test_a_teacher_with_nothing_to_do_is_told_so_and_what_they_can_do(client_for, staff, accounts):
    page = dashboard(client_for, staff.teacher)

    assert panel_headings(page)[0] == "Nothing is waiting for you"
    assert "To write one for @alpha_year3, choose New post." in panel(page, "Nothing is waiting for you")


def test_the_policy_to_read_comes_before_everything_else(client_for, school, staff, submitted):
    version = policy_seed_default(school=school, signed_off_by=staff.head)
    policy_acknowledge(actor=staff.teacher, version=version)
    submitted("Parents' evening booking is open")

    page = dashboard(client_for, staff.slt)

    assert panel_headings(page)[:2] == ["Read the social media policy", "Waiting for you"]
    assert "Read the social media policy" not in panel_headings(dashboard(client_for, staff.teacher))


# Another school's work never shows.


def test_nothing_from_another_school_appears(client_for, staff, accounts, outsider):
    post = post_create(
        actor=outsider.teacher,
        account=make_account(outsider.school, "beta_y3", class_group=outsider.class_group),
        text="Beta secret trip",
    )
    post_submit(actor=outsider.teacher, post=post)
    failed = post_create(actor=outsider.teacher, account=post.account, text="Beta failed post")
    Post.objects.filter(pk=failed.pk).update(status=PostStatus.FAILED, failure_reason="Beta network down")
    beta_pupil = pupil(outsider.school, outsider.class_group, "Zed", "Beta")
    decide(beta_pupil, ConsentPurpose.SOCIAL_PHOTO, staff, withdrawn_days_ago=1)
    decide(beta_pupil, ConsentPurpose.SOCIAL_NAME, staff, expires_on=timezone.localdate() + timedelta(days=3))
    ImportJob.objects.create(
        school=outsider.school,
        requested_by=outsider.head.user,
        stored_file="imports/beta.csv",
        file_name="beta-register.csv",
        mapping={},
        status=ImportJobStatus.QUEUED,
    )
    SocialAccount.objects.filter(pk=outsider.account.pk).update(status=SocialAccount.Status.ERROR, last_error="Beta")

    for member in (staff.head, staff.slt, staff.office, staff.teacher):
        page = dashboard(client_for, member)
        assert "Beta" not in _text(_main(page)) and "beta" not in _main(page), member
        assert "Zed" not in page
    assert panel_headings(dashboard(client_for, staff.head))[0] == "Nothing is waiting for you"


# Words.


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(minutes=5), "less than an hour"),
        (timedelta(hours=1, minutes=5), "1 hour"),
        (timedelta(hours=23), "23 hours"),
        (timedelta(days=1, hours=3), "1 day"),
        (timedelta(days=13), "13 days"),
        (timedelta(days=15), "2 weeks"),
    ],
)
def test_ages_are_said_in_one_unit(ago, words):
    now = timezone.now()
    assert age_in_words(now - ago, now) == words


# What was there before, still there.


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
    assert "reconnect it" in panel(page, "Accounts that need attention")


def test_menu_follows_the_role(client_for, staff):
    teacher_page = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert reverse("staff_list") not in teacher_page and reverse("audit_log") not in teacher_page
    head_page = client_for(staff.head).get(reverse("dashboard")).content.decode()
    assert reverse("staff_list") in head_page and reverse("audit_log") in head_page


def test_health_check_answers_without_signing_in(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"


# A fixed number of queries, whatever the amount of data.


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


def _a_school_full_of_work(staff, accounts, school, year3, *, each: int) -> None:
    """`each` posts by the teacher in every status that shows, with photos; as many pupils with no
    answer, with consent running out and with consent withdrawn; and as many imports waiting."""
    statuses = [
        PostStatus.DRAFT,
        PostStatus.SUBMITTED,
        PostStatus.SCHEDULED,
        PostStatus.FAILED,
        PostStatus.PUBLISHED,
        PostStatus.APPROVED,
    ]
    now = timezone.now()
    posts = Post.objects.bulk_create(
        Post(
            account=accounts.year3,
            author=staff.teacher.user,
            text=f"{status} post {number}",
            status=status,
            submitted_at=now - timedelta(hours=number + 1) if status != PostStatus.DRAFT or number % 2 else None,
            publish_at=now + timedelta(days=1) if status == PostStatus.SCHEDULED else None,
            published_at=now - timedelta(hours=number) if status == PostStatus.PUBLISHED else None,
            external_id=str(number) if status == PostStatus.PUBLISHED else "",
        )
        for status in statuses
        for number in range(each)
    )
    PostImage.objects.bulk_create(PostImage(post=post, alt_text="A photo", width=8, height=6) for post in posts)
    for number in range(each):
        pupil(school, year3, f"Nobody{number}")
        ending = pupil(school, year3, f"Ending{number}")
        decide(ending, ConsentPurpose.SOCIAL_PHOTO, staff, expires_on=timezone.localdate() + timedelta(days=5))
        decide(ending, ConsentPurpose.SOCIAL_NAME, staff, withdrawn_days_ago=2)
        ImportJob.objects.create(
            school=school, requested_by=staff.office.user, stored_file=f"imports/{each}-{number}.csv", mapping={}
        )


@pytest.mark.parametrize("who", ["head", "slt", "teacher", "office", "computing"])
def test_dashboard_query_count_does_not_grow_with_work(
    who, client_for, staff, accounts, school, year3, django_assert_max_num_queries
):
    client = client_for(getattr(staff, who))
    _a_school_full_of_work(staff, accounts, school, year3, each=2)
    _queries_for(client, reverse("dashboard"))
    with_a_little = _queries_for(client, reverse("dashboard"))

    _a_school_full_of_work(staff, accounts, school, year3, each=DASHBOARD_ROWS * 6)

    with django_assert_max_num_queries(with_a_little):
        page = client.get(reverse("dashboard")).content.decode()
    for heading in panel_headings(page):
        assert all(rows <= DASHBOARD_ROWS for rows in list_lengths(panel_html(page, heading))), heading


# With work in every panel: the sign-in lookups and the session, the navigation's counts, one query
# for every figure the panels show, then the rows of each panel that has some (38 when each panel
# counted its own rows).
HEADTEACHER_MOST_QUERIES = 28


def test_the_headteachers_dashboard_counts_its_figures_together(
    client_for, staff, accounts, school, year3, django_assert_max_num_queries
):
    _a_school_full_of_work(staff, accounts, school, year3, each=DASHBOARD_ROWS + 1)
    client = client_for(staff.head)
    client.get(reverse("dashboard"))

    with django_assert_max_num_queries(HEADTEACHER_MOST_QUERIES):
        page = client.get(reverse("dashboard")).content.decode()

    assert "Waiting for you" in panel_headings(page)
