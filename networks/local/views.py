"""The local network's public pages: an account's timeline and its images. No sign-in: they
stand in for a public network, so they show only what that network would show anyone."""

import mimetypes

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from accounts.models import SocialAccount

from . import adapter as local
from .models import LocalNetworkMedia, LocalNetworkUser

PAGE_SIZE = 30


@require_safe
def local_timeline(request, handle: str):
    try:
        account = local.timeline_account(handle=handle)
    except SocialAccount.DoesNotExist:
        raise Http404("No account with that handle on the local network.") from None
    before = request.GET.get("before", "")
    posts = local.timeline_posts(account=account, before=int(before) if before.isdecimal() else None)
    posts = list(posts[: PAGE_SIZE + 1])
    older_than = posts[PAGE_SIZE - 1].pk if len(posts) > PAGE_SIZE else None
    posts = posts[:PAGE_SIZE]
    cards = local.link_cards(posts)
    for post in posts:
        post.link_cards = cards.get(post.pk, [])
    return render(
        request,
        "networks/local_timeline.html",
        {"account": account, "posts": posts, "older_than": older_than},
    )


@require_safe
def local_person(request, handle: str):
    """A simulated person's public profile: where an admin goes to block them by hand."""
    try:
        person = local.person(handle=handle)
    except LocalNetworkUser.DoesNotExist:
        raise Http404("Nobody with that handle on the local network.") from None
    return render(request, "networks/local_person.html", {"person": person, "posts": local.person_posts(person=person)})


@require_safe
def local_network_media(request, pk: int):
    """Streams an image from the default storage (local disk or S3 alike), and only while its
    post is live: a plain MEDIA_URL link would keep showing a taken-down photo."""
    try:
        media = local.servable_media(pk=pk)
        stream = media.file.open("rb")
    except (LocalNetworkMedia.DoesNotExist, FileNotFoundError):
        raise Http404("No such image.") from None
    content_type = mimetypes.guess_type(media.file.name)[0] or "application/octet-stream"
    response = FileResponse(stream, content_type=content_type)
    # Revalidate every time, so a take-down is not undone by a browser's or proxy's cache.
    patch_cache_control(response, public=True, no_cache=True)
    return response
