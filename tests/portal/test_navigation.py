"""The main navigation (portal/navigation.py, templates/components/nav.html): what each role sees,
in which groups, with what waits behind each entry, the page you are on marked, and what it costs."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import memberships_with_roles
from community.models import Concern, Follower, MentionItem
from portal.navigation import build_navigation, navigation
from posts.models import Post, PostStatus, TakeDownRequest
from posts.services import post_create


class _Nav(HTMLParser):
    """What the main navigation shows, read from a page: its groups, each a list of links with
    their accessible names, where they go and their aria-current; and the Menu button's name."""

    def __init__(self):
        super().__init__()
        self.groups: dict[str, list[dict]] = {}
        self.menu_button = None
        self._depth = 0  # inside <nav id="site-nav">
        self._group = None
        self._link = None
        self._in_title = False
        self._in_menu_button = False
        self.menu_button_text = ""

    @property
    def menu_name(self) -> str:
        """What a screen reader calls the Menu button: its text, hidden words included."""
        return " ".join(self.menu_button_text.split())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "button" and "data-nav-toggle" in attrs:
            self.menu_button = attrs
            self._in_menu_button = True
        if tag == "nav" and attrs.get("id") == "site-nav":
            self._depth = 1
            self._group = "(top)"
            self.groups[self._group] = []
            return
        if not self._depth:
            return
        if tag == "nav":
            self._depth += 1
        if tag == "p" and "nav-group-title" in attrs.get("class", ""):
            self._in_title = True
        if tag == "a":
            self._link = {"href": attrs["href"], "current": attrs.get("aria-current"), "label": attrs.get("aria-label")}
            self._link["text"] = ""

    def handle_endtag(self, tag):
        if tag == "button":
            self._in_menu_button = False
        if not self._depth:
            return
        if tag == "nav":
            self._depth -= 1
        if tag == "p" and self._in_title:
            self._in_title = False
        if tag == "a" and self._link is not None:
            link = self._link
            link["name"] = link["label"] or " ".join(link["text"].split())
            self.groups[self._group].append(link)
            self._link = None

    def handle_data(self, data):
        if self._in_menu_button:
            self.menu_button_text += data
        if self._in_title:
            self._group = data.strip()
            self.groups[self._group] = []
        elif self._link is not None:
            self._link["text"] += data


def nav_of(response) -> _Nav:
    parser = _Nav()
    parser.feed(response.content.decode())
    return parser


def names(nav: _Nav) -> dict[str, list[str]]:
    return {group: [link["name"] for link in links] for group, links in nav.groups.items()}


def every_link(nav: _Nav) -> list[dict]:
    return [link for links in nav.groups.values() for link in links]


# What each of the six roles sees, group by group, when nothing is waiting.
EXPECTED = {
    "head": {
        "(top)": ["Home"],
        "Posts": [
            "New post",
            "My posts",
            "Posts to approve",
            "Calendar",
            "Posts to take down",
            "Trip mode",
            "Private messages",
            "Cover while away",
        ],
        "Pupils and consent": ["Pupils and consent", "Consent coverage"],
        "Audience": [
            "Mentions and replies",
            "Followers and blocks",
            "Accounts we follow",
            "Concerns and incidents",
            "Raise a concern",
        ],
        "School settings": [
            "Staff",
            "Staff's own accounts",
            "Accounts",
            "School devices",
            "Approval steps",
            "Rules for posts",
            "Social media policy",
            "Website feed",
            "Audit trail",
            "Email preferences",
            "My own accounts",
        ],
    },
    "slt": {
        "(top)": ["Home"],
        "Posts": [
            "New post",
            "My posts",
            "Posts to approve",
            "Calendar",
            "Posts to take down",
            "Private messages",
            "Cover while away",
        ],
        "Pupils and consent": ["Consent coverage"],
        "Audience": ["Accounts we follow", "Concerns and incidents", "Raise a concern"],
        "School settings": ["Social media policy", "Website feed", "Email preferences", "My own accounts"],
    },
    "teacher": {
        "(top)": ["Home"],
        "Posts": ["New post", "My posts", "Private messages"],
        "Audience": ["Accounts we follow", "Raise a concern"],
        "School settings": ["Social media policy", "My own accounts"],
    },
    "ta": {
        "(top)": ["Home"],
        "Posts": ["New post", "My posts", "Private messages"],
        "Audience": ["Accounts we follow", "Raise a concern"],
        "School settings": ["Social media policy", "My own accounts"],
    },
    "office": {
        "(top)": ["Home"],
        "Pupils and consent": ["Pupils and consent", "Consent coverage"],
        "Audience": ["Mentions and replies", "Followers and blocks", "Accounts we follow", "Raise a concern"],
        "School settings": ["Staff", "Social media policy", "My own accounts"],
    },
    "computing": {
        "(top)": ["Home"],
        "Audience": ["Accounts we follow", "Raise a concern"],
        "School settings": ["Rules for posts", "Social media policy", "Website feed", "My own accounts"],
    },
}


@pytest.mark.parametrize("who", EXPECTED)
def test_each_role_sees_only_its_own_pages_in_groups(client_for, staff, accounts, who):
    client = client_for(getattr(staff, who))

    nav = nav_of(client.get(reverse("dashboard")))

    assert names(nav) == EXPECTED[who]
    # Every entry opens for this person: nothing in the menu leads to "You cannot open this page".
    for link in every_link(nav):
        assert client.get(link["href"]).status_code == 200, f"{who}: {link['name']} does not open"


def test_nothing_waiting_means_no_counts_anywhere(client_for, staff, accounts):
    page = client_for(staff.head).get(reverse("dashboard"))
    nav = nav_of(page)

    assert all(link["label"] is None for link in every_link(nav))
    assert "nav-count" not in page.content.decode()
    assert "aria-label" not in nav.menu_button and nav.menu_name == "Menu"


@pytest.fixture
def waiting_work(staff, accounts):
    """Something waiting behind every entry that can count: two posts for approval, one sent back to
    the teacher, one that failed, one to take down, a flagged mention and an ordinary one, three
    followers to review (and one already decided), and a new concern (and one settled)."""
    now = timezone.now()

    def post(status, **fields):
        made = post_create(actor=staff.teacher, account=accounts.year3, text=f"A {status} post")
        Post.objects.filter(pk=made.pk).update(status=status, **fields)
        return made

    post(PostStatus.SUBMITTED, submitted_at=now)
    post(PostStatus.SUBMITTED, submitted_at=now)
    post(PostStatus.DRAFT, submitted_at=now - timedelta(days=1))  # came back to the teacher
    post(PostStatus.DRAFT)  # never sent: nothing to do but carry on
    post(PostStatus.FAILED, failure_reason="The network refused it.")
    published = post(PostStatus.PUBLISHED, external_id="1", published_at=now)
    TakeDownRequest.objects.create(post=published, reason="Consent was withdrawn.")
    for n, flagged in enumerate((True, False)):
        MentionItem.objects.create(
            account=accounts.whole_school,
            network_id=str(n),
            author_id=str(n),
            author_handle=f"parent{n}",
            text="Hello",
            created_at=now,
            flagged=flagged,
        )
    for n in range(4):
        Follower.objects.create(
            account=accounts.whole_school,
            network_user_id=str(n),
            handle=f"follower{n}",
            status="new" if n < 3 else "accepted",
        )
    about = "https://example.org/reply/1"
    Concern.objects.create(school=staff.head.school, raised_by=staff.teacher.user, url=about, description="Worrying")
    Concern.objects.create(
        school=staff.head.school,
        raised_by=staff.teacher.user,
        url=about,
        description="Sorted already",
        resolved_at=now,
        resolved_by=staff.head.user,
    )


def test_entries_with_waiting_work_say_how_much(client_for, staff, waiting_work):
    nav = nav_of(client_for(staff.head).get(reverse("dashboard")))

    shown = names(nav)
    assert shown["Posts"][2:5] == ["Posts to approve 2 waiting", "Calendar 1 failed", "Posts to take down 1 waiting"]
    assert shown["Audience"][:2] == ["Mentions and replies 1 flagged", "Followers and blocks 3 to review"]
    assert shown["Audience"][3] == "Concerns and incidents 1 new"
    # The headteacher wrote none of the posts: nothing of hers was sent back.
    assert shown["Posts"][1] == "My posts"
    assert nav.menu_name == "Menu 9 waiting"


def test_the_count_is_shown_as_a_number_beside_the_entry(client_for, staff, waiting_work):
    page = client_for(staff.head).get(reverse("dashboard")).content.decode()

    assert '<span class="nav-label">Posts to approve</span> <span class="nav-count">2</span>' in page, (
        "the number is on the screen, not only read out"
    )


def test_the_teacher_sees_posts_sent_back_and_nothing_of_the_approvers(client_for, staff, waiting_work):
    nav = nav_of(client_for(staff.teacher).get(reverse("dashboard")))

    assert names(nav)["Posts"] == ["New post", "My posts 1 sent back", "Private messages"]
    assert nav.menu_name == "Menu 1 waiting"


def test_the_office_sees_the_audience_counts_only(client_for, staff, waiting_work):
    nav = nav_of(client_for(staff.office).get(reverse("dashboard")))

    assert names(nav)["Audience"][:2] == ["Mentions and replies 1 flagged", "Followers and blocks 3 to review"]
    assert "Posts" not in names(nav)


def test_counts_belong_to_the_school_you_are_working_in(client_for, staff, outsider, waiting_work):
    nav = nav_of(client_for(outsider.head).get(reverse("dashboard")))

    assert all(link["label"] is None for link in every_link(nav))


def test_the_page_you_are_on_is_marked(client_for, staff, accounts):
    client = client_for(staff.head)

    nav = nav_of(client.get(reverse("review_queue")))

    current = [(link["name"], link["current"]) for link in every_link(nav) if link["current"]]
    assert current == [("Posts to approve", "page")]


def test_a_page_within_an_entry_marks_that_entry_but_not_as_the_page_itself(client_for, staff, accounts):
    post = post_create(actor=staff.teacher, account=accounts.year3, text="Sports day")
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())

    nav = nav_of(client_for(staff.head).get(reverse("review_post", args=[post.pk])))

    current = [(link["name"], link["current"]) for link in every_link(nav) if link["current"]]
    assert current == [("Posts to approve 1 waiting", "true")]


def test_the_sign_in_security_pages_mark_the_account_menu_entry(client_for, staff):
    page = client_for(staff.teacher).get(reverse("mfa_index")).content.decode()

    assert f'<a class="nav-link" href="{reverse("mfa_index")}" aria-current="page">' in page


def test_someone_signed_out_gets_no_navigation(client):
    page = client.get(reverse("account_login")).content.decode()

    assert 'id="site-nav"' not in page and "data-nav-toggle" not in page and "has-nav" not in page


def test_someone_with_no_place_at_a_school_sees_home_and_their_own_things_only(staff):
    shown = build_navigation(membership=None, url_name="dashboard")

    assert shown.groups == ()
    assert [entry.label for entry in (shown.home, *shown.personal)] == ["Home", "Sign-in security", "Change password"]
    assert shown.waiting == 0


def test_the_school_switch_shows_only_for_staff_of_several_schools(client_for, staff, outsider):
    from accounts.models import Membership, RoleAssignment

    assert 'name="school"' not in client_for(staff.teacher).get(reverse("dashboard")).content.decode()

    second = Membership.objects.create(user=staff.teacher.user, school=outsider.school)
    RoleAssignment.objects.create(membership=second, role="class_teacher")
    page = client_for(staff.teacher).get(reverse("dashboard")).content.decode()
    assert 'action="/school/switch/"' in page and "Beta Primary" in page


# What the navigation costs.


def as_on_a_request(member):
    """The membership as accounts.middleware puts it on a request: school and roles already read."""
    return memberships_with_roles().get(pk=member.pk)


@pytest.mark.parametrize(("who", "queries"), [("head", 1), ("teacher", 1), ("office", 1), ("computing", 0)])
def test_all_counts_take_one_query_at_most(staff, waiting_work, django_assert_num_queries, who, queries):
    member = as_on_a_request(getattr(staff, who))

    with django_assert_num_queries(queries):
        build_navigation(membership=member, url_name="dashboard")


def test_the_counts_take_one_query_however_much_is_waiting(staff, accounts, django_assert_num_queries):
    for n in range(30):
        post = post_create(actor=staff.teacher, account=accounts.year3, text=f"Post {n}")
        Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())

    head = as_on_a_request(staff.head)
    with django_assert_num_queries(1):
        shown = build_navigation(membership=head, url_name="dashboard")
    assert shown.waiting == 30


def test_a_response_that_does_not_show_the_navigation_does_not_pay_for_it(staff, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = staff.head.user
    request.membership = as_on_a_request(staff.head)

    with django_assert_num_queries(0):
        context = navigation(request)
    with django_assert_num_queries(1):
        assert context["main_nav"].groups


def _queries_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries]


def test_a_whole_page_pays_one_query_for_its_navigation(client_for, staff, accounts):
    client = client_for(staff.head)
    _queries_for(client, reverse("policy_current"))
    before = _queries_for(client, reverse("policy_current"))
    for n in range(10):
        post = post_create(actor=staff.teacher, account=accounts.year3, text=f"Post {n}")
        Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED, submitted_at=timezone.now())
        TakeDownRequest.objects.create(post=post, reason="Consent was withdrawn.")

    after = _queries_for(client, reverse("policy_current"))

    assert len(after) == len(before)
    assert sum("posts_post" in sql or "posts_takedownrequest" in sql for sql in after) == 1
