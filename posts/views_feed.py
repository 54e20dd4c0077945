"""The school's website feed (issue 17): the public list of posts a school's website can show in a
frame, the photos the list and the Atom feeds (posts.feeds) show, and the staff page with the
addresses and the code to paste.

The public pages need no sign-in and set no cookie (they use no session and no CSRF token). They
answer "not found" for a school that has turned its feed off, and read the posts afresh at every
request (posts.selectors_feed), so a post taken down is gone from them at once.
"""

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import public_page, school_member_required
from accounts.forms import WebsiteFeedForm
from accounts.models import School, SocialAccount
from accounts.permissions import Perm, has_perm
from accounts.services import school_website_save
from policy_portal.storage import is_store_failure

from .feeds import absolute, post_title, where_published
from .models import PostImage
from .selectors_feed import feed_account, feed_accounts, feed_posts, feed_school, public_photo
from .services.photos import photo_render_for_publishing

PHOTO_STORE_SLOW = "The photo store is not answering. Try again in a minute."

# The public pages and photos may be kept by a browser or a proxy, but only after asking the portal
# again each time ("no-cache", with an ETag for the photos): a post taken down is gone at the next
# look, while an unchanged photo costs a 304 rather than a new download. A max-age of even a few
# minutes would keep a taken-down photo on show that long.
REVALIDATE = "no-cache"


def _school_or_404(slug: str) -> School:
    try:
        return feed_school(slug=slug)
    except School.DoesNotExist:
        raise Http404("This school has no public feed.") from None


def _framable_by(origin: str, response: HttpResponse) -> HttpResponse:
    """Let pages on `origin` (the school's website) show `response` in a frame, and nobody else.

    The portal's policy is frame-ancestors 'none' and X-Frame-Options DENY. django-csp's csp_replace
    and Django's xframe_options_exempt fix their effect when a view is decorated, but the school,
    and so its website, is known only inside the view: they are applied here to the finished
    response. X-Frame-Options cannot name a site, so it is left out and CSP alone decides."""

    def finished():
        return response

    frame_ancestors = {"frame-ancestors": [origin]}
    for decorate in (
        xframe_options_exempt,
        csp_replace(frame_ancestors),
        csp_replace(frame_ancestors, REPORT_ONLY=True),
    ):
        finished = decorate(finished)
    return finished()


def _list_page(request, *, school: School, account: SocialAccount | None) -> HttpResponse:
    posts = feed_posts(school=school, account=account)
    atom = (
        reverse("feed_account_atom", args=[school.slug, account.pk])
        if account
        else reverse("feed_school_atom", args=[school.slug])
    )
    context = {
        "school": school,
        "account": account,
        "title": account.display_name if account else f"News from {school.name}",
        "atom_url": absolute(atom),
        "entries": [
            {"post": post, "title": post_title(post), "where": where_published(post.account)} for post in posts
        ],
    }
    response = render(request, "posts/feed_list.html", context)
    response["Cache-Control"] = REVALIDATE
    if school.website_origin:
        return _framable_by(school.website_origin, response)
    return response


@public_page
@require_GET
def feed_school_list(request, school: str):
    """The whole school's published posts, newest first, for the school's website."""
    return _list_page(request, school=_school_or_404(school), account=None)


@public_page
@require_GET
def feed_account_list(request, school: str, account: int):
    """One account's published posts, newest first, for the school's website."""
    found = _school_or_404(school)
    try:
        social_account = feed_account(school=found, pk=account)
    except SocialAccount.DoesNotExist:
        raise Http404("This school has no such account.") from None
    return _list_page(request, school=found, account=social_account)


def _etag_matches(request, etag: str) -> bool:
    asked = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in asked.split(",") if tag.strip())


@public_page
@require_GET
def feed_photo(request, school: str, pk: int):
    """A photo of a published post, as it was published: the rendition with covered faces covered.

    "Not found" for any photo not on show (a draft's, a post taken down, another school's), so a
    photo's number reveals nothing. Always sent by the portal, never a redirect to the stored
    file: the stored rendition still shows the faces the author covered (they are burned in as it
    is sent, posts.services.photos), and a signed link would keep working after a take-down."""
    try:
        found = public_photo(school=_school_or_404(school), pk=pk)
    except PostImage.DoesNotExist:
        raise Http404("This photo is not on show.") from None
    if _etag_matches(request, found.etag):
        response = HttpResponse(status=304)
    else:
        try:
            response = HttpResponse(photo_render_for_publishing(image=found.image), content_type="image/jpeg")
        except FileNotFoundError:
            raise Http404("This photo's file is missing.") from None
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            response = HttpResponse(PHOTO_STORE_SLOW, content_type="text/plain; charset=utf-8", status=503)
            response["Retry-After"] = "60"
            return response
        response["Content-Disposition"] = "inline"
    response["ETag"] = found.etag
    response["Cache-Control"] = REVALIDATE
    return response


# The staff page


def _snippet(*, url: str, title: str) -> str:
    return f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="600" loading="lazy"></iframe>'


@require_http_methods(["GET", "POST"])
@school_member_required(Perm.VIEW_WEBSITE_FEED)
def website_feed(request):
    """The feed's addresses for the whole school and each account, the code that puts the list on
    the school's website, and (for the headteacher) the switch and the website's address."""
    school = request.school
    may_manage = has_perm(request.membership, Perm.MANAGE_WEBSITE_FEED)
    initial = {"public_feed": school.public_feed, "website_url": school.website_url}
    form = WebsiteFeedForm(initial=initial) if may_manage else None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only the headteacher can change the school's website feed.")
        form = WebsiteFeedForm(request.POST, initial=initial)
        if form.is_valid():
            school = school_website_save(actor=request.membership, request=request, **form.cleaned_data)
            messages.success(
                request,
                "The website feed is on."
                if school.public_feed
                else "The website feed is off: its addresses now answer “not found”.",
            )
            return redirect("website_feed")
    school_list = absolute(reverse("feed_school_list", args=[school.slug]))
    accounts = [
        {
            "account": account,
            "atom": absolute(reverse("feed_account_atom", args=[school.slug, account.pk])),
            "list": absolute(reverse("feed_account_list", args=[school.slug, account.pk])),
            "where": where_published(account),
        }
        for account in feed_accounts(school=school)
    ]
    context = {
        "form": form,
        "school": school,
        "school_atom": absolute(reverse("feed_school_atom", args=[school.slug])),
        "school_list": school_list,
        "snippet": _snippet(url=school_list, title=f"News from {school.name}"),
        "accounts": accounts,
    }
    return render(request, "posts/website_feed.html", context, status=400 if form is not None and form.errors else 200)
