"""Where a post written for several accounts stands (issue 17), as its author and the approvers see
it: one row per post on "My posts" and the dashboard with each account's status and link, and the
actions on the post's own page that come back to that page."""

# The fixtures `several` and `second` come from the tests of the copies; each test names them again.
# ruff: noqa: F811

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.models import Post, PostStatus
from posts.services import publishing

from .test_destination_copies import _approved, _copy, _fail_on, second, several  # noqa: F401 - fixtures


def _published_and_failed(staff, several, second, monkeypatch):
    """The post out on the whole-school account, its copy for the second account refused."""
    post = _approved(staff, several())
    copy = _copy(post)
    _fail_on(monkeypatch, second)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    monkeypatch.undo()
    post.refresh_from_db()
    copy.refresh_from_db()
    assert (post.status, copy.status) == (PostStatus.PUBLISHED, PostStatus.FAILED)
    return post, copy


def test_my_posts_shows_one_row_with_each_accounts_status_and_link(client_for, staff, several, second, monkeypatch):
    post, copy = _published_and_failed(staff, several, second, monkeypatch)

    page = client_for(staff.slt).get(reverse("post_list_mine")).content.decode()

    assert page.count('<article class="card my-post">') == 1
    assert "Local @alpha_school</a>: published" in page
    assert f'href="{post.external_url}"' in page
    assert "Local @alpha_second: failed" in page


def test_my_posts_says_which_other_accounts_a_waiting_post_goes_to(client_for, staff, several):
    post = several()
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED)

    page = client_for(staff.slt).get(reverse("post_list_mine")).content.decode()

    assert "Also to Local @alpha_second." in page


def test_a_copy_stopped_before_publishing_is_listed_for_its_author_to_mend(client_for, staff, several, second):
    post = _approved(staff, several())
    Post.objects.filter(pk=_copy(post).pk).update(status=PostStatus.DRAFT)

    page = client_for(staff.slt).get(reverse("post_list_mine")).content.decode()

    assert page.count('<article class="card my-post">') == 2
    assert "Local @alpha_second: draft" in page


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _posts_of_every_kind(staff, several, count: int) -> None:
    """`count` each: drafts, posts waiting, and posts out on both accounts, each for two accounts."""
    for _ in range(count):
        several()
        Post.objects.filter(pk=several().pk).update(status=PostStatus.SUBMITTED)
        post = _approved(staff, several())
        publishing.publish(post.pk)
        publishing.publish(_copy(post).pk)


@pytest.mark.parametrize("url_name", ["post_list_mine", "dashboard"])
def test_the_authors_lists_cost_the_same_queries_however_many_posts_go_to_several_accounts(
    client_for,
    staff,
    several,
    url_name,
):
    client = client_for(staff.slt)
    url = reverse(url_name)
    _posts_of_every_kind(staff, several, 1)
    few = _queries(client, url)

    _posts_of_every_kind(staff, several, 6)

    assert _queries(client, url) <= few


def test_the_dashboard_shows_a_post_for_several_accounts_once_with_each_outcome(
    client_for,
    staff,
    several,
    second,
    monkeypatch,
):
    post, copy = _published_and_failed(staff, several, second, monkeypatch)

    page = client_for(staff.slt).get(reverse("dashboard")).content.decode()

    assert page.count(f'href="{post.external_url}"') == 2  # "see it online", and its account in the line
    assert "Local @alpha_second: failed" in page
    assert "Not published:" not in page  # the copy is not a row of its own under "Going out"


def test_try_again_on_the_posts_page_comes_back_to_it(client_for, staff, several, second, monkeypatch):
    post, copy = _published_and_failed(staff, several, second, monkeypatch)
    client = client_for(staff.head)

    response = client.post(reverse("post_retry_publish", args=[copy.pk]), {"return_to": "post"})

    assert response.status_code == 302 and response.url == reverse("review_post", args=[post.pk])
    copy.refresh_from_db()
    assert copy.status != PostStatus.FAILED


def test_try_again_on_the_dashboard_stays_on_the_dashboard(client_for, staff, several, second, monkeypatch):
    _post, copy = _published_and_failed(staff, several, second, monkeypatch)

    response = client_for(staff.head).post(reverse("post_retry_publish", args=[copy.pk]))

    assert response.status_code == 302 and response.url == reverse("dashboard")


def test_one_account_is_taken_down_alone_from_the_posts_page(client_for, staff, several):
    post = _approved(staff, several())
    copy = _copy(post)
    publishing.publish(post.pk)
    publishing.publish(copy.pk)
    client = client_for(staff.head)
    page = client.get(reverse("review_post", args=[post.pk])).content.decode()
    assert "Take down from @alpha_second (the local network)" in page

    response = client.post(reverse("post_take_down", args=[copy.pk]), {"return_to": "post"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("review_post", args=[post.pk])
    assert "Taken down from @alpha_second (the local network)." in response.content.decode()
    assert Post.objects.get(pk=copy.pk).status == PostStatus.TAKEN_DOWN
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    assert "Take down everywhere" in response.content.decode()  # the post itself is still out


def test_a_teacher_cannot_take_one_account_down(client_for, staff, several):
    post = _approved(staff, several())
    copy = _copy(post)
    publishing.publish(copy.pk)

    response = client_for(staff.teacher).post(reverse("post_take_down", args=[copy.pk]), {"return_to": "post"})

    assert response.status_code == 403
    assert Post.objects.get(pk=copy.pk).status == PostStatus.PUBLISHED


def test_partly_published_names_the_accounts_it_went_out_on_and_those_it_did_not(
    client_for,
    staff,
    several,
    second,
    monkeypatch,
):
    post, _copy_post = _published_and_failed(staff, several, second, monkeypatch)

    page = client_for(staff.head).get(reverse("review_post", args=[post.pk])).content.decode()

    assert "It went out on @alpha_school (the local network), but not on @alpha_second (the local network)." in page
