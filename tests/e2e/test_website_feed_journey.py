"""Issue 17: the list of posts on the school's website, in a real browser. The school's website is a
page Playwright answers itself (no request leaves the machine); the portal's headers decide whether
its frame shows the list."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from posts.models import Post, PostImage, PostStatus

from .axe import add_axe_to_every_page, wcag_violations
from .conftest import DESKTOP, IPAD

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def published(settings, tmp_path, staff, accounts):
    """A published Year 3 post with one photo and its description."""
    settings.MEDIA_ROOT = str(tmp_path)
    post = Post.objects.create(
        account=accounts.year3, author=staff.teacher.user, text="Our class assembly was about kindness."
    )
    image = PostImage.objects.create(post=post, width=320, height=240, alt_text="The class on stage.")
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buffer, "JPEG")
    image.rendition.save("stage.jpg", ContentFile(buffer.getvalue()), save=True)
    Post.objects.filter(pk=post.pk).update(
        status=PostStatus.PUBLISHED,
        external_id="1",
        external_url="https://x.com/alpha_year3/status/1",
        published_at=timezone.now(),
    )
    return post


class _NewsPage(BaseHTTPRequestHandler):
    """A school website's news page with the code from the "Website feed" page pasted in."""

    list_url = ""

    def do_GET(self):
        body = (
            '<!DOCTYPE html><html lang="en-GB"><head><title>School news</title></head><body><h1>News</h1>'
            f'<iframe src="{self.list_url}" title="News from Alpha Primary" width="100%" height="600"></iframe>'
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def website(live_server):
    """Start a school website on this machine; returns a function that opens its news page in a
    context (the journeys' contexts let requests reach only the live server and this website).

    A real server, not a page Playwright answers itself: Chromium keeps a page it cannot place on
    a network from framing one on this machine. Plain http, as the live server is (a page over
    https may not frame one over http)."""
    handler = type("NewsPage", (_NewsPage,), {"list_url": f"{live_server.url}/feeds/alpha/posts/"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"

    def open_news_page(context):
        context.route(f"{origin}/**", lambda route: route.continue_())
        tab = context.new_page()
        tab.goto(f"{origin}/news")
        return tab

    yield SimpleNamespace(origin=origin, open_news_page=open_news_page)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("size", [PHONE, IPAD, DESKTOP], ids=["phone", "iPad", "desktop"])
def test_the_list_shows_the_post_and_its_photo_and_passes_wcag(open_context, live_server, published, size):
    context = open_context(**size)
    add_axe_to_every_page(context)
    tab = context.new_page()

    tab.goto(f"{live_server.url}/feeds/alpha/posts/")

    expect(tab.get_by_role("heading", level=1)).to_have_text("News from Alpha Primary")
    photo = tab.get_by_role("img", name="The class on stage.")
    expect(photo).to_be_visible()
    # The photo is drawn on request (its covered faces burned in), so it may still be on its way:
    # its width once it has loaded (or 0 if it fails to).
    loaded_width = (
        "img => img.complete ? img.naturalWidth : new Promise(done => {"
        " img.addEventListener('load', () => done(img.naturalWidth));"
        " img.addEventListener('error', () => done(0)); })"
    )
    assert photo.evaluate(loaded_width) == 320
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing to scroll sideways
    assert wcag_violations(tab) == []
    assert context.cookies() == []


def test_the_schools_own_website_shows_the_list_in_a_frame(open_context, school, published, website):
    school.website_url = f"{website.origin}/news"
    school.save()

    tab = website.open_news_page(open_context(**DESKTOP))

    frame = tab.frame_locator("iframe")
    expect(frame.locator(".feed-text")).to_have_text("Our class assembly was about kindness.")
    expect(frame.get_by_role("img", name="The class on stage.")).to_be_visible()


def test_another_website_cannot_frame_the_list(open_context, school, published, website, csp_violations):
    school.website_url = "http://www.alpha.sch.uk"
    school.save()

    tab = website.open_news_page(open_context(**DESKTOP))

    tab.wait_for_function("() => true")
    expect(tab.frame_locator("iframe").get_by_text("Our class assembly was about kindness.")).to_have_count(0)
    assert any("frame-ancestors" in str(violation) for violation in csp_violations), csp_violations
    # The harness fails a journey on any refusal; this one was the point of the test.
    csp_violations.clear()
