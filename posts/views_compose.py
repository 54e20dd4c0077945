"""The compose page: write a post, add photos, save it as a draft, send it for approval.

Made for a school iPad (touch, portrait or landscape) and complete without JavaScript: one
form holds the text, the photos' descriptions and a file input, and every button in it posts
the whole form, so nothing typed is lost whichever one is pressed. With JavaScript
(static/js/compose.js) the text is checked while it is typed (`post_text_feedback`), each
photo uploads on its own with a progress bar (`post_image_upload`), and a copy of the text
stays on the iPad until the server has it.
"""

import uuid
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import school_member_required
from accounts.models import SocialAccount
from accounts.permissions import Perm, may_draft_for
from accounts.selectors import social_accounts_for_drafting
from accounts.services_devices import DEVICE_COOKIE
from moderation.decorators import policy_acknowledged_required
from networks import text as network_text
from networks.limits import DEFAULT_CAPABILITIES, capabilities_for, short_name, shown_handle
from policy_portal.storage import is_store_failure, signed_link

from . import services, upload_limits
from .forms import MAX_TEXT_CHARS, PostForm
from .getters import authored, authored_to_change, get_image, get_post, works_on
from .images import MAX_UPLOAD_BYTES, ImageRejected
from .models import Post, PostComment, PostImage, PostStatus
from .selectors import AUTHORS_OWN, posts_for_school, with_destinations
from .selectors_chains import chain_summaries
from .services.photos import photo_render_for_publishing, photo_thumbnail_as_published

TOO_BIG = (
    "This photo is too big to upload: it is over {limit} MB, and photos can be up to {limit} MB. "
    "Take it again with the iPad camera, or share a smaller copy."
)
NO_PHOTO_CHOSEN = "Choose a photo to upload."
ONE_AT_A_TIME = "Upload one photo at a time."
EDITABLE_STATUSES = (PostStatus.DRAFT, PostStatus.SUBMITTED)
# "rendition" is the photo as prepared, faces uncovered (the photo page needs them to say who
# is who); "published" and "thumbnail" have the covered faces covered, as the network will get them.
PHOTO_FILE_KINDS = ("thumbnail", "rendition", "published")
PHOTO_STORE_SLOW = "The photo store is not answering, so this photo cannot be shown. Try again in a minute."
# What "My posts" shows under each post: what the approvers and the portal said about it.
_NOTE_KINDS = (PostComment.Kind.CHANGES_REQUESTED, PostComment.Kind.REJECTION, PostComment.Kind.SYSTEM)
MY_POSTS_PER_PAGE = 25
# compose.js keeps a copy of the text in the iPad's localStorage under these keys.
_NEW_POST_COPY = "compose:new"
_SAVED_COPIES = "compose_saved_copies"


# Uploads


class _SizeCappedUploadHandler(FileUploadHandler):
    """Drops a file as soon as it streams past the limit, so an oversized upload is never
    stored whole (the later handlers' temporary file is closed and removed). The dropped
    files' names are kept to tell the person which photo it was."""

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_big: list[str] = []

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.too_big.append(self.file_name or "A photo")
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) makes the file


def bounded_uploads(view):
    """Put the size cap in place before the request body is read.

    Upload handlers can only change before anything reads the body, and the CSRF check reads
    it; so, as Django's documentation describes, the view is exempted from the middleware's
    check and makes the same check itself once the handler is in place.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        handler = _SizeCappedUploadHandler(request, MAX_UPLOAD_BYTES)
        request.upload_handlers.insert(0, handler)
        request.too_big_uploads = handler.too_big
        return protected(request, *args, **kwargs)

    return wrapped


def _too_big_message() -> str:
    return TOO_BIG.format(limit=upload_limits.plain_number(MAX_UPLOAD_BYTES / 1_000_000))


def _add_photo(request, post: Post, upload) -> PostImage:
    """One uploaded file onto the post; ImageRejected or ContentRefused say why not."""
    if upload.size > MAX_UPLOAD_BYTES:  # the handler stops these first; this keeps the promise without it
        raise ImageRejected(_too_big_message())
    return services.post_add_image(
        actor=request.membership,
        post=post,
        data=upload.read(),
        device_cookie=request.COOKIES.get(DEVICE_COOKIE),
    )


def _attach_uploads(request, post: Post) -> list[str]:
    """The photos chosen in the form, each added on its own; one message per photo refused."""
    problems = [f"{_short(name)}: {_too_big_message()}" for name in request.too_big_uploads]
    for upload in request.FILES.getlist("photos"):
        try:
            _add_photo(request, post, upload)
        except ImageRejected as exc:
            problems.append(f"{_short(upload.name)}: {exc.message}")
        except services.ContentRefused as exc:
            problems.append(f"{_short(upload.name)}: {exc.message}")
    return problems


def _uploads_coming(request) -> int:
    """Photos this request brings, and those the page says it is uploading (see compose.js)."""
    try:
        announced = max(0, int(request.POST.get("photos_coming", 0)))
    except ValueError:
        announced = 0
    return len(request.FILES.getlist("photos")) + len(request.too_big_uploads) + announced


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


# Live feedback on the text


@dataclass(frozen=True)
class DestinationFeedback:
    """The counter and findings for one account the post goes to, by that account's network."""

    account: SocialAccount | None
    length: int
    limit: int
    unit: str
    findings: list | None  # None: the rules engine is not installed here
    highlighted: SafeString
    own_words: bool = False  # words of its own, rather than the post's
    is_lead: bool = False  # the post's own account

    @property
    def over(self) -> int:
        return max(0, self.length - self.limit)

    @property
    def blocks(self) -> int:
        return sum(1 for finding in self.findings or () if finding.severity == "block")

    @property
    def network(self) -> str:
        return short_name(self.account.network) if self.account else ""

    @property
    def handle(self) -> str:
        return shown_handle(self.account) if self.account else ""


@dataclass(frozen=True)
class TextFeedback:
    """The post's own account first, then each other account it also goes to."""

    destinations: list[DestinationFeedback]

    @property
    def lead(self) -> DestinationFeedback:
        return self.destinations[0]

    @property
    def others(self) -> list[DestinationFeedback]:
        return self.destinations[1:]

    # The post's own account, as the page has always shown it.
    length = property(lambda self: self.lead.length)
    limit = property(lambda self: self.lead.limit)
    over = property(lambda self: self.lead.over)
    findings = property(lambda self: self.lead.findings)
    blocks = property(lambda self: self.lead.blocks)
    highlighted = property(lambda self: self.lead.highlighted)

    @property
    def too_long(self) -> list[DestinationFeedback]:
        return [destination for destination in self.destinations if destination.over]


def _destination_feedback(
    text: str, *, account, school, has_images: bool, own_words: bool = False, seen=(), is_lead: bool = False
) -> DestinationFeedback:
    capabilities = capabilities_for(account) if account is not None else DEFAULT_CAPABILITIES["x"]
    findings = services.rules_findings(text=text, school=school, account=account, has_images=has_images)
    if findings is not None and seen:
        # The same words as the post: only what differs for this account (its length, mostly).
        findings = [finding for finding in findings if finding.message not in seen]
    return DestinationFeedback(
        account=account,
        length=network_text.length_of(text, capabilities),
        limit=capabilities.max_length,
        unit=network_text.unit(capabilities.length_rule),
        findings=findings,
        highlighted=highlight(text, findings or ()),
        own_words=own_words,
        is_lead=is_lead,
    )


def text_feedback(text: str, *, account, school, has_images: bool, destinations=()) -> TextFeedback:
    """Counted and checked for `account` and for each (account, words) in `destinations` (words
    "" for the post's own), each by its own network's rule and limit."""
    lead = _destination_feedback(text, account=account, school=school, has_images=has_images, is_lead=True)
    shown = {finding.message for finding in lead.findings or ()}
    others = [
        _destination_feedback(
            words or text,
            account=other,
            school=school,
            has_images=has_images,
            own_words=bool(words.strip()),
            seen=() if words.strip() else shown,
        )
        for other, words in destinations
        if account is None or other.pk != account.pk
    ]
    return TextFeedback(destinations=[lead, *others])


def highlight(text: str, findings) -> SafeString:
    """The text, escaped, with each finding's span marked. Overlapping spans merge into one
    mark, as severe as the most severe of them."""
    spans = sorted(
        (max(0, finding.start), min(len(text), finding.end), finding.severity)
        for finding in findings
        if finding.end > finding.start
    )
    merged: list[list] = []
    for start, end, severity in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if severity == "block":
                merged[-1][2] = "block"
        else:
            merged.append([start, end, severity])
    pieces, position = [], 0
    for start, end, severity in merged:
        pieces.append(escape(text[position:start]))
        css = "block" if severity == "block" else "warn"
        pieces.append(format_html('<mark class="finding finding-{}">{}</mark>', css, text[start:end]))
        position = end
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_text_feedback(request):
    """The counter and the rules' findings for the text being typed (an htmx fragment)."""
    text = request.POST.get("text", "")[:MAX_TEXT_CHARS]
    accounts = {account.pk: account for account in social_accounts_for_drafting(membership=request.membership)}
    account = accounts.get(_int(request.POST.get("account")))
    destinations = [
        (accounts[account_id], request.POST.get(PostForm.words_field_name(account_id), "")[:MAX_TEXT_CHARS])
        for account_id in dict.fromkeys(_int(value) for value in request.POST.getlist("also_to"))
        if account_id in accounts
    ]
    feedback = text_feedback(
        text,
        account=account,
        school=request.school,
        has_images=request.POST.get("has_photos") == "1",
        destinations=destinations,
    )
    return render(request, "posts/compose_feedback.html", {"feedback": feedback})


# The compose page


def _own_post(request, pk: int, *, to_change: bool = True) -> Post:
    """The person's own post at this school: another school's is not found, someone else's is
    refused, and so is a change by someone who no longer posts for its account."""
    queryset = posts_for_school(school=request.school).defer("account__credentials")
    return get_post(request, pk, queryset=queryset, check=authored_to_change if to_change else authored)


def _may_change(request, post: Post) -> bool:
    return post.status in EDITABLE_STATUSES and may_draft_for(request.membership, post.account)


def _own_image(request, pk: int) -> PostImage:
    return get_image(request, pk, check=authored_to_change)


def _photos(post: Post) -> list[PostImage]:
    return list(post.images.prefetch_related("faces").order_by("position", "pk"))


def _portal_hosts(request) -> tuple[str, ...]:
    """The host this iPad reached the portal by, which may not be SITE_URL's (a local address)."""
    return (request.get_host().rsplit(":", 1)[0].lower(),)


def _render_compose(request, form: PostForm, *, post: Post | None = None, status: int = 200, problems=()):
    account = post.account if post else (form.accounts.get(_int(form["account"].value())) if form.accounts else None)
    text = form["text"].value() or ""
    photos = form.photos
    destinations = form.typed_destinations(besides=account.pk if account else None)
    context = {
        "form": form,
        "post": post,
        "account": account,
        "editable": post is None or _may_change(request, post),
        "photo_fields": form.photo_fields(),
        "max_photos": services.MAX_PHOTOS,
        "max_upload_mb": upload_limits.plain_number(MAX_UPLOAD_BYTES / 1_000_000),
        "photo_limits": upload_limits.accepted_summary(max_upload_bytes=MAX_UPLOAD_BYTES),
        "photo_types": ",".join(upload_limits.ACCEPTED_MIME_TYPES),
        "feedback": text_feedback(
            text, account=account, school=request.school, has_images=bool(photos), destinations=destinations
        ),
        "destination_fields": form.destination_fields(),
        # What the live check sends (compose.js and htmx): never the photos or their descriptions.
        "feedback_params": ",".join(
            ["text", "account", "has_photos", "also_to"]
            + [PostForm.words_field_name(account_id) for account_id in form.also_accounts]
        ),
        # As saved: the post's own account, then each other account with its own words ("" for the post's).
        "previews": [(post.account, post.text)]
        + [(row.account, row.text) for row in services.destination_choices(post)]
        if post
        else [],
        "problems": problems,
        "notes": list(post.comments.filter(kind__in=_NOTE_KINDS).select_related("author")) if post else [],
        "revisions": list(post.revisions.select_related("edited_by")) if post else [],
        "saved_copies": request.session.pop(_SAVED_COPIES, []) if status == 200 else [],
    }
    return render(request, "posts/compose.html", context, status=status)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _also_accounts(request, *, own: SocialAccount | None = None, drafting=None) -> list[SocialAccount]:
    """The accounts offered under "Also post to": every account the person posts for, when there
    is more than one (a new post chooses its own account beside them), less a draft's own."""
    if drafting is None:
        drafting = social_accounts_for_drafting(membership=request.membership)
    if len(drafting) < 2:
        return []
    return [account for account in drafting if own is None or account.pk != own.pk]


def _edit_form(post: Post, photos, data=None, *, request=None, **kwargs) -> PostForm:
    """The draft's form; with `request`, its "Also post to" accounts and choice too."""
    initial = {"text": post.text, "quote_url": post.quote_url, "publish_at": post.publish_at}
    if request is not None:
        kwargs["also_accounts"] = _also_accounts(request, own=post.account)
        kwargs["destinations"] = [(row.account_id, row.text) for row in services.destination_choices(post)]
    return PostForm(data, initial=initial, photos=photos, **kwargs)


def _refuse_foreign_destinations(request, also_accounts) -> None:
    """An account under "Also post to" that the page never offered: not this person's to post to."""
    offered = {account.pk for account in also_accounts}
    if any(_int(value) not in offered for value in request.POST.getlist("also_to")):
        raise PermissionDenied("You do not post for one of the accounts chosen under “Also post to”.")


def _copies_saved(request, post: Post) -> None:
    """The next page tells compose.js that the copies of this text kept on the iPad can go."""
    request.session[_SAVED_COPIES] = [_NEW_POST_COPY, f"compose:{post.pk}"]


def _saved(request, post: Post, form: PostForm, photo_problems: list[str]):
    """After the draft is stored: submit it if asked, or say it is saved."""
    if photo_problems:
        for problem in photo_problems:
            messages.error(request, problem)
        messages.warning(request, "Your draft is saved, but not every photo could be added.")
        _copies_saved(request, post)
        return redirect("post_edit", post.pk)
    if request.POST.get("action") != "submit":
        messages.success(request, "Draft saved.")
        _copies_saved(request, post)
        return redirect("post_edit", post.pk)
    try:
        services.post_send_for_approval(actor=request.membership, post=post)
    except services.PostBlocked as blocked:
        # The draft is saved; the page shows what stops it, with everything as it was typed.
        post.refresh_from_db()
        form = _edit_form(post, _photos(post), request.POST, request=request, portal_hosts=_portal_hosts(request))
        form.is_valid()
        return _render_compose(request, form, post=post, status=400, problems=blocked.problems)
    except services.TransitionError as exc:
        post.refresh_from_db(fields=["status"])
        if post.status != PostStatus.SUBMITTED:
            messages.error(request, str(exc))
            return redirect("post_edit", post.pk)
        # Submitted already: the same button pressed twice.
    post.refresh_from_db(fields=["status"])
    if post.status in (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.PUBLISHED):
        messages.success(
            request,
            f"Trip mode: it goes to {post.account.display_name} without waiting for approval. "
            "The headteacher has been told.",
        )
    else:
        messages.success(request, f"Sent for approval. It will go to {post.account.display_name} once it is approved.")
    _copies_saved(request, post)
    return redirect("post_list_mine")


@bounded_uploads
@school_member_required(Perm.DRAFT_POSTS)
@policy_acknowledged_required
@require_http_methods(["GET", "POST"])
def post_compose(request):
    """A new post. The form carries a one-time token: posting it twice finds the same draft."""
    accounts = social_accounts_for_drafting(membership=request.membership)
    also_accounts = _also_accounts(request, drafting=accounts)
    if request.method == "GET":
        initial = {"client_token": uuid.uuid4(), "account": accounts[0].pk if len(accounts) == 1 else None}
        return _render_compose(request, PostForm(initial=initial, accounts=accounts, also_accounts=also_accounts))

    chosen = request.POST.get("account")
    if chosen and _int(chosen) not in {account.pk for account in accounts}:
        raise PermissionDenied("You do not post for that account.")
    if not accounts:
        raise PermissionDenied("There is no account for you to post to yet.")
    _refuse_foreign_destinations(request, also_accounts)
    form = PostForm(
        request.POST,
        accounts=accounts,
        also_accounts=also_accounts,
        photos_coming=_uploads_coming(request),
        portal_hosts=_portal_hosts(request),
    )
    if not form.is_valid():
        return _render_compose(request, form, status=400)
    post, created = services.post_draft_create(
        actor=request.membership,
        account=form.account,
        client_token=form.cleaned_data["client_token"] or uuid.uuid4(),
        text=form.cleaned_data["text"],
        quote_url=form.cleaned_data["quote_url"],
        publish_at=form.cleaned_data["publish_at"],
    )
    if not created:
        # The same form again (a double tap): its first copy made the post; show where it is.
        if post.status == PostStatus.DRAFT:
            return redirect("post_edit", post.pk)
        return redirect("post_list_mine")
    try:
        services.post_set_destinations(
            actor=request.membership, post=post, choices=form.destinations(besides=post.account_id)
        )
    except services.ContentRefused as exc:
        messages.error(request, f"{exc.message} The rest of your draft is saved.")
        _copies_saved(request, post)
        return redirect("post_edit", post.pk)
    return _saved(request, post, form, _attach_uploads(request, post))


@bounded_uploads
@school_member_required(Perm.DRAFT_POSTS)
@policy_acknowledged_required
@require_http_methods(["GET", "POST"])
def post_edit(request, pk: int):
    """A draft (or a post waiting for approval, which a change takes back to the drafts)."""
    post = _own_post(request, pk, to_change=request.method == "POST")
    if post.repost_url:
        return redirect("post_repost_edit", post.pk)  # a repost has its own page (posts.views_repost)
    photos = _photos(post)
    if request.method == "GET":
        return _render_compose(request, _edit_form(post, photos, request=request), post=post)
    if post.status not in EDITABLE_STATUSES:
        messages.error(request, f"This post is {post.get_status_display().lower()}, so it can no longer be changed.")
        return redirect("post_edit", post.pk)

    form = _edit_form(
        post,
        photos,
        request.POST,
        request=request,
        photos_coming=_uploads_coming(request),
        portal_hosts=_portal_hosts(request),
    )
    _refuse_foreign_destinations(request, form.also_accounts.values())
    if not form.is_valid():
        return _render_compose(request, form, post=post, status=400)
    try:
        services.post_update(
            actor=request.membership,
            post=post,
            text=form.cleaned_data["text"],
            quote_url=form.cleaned_data["quote_url"],
            publish_at=form.cleaned_data["publish_at"],
        )
        services.post_set_destinations(
            actor=request.membership, post=post, choices=form.destinations(besides=post.account_id)
        )
        for image, alt_text in form.alt_texts():
            services.post_set_alt_text(actor=request.membership, image=image, alt_text=alt_text)
        for image in photos:
            source = request.POST.get(f"source_{image.pk}")
            if source is not None:
                services.post_set_photo_source(
                    actor=request.membership,
                    image=image,
                    source=source,
                    credit=request.POST.get(f"credit_{image.pk}", ""),
                    licence=request.POST.get(f"licence_{image.pk}", ""),
                )
        remove = next((image for image in photos if str(image.pk) == request.POST.get("remove_photo")), None)
        if remove is not None:
            services.post_remove_image(actor=request.membership, image=remove)
    except (services.TransitionError, services.ContentRefused) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("post_edit", post.pk)
    photo_problems = _attach_uploads(request, post)
    if remove is not None and not photo_problems:
        messages.success(request, "Photo removed. Your other changes are saved.")
        return redirect("post_edit", post.pk)
    return _saved(request, post, form, photo_problems)


# Photos


@bounded_uploads
@school_member_required(Perm.DRAFT_POSTS)
@require_POST
def post_image_upload(request, pk: int):
    """One photo for a post. compose.js sends each photo here on its own and puts the returned
    card (a photo, or the reason it was refused) in place of its progress bar; a plain form
    post comes back to the compose page."""
    post = _own_post(request, pk)
    uploads = request.FILES.getlist("photo")
    image, problem = None, None
    if request.too_big_uploads:
        problem = _too_big_message()
    elif not uploads:
        problem = NO_PHOTO_CHOSEN
    elif len(uploads) > 1:
        problem = ONE_AT_A_TIME
    else:
        try:
            image = _add_photo(request, post, uploads[0])
        except ImageRejected as exc:
            problem = exc.message
        except (services.ContentRefused, services.TransitionError) as exc:
            problem = getattr(exc, "message", str(exc))
    name = _short(uploads[0].name) if uploads else _short(next(iter(request.too_big_uploads), ""))

    if not request.htmx:
        if problem:
            messages.error(request, f"{name}: {problem}" if name else problem)
        else:
            messages.success(request, "Photo added. Describe it for people who cannot see it.")
        return redirect("post_edit", post.pk)
    if problem:
        return render(request, "posts/compose_photo_refused.html", {"name": name, "problem": problem}, status=400)
    photos = _photos(post)
    form = _edit_form(post, photos)
    field = next(f for f in form.photo_fields() if f.image.pk == image.pk)
    return render(request, "posts/compose_photo.html", {"photo": field, "post": post, "editable": True})


@school_member_required(Perm.DRAFT_POSTS)
@require_POST
def post_image_remove(request, pk: int):
    image = _own_image(request, pk)
    try:
        services.post_remove_image(actor=request.membership, image=image)
    except services.TransitionError as exc:
        if request.htmx:
            return HttpResponse(status=409, content=escape(str(exc)))
        messages.error(request, str(exc))
    else:
        if request.htmx:
            return HttpResponse("")  # the card is swapped for nothing
        messages.success(request, "Photo removed.")
    return redirect("post_edit", image.post_id)


@school_member_required(Perm.DRAFT_POSTS)
@require_POST
def post_image_alt_text(request, pk: int):
    """Save one photo's description (compose.js saves it as it is typed)."""
    image = _own_image(request, pk)
    alt_text = request.POST.get(PostForm.alt_field_name(image), request.POST.get("alt_text", ""))
    try:
        services.post_set_alt_text(actor=request.membership, image=image, alt_text=alt_text)
    except (services.ContentRefused, services.TransitionError) as exc:
        problem = getattr(exc, "message", str(exc))
        if request.htmx:  # htmx swaps only successful responses: the problem is this fragment's content
            return render(request, "posts/compose_alt_status.html", {"problem": problem})
        messages.error(request, problem)
    else:
        if request.htmx:
            return render(request, "posts/compose_alt_status.html", {"saved": True})
        messages.success(request, "Description saved.")
    return redirect("post_edit", image.post_id)


@require_GET
@school_member_required()
def post_image_file(request, pk: int, kind: str = "rendition"):
    """A photo's thumbnail or its publishable rendition, for staff of the school who work on
    the post: its author, whoever drafts for its account, and the approvers. Never cached by
    the browser or a proxy. The original upload has no address at all.

    With the photos in object storage, the rendition is a redirect to a link that works for a
    few minutes (MEDIA_SIGNED_LINK_SECONDS), made only after the checks above; the thumbnail
    and the published copy have faces covered by the portal, so the portal sends them itself."""
    image = get_image(request, pk, check=works_on)
    if kind not in PHOTO_FILE_KINDS:  # above all, never "original"
        raise Http404("There is no such file for a photo.")
    stored = (image.thumbnail or image.rendition) if kind == "thumbnail" else image.rendition
    if not stored:
        raise Http404("This photo has no file.")
    try:
        if kind == "published":
            response = HttpResponse(photo_render_for_publishing(image=image), content_type="image/jpeg")
        elif kind == "thumbnail":
            response = HttpResponse(photo_thumbnail_as_published(image=image), content_type="image/jpeg")
        elif link := signed_link(stored, content_type="image/jpeg"):
            response = HttpResponseRedirect(link)
        else:
            response = FileResponse(stored.open("rb"), content_type="image/jpeg")
    except FileNotFoundError:
        raise Http404("This photo's file is missing.") from None
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        response = HttpResponse(PHOTO_STORE_SLOW, content_type="text/plain; charset=utf-8", status=503)
        response["Retry-After"] = "60"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


# My posts


@require_GET
@school_member_required(Perm.DRAFT_POSTS)
def post_list_mine(request):
    """The person's posts at this school, newest first, with what the approvers said."""
    posts = (
        with_destinations(posts_for_school(school=request.school))
        .filter(AUTHORS_OWN, author=request.user)
        .defer("account__credentials")
        .prefetch_related(
            Prefetch("images", queryset=PostImage.objects.order_by("position", "pk")),
            Prefetch(
                "comments",
                queryset=PostComment.objects.filter(kind__in=_NOTE_KINDS)
                .select_related("author")
                .order_by("-created_at", "-pk"),
                to_attr="notes",
            ),
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(posts, MY_POSTS_PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    # Approval in more than one step: where each waiting post stands ("Step 1 of 2 approved by …").
    summaries = chain_summaries(listed)
    for post in listed:
        post.chain_summary = summaries.get(post.pk, "")
    context = {"page": page, "posts": listed, "saved_copies": request.session.pop(_SAVED_COPIES, [])}
    return render(request, "posts/compose_mine.html", context)
