"""What a post sends out that nobody typed (issue 12): the quoted post and link previews, read
through the network's adapter or from the linked page (a real HTTP server on 127.0.0.1), kept
as OutsideContent rows, given to the consent check, shown to the approver, and read again at
publish."""

import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent.checks import Stage, check_post_consent
from networks.base import PostPayload
from networks.local.adapter import post_url
from networks.registry import get_network
from posts import outside, selectors, services
from posts.models import OutsideContent, Post, PostImage, PostStatus
from posts.services import publishing
from posts.services import trip_mode as delegation
from posts.services.publishing import Outcome

OG_PAGE = b"""<!doctype html><html><head>
<meta charset="utf-8">
<title>Ignored when og:title is there</title>
<meta property="og:site_name" content="County Sport">
<meta property="og:title" content="Tournament results">
<meta name="twitter:title" content="Tournament results">
<meta property="og:description" content="Alpha Primary came second &amp; won the fair play award.">
<meta name="twitter:description" content="A great day for everyone.">
<meta property="og:image:alt" content="The team with the trophy">
</head><body><p>Not read</p><meta property="og:title" content="In the body"></body></html>"""


class Site:
    """Pages served on 127.0.0.1: path -> (status, headers, body, whether it keeps the reader waiting).

    A page that keeps the reader waiting answers only when the test is over (`stop`), so a
    reader without a deadline would hang the test instead of passing it."""

    def __init__(self):
        self.pages: dict[str, tuple[int, dict, bytes, bool]] = {}
        self.released = threading.Event()
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002 - the base class's name
                pass

            def do_GET(self):
                site.hits.append(self.path)
                status, headers, body, stalls = site.pages.get(self.path, (404, {}, b"Not found", False))
                if stalls:
                    site.released.wait()
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def page(self, path: str, body: bytes = OG_PAGE, *, status: int = 200, headers=None, stalls: bool = False) -> str:
        self.pages[path] = (status, headers or {}, body, stalls)
        return self.url(path)

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    served = Site()
    yield served
    served.stop()


@pytest.fixture
def no_private_hosts(settings):
    settings.LINK_PREVIEW_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def reads(monkeypatch):
    """Every read of outside content, with how many transactions were open at the time."""
    seen = []
    real = outside._read

    def spy(item, post):
        seen.append((item.kind, item.url, len(connection.atomic_blocks)))
        return real(item, post)

    monkeypatch.setattr(outside, "_read", spy)
    return seen


def draft(staff, accounts, text="", quote_url="") -> Post:
    post, _ = services.post_draft_create(
        actor=staff.teacher, account=accounts.year3, client_token=uuid.uuid4(), text=text, quote_url=quote_url
    )
    return post


def rows(post) -> list[OutsideContent]:
    return list(OutsideContent.objects.filter(post=post).order_by("pk"))


# Reading one linked page.


def test_a_preview_takes_the_og_and_twitter_titles_descriptions_and_picture_description(site):
    preview = outside.read_link_preview(site.page("/results"))

    assert preview.site == "County Sport"
    assert preview.titles == ("Tournament results",)
    assert preview.descriptions == ("Alpha Primary came second & won the fair play award.", "A great day for everyone.")
    assert preview.image_descriptions == ("The team with the trophy",)
    assert preview.text == (
        "Tournament results\nAlpha Primary came second & won the fair play award.\nA great day for everyone.\n"
        "Picture: The team with the trophy"
    )


def test_without_card_tags_the_page_title_is_the_preview(site):
    body = "<html><head><title> Café   menu </title></head><body>x</body></html>".encode("latin-1")
    url = site.page("/menu", body, headers={"Content-Type": "text/html; charset=iso-8859-1"})

    preview = outside.read_link_preview(url)

    assert (preview.titles, preview.descriptions, preview.site) == (("Café menu",), (), "127.0.0.1")


def test_a_page_too_big_to_find_its_card_in_is_refused(site):
    body = b"<html><head><title>Big</title>" + b"<!-- padding -->" * 40_000 + b"</head></html>"

    with pytest.raises(outside.PreviewRefused, match="too large to read"):
        outside.read_link_preview(site.page("/big", body))


def test_a_big_page_is_read_up_to_its_card_only(site):
    body = OG_PAGE.replace(b"<p>Not read</p>", b"<p>" + b"x" * 2_000_000 + b"</p>")

    assert outside.read_link_preview(site.page("/long", body)).titles == ("Tournament results",)


def test_a_link_to_something_other_than_a_web_page_is_refused(site):
    url = site.page("/photo.png", b"\x89PNG....", headers={"Content-Type": "image/png"})

    with pytest.raises(outside.PreviewRefused, match=r"not a web page \(it is image/png\)"):
        outside.read_link_preview(url)


def test_a_site_that_does_not_answer_in_time_is_refused(site, monkeypatch):
    monkeypatch.setattr(outside, "PREVIEW_TIMEOUT_SECONDS", 0.5)
    url = site.page("/slow", stalls=True)

    with pytest.raises(outside.PreviewRefused, match="did not answer in time"):
        outside.read_link_preview(url)


def test_an_error_page_is_refused(site):
    with pytest.raises(outside.PreviewRefused, match=r"HTTP 404"):
        outside.read_link_preview(site.url("/missing"))


def test_redirects_are_followed_up_to_three(site):
    site.page("/final")
    for hop, target in (("/a", "/b"), ("/b", "/c"), ("/c", "/final")):
        site.page(hop, b"", status=302, headers={"Location": target})

    assert outside.read_link_preview(site.url("/a")).titles == ("Tournament results",)

    site.page("/zero", b"", status=301, headers={"Location": "/a"})
    with pytest.raises(outside.PreviewRefused, match="redirects more than 3 times"):
        outside.read_link_preview(site.url("/zero"))


def test_a_private_address_is_refused_unless_the_setting_allows_it(site, no_private_hosts):
    url = site.page("/intranet")

    for address in (url, url.replace("127.0.0.1", "localhost"), "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(outside.PreviewRefused, match="private network address"):
            outside.read_link_preview(address)
    assert site.hits == []


def test_a_redirect_to_a_private_address_is_refused(site, no_private_hosts, monkeypatch):
    # The stand-in for a public site is on 127.0.0.1 too, so only that address counts as public here.
    from networks import guarded_http

    real = guarded_http.forbidden_address
    monkeypatch.setattr(guarded_http, "forbidden_address", lambda address: address != "127.0.0.1" and real(address))
    site.page("/public", b"", status=302, headers={"Location": "http://10.0.0.8/admin"})
    site.page("/to-loopback", b"", status=302, headers={"Location": "http://[::1]:9/"})

    for path in ("/public", "/to-loopback"):
        with pytest.raises(outside.PreviewRefused, match="private network address"):
            outside.read_link_preview(site.url(path))
    assert site.hits == ["/public", "/to-loopback"]


def test_the_connection_itself_is_checked_so_a_name_that_changes_address_is_caught(site, no_private_hosts, monkeypatch):
    # The name looks public when checked, then connects to 127.0.0.1 (DNS rebinding).
    monkeypatch.setattr(outside, "_check_address", lambda url: None)

    with pytest.raises(outside.PreviewRefused, match="private network address"):
        outside.read_link_preview(site.page("/rebound"))
    assert site.hits == []


def test_only_web_addresses_are_read():
    for address in ("ftp://example.org/file", "file:///etc/passwd", "http://[broken/"):
        with pytest.raises(outside.PreviewRefused):
            outside.read_link_preview(address)


# Which links a post sends out.


def test_links_are_found_as_x_finds_them():
    text = "See https://county.example/results, and school.example.org too. Email head@alpha.test!"

    assert outside.text_links(text) == ["https://county.example/results", "https://school.example.org"]


# The service: rows kept up to date, errors kept, nothing read inside a transaction.


def test_a_new_draft_reads_its_quoted_post_and_each_links_preview_outside_any_transaction(site, staff, accounts, reads):
    quoted = get_network(accounts.whole_school).publish(PostPayload(text="Well done to our choir!"))
    baseline = len(connection.atomic_blocks)
    link = site.page("/results")

    post = draft(staff, accounts, text=f"Results are in: {link}", quote_url=post_url(accounts.whole_school, quoted.id))

    quote, preview = rows(post)
    assert (quote.kind, quote.author, quote.text, quote.error) == (
        "quote",
        "alpha_school",
        "Well done to our choir!",
        "",
    )
    assert (preview.kind, preview.url, preview.author, preview.error) == ("link_preview", link, "County Sport", "")
    assert preview.text.startswith("Tournament results\n")
    assert quote.read_at and preview.read_at
    assert [depth for _, _, depth in reads] == [baseline, baseline]


def test_saving_again_soon_does_not_read_the_same_link_again(site, staff, accounts, reads):
    link = site.page("/results")
    post = draft(staff, accounts, text=f"Results: {link}")

    services.post_update(actor=staff.teacher, post=post, text=f"Results! {link}")

    assert len(site.hits) == 1 and len(rows(post)) == 1


def test_a_changed_page_updates_its_row_in_place_and_a_removed_link_loses_its_row(site, staff, accounts):
    first, second = site.page("/one"), site.page("/two", b"<title>Second page</title>")
    post = draft(staff, accounts, text=f"{first} and {second}")
    [kept, dropped] = rows(post)
    site.page("/one", OG_PAGE.replace(b"Tournament results", b"Final results"))

    services.post_update(actor=staff.teacher, post=post, text=f"Only {first}")
    outside.post_read_outside_content(post=post)

    [row] = rows(post)
    assert row.pk == kept.pk and row.text.startswith("Final results\n")
    assert not OutsideContent.objects.filter(pk=dropped.pk).exists()


def test_a_failed_read_keeps_the_text_last_read_and_says_why(site, staff, accounts):
    link = site.page("/results")
    post = draft(staff, accounts, text=f"Results: {link}")
    site.page("/results", b"", status=503)

    assert outside.post_read_outside_content(post=post)

    [row] = rows(post)
    assert row.text.startswith("Tournament results\n")
    assert row.error == "The preview could not be read: the site answered with an error (HTTP 503)."


def test_a_quoted_post_that_was_deleted_is_unread_with_the_reason(staff, accounts):
    network = get_network(accounts.whole_school)
    quoted = network.publish(PostPayload(text="Sports day!"))
    post = draft(staff, accounts, text="Look", quote_url=post_url(accounts.whole_school, quoted.id))
    network.delete(quoted.id)

    outside.post_read_outside_content(post=post)

    [row] = rows(post)
    assert row.text == "Sports day!"
    assert row.error == (
        "The quoted post could not be read: it is not on the local network any more (it may have been deleted)."
    )


def test_a_quote_on_another_network_is_unread_without_calling_any_network(staff, accounts, reads):
    post = draft(staff, accounts, text="Look", quote_url="https://x.com/DfE/status/1234567")

    [row] = rows(post)
    assert row.error == ("The quoted post could not be read: it is on X, and this account is on the local network.")
    assert row.read_at is None


def test_a_quoted_x_post_is_read_through_the_x_adapter(staff, accounts, x_stub):
    x_user = x_stub.add_user("alpha_year3")
    accounts.year3.network = "x"
    accounts.year3.credentials = x_stub.oauth2_credentials(x_user)
    accounts.year3.save()
    theirs = x_stub.add_post(x_stub.add_user("county_sport"), "Alpha Primary are champions!")

    post = draft(staff, accounts, text="Proud!", quote_url=f"https://x.com/county_sport/status/{theirs['id']}")

    [row] = rows(post)
    assert (row.author, row.text, row.error) == ("county_sport", "Alpha Primary are champions!", "")


def test_a_quoted_x_post_x_does_not_answer_for_keeps_the_reason(settings, staff, accounts, x_stub):
    x_user = x_stub.add_user("alpha_year3")
    accounts.year3.network = "x"
    accounts.year3.credentials = x_stub.oauth2_credentials(x_user)
    accounts.year3.save()
    theirs = x_stub.add_post(x_stub.add_user("county_sport"), "Results")
    x_stub.fail_next("GET /2/tweets/{id}", status=503)

    post = draft(staff, accounts, text="Proud!", quote_url=f"https://x.com/county_sport/status/{theirs['id']}")

    [row] = rows(post)
    assert row.error.startswith("The quoted post could not be read: X had a problem")
    assert row.read_at is None


def test_sending_for_approval_reads_what_was_not_read_first(site, staff, accounts, reads):
    link = site.page("/results", status=503)
    post = draft(staff, accounts, text=f"Results: {link}")
    assert rows(post)[0].error
    site.page("/results")

    services.post_send_for_approval(actor=staff.teacher, post=post)

    [row] = rows(post)
    assert row.error == "" and row.text.startswith("Tournament results")
    assert Post.objects.get(pk=post.pk).status == PostStatus.SUBMITTED
    baseline = len(connection.atomic_blocks)
    assert [depth for _, _, depth in reads] == [baseline, baseline]


def test_someone_else_cannot_make_the_portal_read_a_post_by_sending_it(site, staff, accounts, reads):
    post = draft(staff, accounts, text=f"Results: {site.page('/results', status=503)}")
    reads.clear()

    with pytest.raises(PermissionDenied):
        services.post_send_for_approval(actor=staff.ta, post=post)
    assert reads == []


# The consent check reads it all.


def test_consent_content_carries_photo_descriptions_and_outside_texts(site, staff, accounts):
    good, bad = site.page("/good"), site.page("/bad", status=500)
    post = draft(staff, accounts, text=f"{good} {bad}", quote_url="https://x.com/DfE/status/1")
    PostImage.objects.create(post=post, alt_text="Amara holding the cup")

    content = selectors.consent_content(selectors.with_content(Post.objects.filter(pk=post.pk)).get())

    assert [photo.alt_text for photo in content.photos] == ["Amara holding the cup"]
    assert [(o.label, o.read) for o in content.outside] == [
        ("the quoted post", False),
        (f"the preview of {good}", True),
        (f"the preview of {bad}", False),
    ]
    assert content.outside[1].text.startswith("Tournament results")
    assert content.outside[2].error.startswith("The preview could not be read")


def test_the_quoted_posts_label_names_its_author(staff, accounts):
    quoted = get_network(accounts.whole_school).publish(PostPayload(text="Hello"))
    post = draft(staff, accounts, text="Look", quote_url=post_url(accounts.whole_school, quoted.id))

    [text] = selectors.consent_content(post).outside
    # The author's handle is read too: the network shows it with the quoted post.
    assert (text.label, text.text, text.read) == ("the quoted post (@alpha_school)", "@alpha_school\nHello", True)


def test_a_pupils_full_name_in_a_preview_stops_the_post(site, staff, accounts, pupils):
    link = site.page("/news", b"<title>Amara Okafor wins the county spelling bee</title>")
    post = draft(staff, accounts, text=f"Well done! {link}")

    check = check_post_consent(selectors.consent_content(post), stage=Stage.SUBMIT)

    assert not check.allowed
    assert f"the preview of {link}" in check.snapshot["read"]


# Approving: what could not be read must be opened by the approver, who says so.


@pytest.fixture
def submitted_unread(site, staff, accounts):
    link = site.page("/down", status=503)
    post = draft(staff, accounts, text=f"Results: {link}")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    return Post.objects.select_related("account").get(pk=post.pk)


def test_approving_with_unread_outside_content_needs_the_approvers_word(submitted_unread, staff):
    with pytest.raises(services.TransitionError) as refused:
        services.post_approve(actor=staff.head, post=submitted_unread)

    assert "could not read the preview of http://127.0.0.1:" in str(refused.value)
    assert services.UNREAD_OUTSIDE_CONFIRMATION in str(refused.value)
    assert Post.objects.get(pk=submitted_unread.pk).status == PostStatus.SUBMITTED


def test_the_approvers_confirmation_is_kept_in_the_audit_trail(submitted_unread, staff):
    services.post_approve(actor=staff.head, post=submitted_unread, confirm_unread_outside=True)

    assert Post.objects.get(pk=submitted_unread.pk).status in (PostStatus.APPROVED, PostStatus.PUBLISHED)
    event = AuditEvent.objects.get(action="post.approved", target_id=str(submitted_unread.pk))
    [confirmed] = event.data["unread_outside_confirmed"]
    assert confirmed["kind"] == "link_preview" and "HTTP 503" in confirmed["error"]


def test_a_post_whose_outside_content_was_read_needs_no_confirmation(site, staff, accounts):
    post = draft(staff, accounts, text=f"Results: {site.page('/results')}")
    services.post_send_for_approval(actor=staff.teacher, post=post)

    services.post_approve(actor=staff.head, post=post, publish_at=None)

    event = AuditEvent.objects.get(action="post.approved", target_id=str(post.pk))
    assert "unread_outside_confirmed" not in event.data


# Publishing reads it all again, before the checks.


def test_publishing_reads_again_and_the_consent_check_judges_the_new_words(site, staff, accounts, pupils):
    link = site.page("/news", b"<title>Spelling bee results</title>")
    post = draft(staff, accounts, text=f"Well done! {link}")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    site.page("/news", b"<title>Amara Okafor wins the county spelling bee</title>")

    assert publishing.publish(post.pk) == Outcome.STOPPED

    [row] = rows(post)
    assert row.text == "Amara Okafor wins the county spelling bee"
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT
    assert AuditEvent.objects.filter(action="post.outside_content_changed", target_id=str(post.pk)).exists()


def test_publishing_an_unchanged_preview_reads_it_once_and_publishes(site, staff, accounts):
    link = site.page("/results")
    post = draft(staff, accounts, text=f"Results: {link}")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    hits = len(site.hits)

    assert publishing.publish(post.pk) == Outcome.PUBLISHED

    assert len(site.hits) == hits + 1
    assert not AuditEvent.objects.filter(action="post.outside_content_changed", target_id=str(post.pk)).exists()


# The local network's timeline shows the card, as X would.


def test_the_local_timeline_shows_a_published_posts_link_card(client, site, staff, accounts):
    link = site.page("/results")
    post = draft(staff, accounts, text=f"Results: {link}")
    services.post_send_for_approval(actor=staff.teacher, post=post)
    services.post_approve(actor=staff.head, post=post)
    assert publishing.publish(post.pk) == Outcome.PUBLISHED

    page = client.get(reverse("local_timeline", args=[accounts.year3.handle])).content.decode()

    assert "Tournament results" in page
    assert "Alpha Primary came second &amp; won the fair play award." in page
    assert "Picture:" not in page


# Trip mode: with nobody else looking, a post with unread outside content waits for an approver.


@pytest.fixture
def trip(staff, accounts):
    today = timezone.localdate()
    return delegation.delegation_create(
        actor=staff.head,
        account=accounts.whole_school,
        delegate_membership=staff.teacher,
        starts_on=today,
        ends_on=today + timedelta(days=1),
    )


def _trip_draft(staff, accounts, text):
    post, _ = services.post_draft_create(
        actor=staff.teacher, account=accounts.whole_school, client_token=uuid.uuid4(), text=text
    )
    return post


def test_on_a_trip_a_post_with_unread_outside_content_waits_for_an_approver(site, staff, accounts, trip, mailoutbox):
    post = _trip_draft(staff, accounts, f"Day one! {site.page('/centre', status=503)}")

    services.post_send_for_approval(actor=staff.teacher, post=post)

    post.refresh_from_db()
    assert post.status == PostStatus.SUBMITTED and post.decided_by is None
    note = post.comments.get(kind="system").body
    assert note.startswith("Trip mode did not approve this post: the portal could not read the preview of")
    assert AuditEvent.objects.filter(action="post.trip_approval_withheld", target_id=str(post.pk)).exists()
    assert not AuditEvent.objects.filter(action="post.approved_on_trip", target_id=str(post.pk)).exists()
    with pytest.raises(services.TransitionError):
        services.post_approve(actor=staff.head, post=post)
    services.post_approve(actor=staff.head, post=post, confirm_unread_outside=True)


def test_on_a_trip_a_post_whose_links_were_read_is_approved_as_before(site, staff, accounts, trip):
    post = _trip_draft(staff, accounts, f"Day one! {site.page('/centre')}")

    services.post_send_for_approval(actor=staff.teacher, post=post)

    assert AuditEvent.objects.filter(action="post.approved_on_trip", target_id=str(post.pk)).exists()


def test_trip_approval_itself_refuses_unread_outside_content(site, staff, accounts, trip):
    post = _trip_draft(staff, accounts, f"Day one! {site.page('/centre', status=503)}")
    Post.objects.filter(pk=post.pk).update(status=PostStatus.SUBMITTED)

    with pytest.raises(services.TransitionError, match="Trip mode cannot approve this post"):
        delegation.post_approve_on_trip(actor=staff.teacher, post=post, delegation=trip)


def test_a_post_made_without_reading_its_links_has_them_read_when_it_is_submitted(site, staff, accounts, pupils):
    link = site.page("/news", b"<title>Amara Okafor wins the county spelling bee</title>")
    post = services.post_create(actor=staff.teacher, account=accounts.year3, text=f"Well done! {link}")
    assert rows(post) == []  # made by a script: nothing read yet

    with pytest.raises(services.PostBlocked, match="full name"):
        services.post_submit(actor=staff.teacher, post=post)

    [row] = rows(post)
    assert (row.kind, row.text) == (OutsideContent.Kind.LINK_PREVIEW, "Amara Okafor wins the county spelling bee")
