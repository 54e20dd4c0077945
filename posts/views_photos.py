"""The photo page: what each face on a post's photo is, and which pupils the photo shows.

Used by the author on a school iPad (touch first, every control at least 44px) and shown read-only
to approvers. Every change is a plain form POST answered with a redirect back to the page, so the
page works without JavaScript; with htmx the same forms swap the page's main element in place
(keeping the scroll position), and static/js/faces.js lets the author drag a box on the photo.

URLs take the post's pk first and name the photo, face or pupil in the query or the form, so each
one is checked against the post: a photo, face or pupil that is not the post's (or not the school's)
is never found through another post.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import school_member_required
from accounts.models import Membership, SocialAccount
from accounts.permissions import Perm
from consent.models import ConsentPurpose, Pupil
from consent.selectors import ConsentState, ConsentStatus, effective_consent, pupils_for_school

from .getters import author_or_approver, get_post
from .models import FaceRegion, Post, PostImage
from .services import photos as services

# How many pupils a search of the whole school lists at once (a class is always listed in full).
MAX_CHOICES = 40


# Reading: who may see the page, and what it shows.


def _viewable_post(request, pk: int) -> Post:
    return get_post(request, pk, check=author_or_approver)


@dataclass(frozen=True)
class PhotoConsent:
    """A pupil's photo consent as the page shows it: "Yes", "No" or "Do not publish", and why not.

    `reason` comes from `effective_consent`, which never carries the never-publish reason.
    """

    allowed: bool
    label: str
    css: str
    reason: str

    @classmethod
    def of(cls, status: ConsentStatus) -> "PhotoConsent":
        if status.allowed:
            label = "Yes"
        elif status.state == ConsentState.NEVER_PUBLISH:
            label = "Do not publish"
        else:
            label = "No"
        return cls(status.allowed, label, f"consent-{status.state.value}", status.reason)


@dataclass(frozen=True)
class PupilOption:
    pupil: Pupil
    consent: PhotoConsent

    @property
    def name(self) -> str:
        return f"{self.pupil.known_as} {self.pupil.surname}"

    @property
    def class_name(self) -> str:
        return self.pupil.class_group.name if self.pupil.class_group_id else ""


@dataclass
class FaceView:
    face: FaceRegion
    number: int
    left: str
    top: str
    width: str
    height: str
    state: str  # unresolved, pupil, not_pupil, redacted, not_face, problem
    who: PupilOption | None
    problem: str
    # The pupil picker under the face: the pupils offered (None: search first), the search typed
    # (when the page was reloaded by a search without JavaScript) and whether it starts open.
    results: list[PupilOption] | None = None
    query: str = ""
    picking: bool = False

    @property
    def target(self) -> str:
        return f"face-{self.face.pk}"

    @property
    def status(self) -> str:
        if self.who is not None:
            return self.who.name
        return {
            FaceRegion.Resolution.NOT_PUPIL: "Not a pupil",
            FaceRegion.Resolution.REDACTED: "Covered",
            FaceRegion.Resolution.NOT_FACE: "Not a face (dismissed)",
        }.get(self.face.resolution, "Not checked yet")

    @property
    def dismissable(self) -> bool:
        """Only a box the portal drew can be dismissed: one drawn by hand is removed instead."""
        return self.face.source == FaceRegion.Source.DETECTED


def _option(pupil: Pupil) -> PupilOption:
    return PupilOption(pupil, PhotoConsent.of(effective_consent(pupil, ConsentPurpose.SOCIAL_PHOTO)))


def _choices(post: Post) -> list[PupilOption]:
    """The pupils an author chooses from: the class's for a class account, the school's otherwise."""
    account = post.account
    class_group = account.class_group if account.kind == SocialAccount.Kind.CLASS else None
    return [_option(pupil) for pupil in pupils_for_school(school=account.school, class_group=class_group)]


def _scope_label(post: Post) -> str:
    account = post.account
    return account.class_group.name if account.kind == SocialAccount.Kind.CLASS else "the school"


def _matching(options: list[PupilOption], query: str) -> list[PupilOption]:
    """Each word typed must start one of the pupil's names ("am ok" finds Amara Okafor)."""
    words = query.casefold().split()
    if not words:
        return options

    def matches(option: PupilOption) -> bool:
        pupil = option.pupil
        names = f"{pupil.first_name} {pupil.preferred_name} {pupil.surname}".casefold().replace("-", " ").split()
        return all(any(name.startswith(word) for name in names) for word in words)

    return [option for option in options if matches(option)]


def _percent(value: int, whole: int) -> str:
    return f"{100 * value / whole:.3f}" if whole else "0"


def _face_problem(option: PupilOption) -> str:
    name = option.pupil.known_as
    if option.consent.allowed:
        return ""
    if option.pupil.never_publish:
        return f"{name} must never appear in a post. Cover this face instead (“Cover it”), then remove {name}'s tag."
    return (
        f"{name} has no consent for photos. {option.consent.reason} "
        f"Cover this face instead (“Cover it”), then remove {name}'s tag."
    )


def _tag_problem(option: PupilOption) -> str:
    name = option.pupil.known_as
    if option.consent.allowed:
        return ""
    why = "must never appear in a post" if option.pupil.never_publish else "has no consent for photos"
    return (
        f"{name} {why}. If {name} can be recognised in this photo, mark {name} with a box and choose "
        "“Cover it”, then remove the tag. Otherwise choose another photo."
    )


def _faces(image: PostImage, options: dict[int, PupilOption]) -> list[FaceView]:
    views = []
    for number, face in enumerate(image.faces.order_by("pk"), start=1):
        who = options.get(face.pupil_id) if face.pupil_id else None
        problem = _face_problem(who) if who else ""
        views.append(
            FaceView(
                face=face,
                number=number,
                left=_percent(face.x, image.width),
                top=_percent(face.y, image.height),
                width=_percent(face.w, image.width),
                height=_percent(face.h, image.height),
                state="problem" if problem else (face.resolution or "unresolved"),
                who=who,
                problem=problem,
            )
        )
    return views


def _edit_refusal(membership: Membership, post: Post) -> str:
    """Why this person cannot change the photo now ("" when they can)."""
    try:
        services.photo_edit_check(actor=membership, post=post)
    except PermissionDenied as refusal:
        if post.author_id == membership.user_id:
            return str(refusal)
        return "You can see this photo, but only its author can change it while the post is a draft."
    except services.PhotoChangeRefused as refusal:
        return refusal.message
    return ""


def _page(request, post: Post, image: PostImage | None) -> HttpResponse:
    images = list(post.images.order_by("position", "pk"))
    # Back to where the person came from: the author's compose page, or the approver's review.
    if post.author_id == request.membership.user_id:
        back_url, back_label = reverse("post_edit", args=[post.pk]), "Back to the post"
    else:
        back_url, back_label = reverse("review_post", args=[post.pk]), "Back to the review"
    context = {"post": post, "image": image, "images": images, "back_url": back_url, "back_label": back_label}
    if image is None:
        return render(request, "posts/photo_detail.html", context)

    read_only_reason = _edit_refusal(request.membership, post)
    choices = _choices(post) if not read_only_reason else []
    tagged = list(image.tagged_pupils.all())
    on_faces = [face.pupil_id for face in image.faces.all() if face.pupil_id]
    # Pupils on the photo are read with their consent records, wherever they are on the register.
    shown = {
        pupil.pk: _option(pupil)
        for pupil in Pupil.objects.filter(pk__in={p.pk for p in tagged} | set(on_faces))
        .select_related("class_group")
        .prefetch_related("consent_records")
    }
    faces = _faces(image, shown)
    # A search made without JavaScript reloads the page with ?for=face-<pk>|tag&q=...
    searching = request.GET.get("for", "")
    query = request.GET.get("q", "").strip()[:100]
    first_list = _results(choices, "", post)
    for face in faces:
        face.picking = searching == f"face-{face.face.pk}"
        face.query = query if face.picking else ""
        face.results = _results(choices, query, post) if face.picking else first_list
    tagged_ids = {p.pk for p in tagged}
    untagged = [option for option in choices if option.pupil.pk not in tagged_ids]
    context.update(
        {
            "number": images.index(image) + 1,
            "ratio": f"{image.width / image.height:.4f}" if image.width and image.height else "1",
            "read_only_reason": read_only_reason,
            "can_edit": not read_only_reason,
            # Dismissing a box as not a face is the author's word alone (see services.face_resolve).
            "can_dismiss": not read_only_reason and post.author_id == request.membership.user_id,
            "faces": faces,
            "unresolved": sum(1 for f in faces if f.state == "unresolved"),
            "dismissed": sum(1 for f in faces if f.state == FaceRegion.Resolution.NOT_FACE),
            "problems": sum(1 for f in faces if f.problem),
            "tags": [
                {
                    "option": shown[p.pk],
                    "problem": _tag_problem(shown[p.pk]),
                    "face": next((f.number for f in faces if f.face.pupil_id == p.pk), None),
                }
                for p in tagged
            ],
            "scope": _scope_label(post),
            "whole_school": post.account.kind == SocialAccount.Kind.WHOLE_SCHOOL,
            "untagged": untagged,
            "tag_picking": searching == "tag",
            "tag_query": query if searching == "tag" else "",
            "tag_results": _results(untagged, query if searching == "tag" else "", post),
            "add_form": AddFaceForm(initial={"image": image.pk}),
            "max_choices": MAX_CHOICES,
        }
    )
    return render(request, "posts/photo_detail.html", context)


def _results(options: list[PupilOption], query: str, post: Post) -> list[PupilOption] | None:
    """Pupils to offer as buttons, or None to ask for a search first (a whole school is long)."""
    if post.account.kind == SocialAccount.Kind.CLASS:
        return _matching(options, query)
    if not query:
        return None
    return _matching(options, query)[:MAX_CHOICES]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@school_member_required(Perm.DRAFT_POSTS)
def post_photo(request, pk: int, image_pk: int | None = None):
    """The photo page. Without a photo named: the post's first photo (or a note that it has none)."""
    post = _viewable_post(request, pk)
    if image_pk is None:
        first = post.images.order_by("position", "pk").first()
        if first is not None:
            return redirect("post_photo", post.pk, first.pk)
        return _page(request, post, None)
    image = get_object_or_404(PostImage, post=post, pk=image_pk)
    return _page(request, post, image)


@require_GET
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_pupils(request, pk: int):
    """Search-as-you-type for the pupil picker (htmx): the matching pupils as buttons to choose."""
    post = _viewable_post(request, pk)
    image_pk = _int(request.GET.get("image"))
    if image_pk is None:
        return HttpResponseBadRequest("Say which photo the pupil is for.")
    image = get_object_or_404(PostImage, post=post, pk=image_pk)
    target = request.GET.get("for", "")
    face = None
    if target.startswith("face-"):
        face = get_object_or_404(FaceRegion, image=image, pk=_int(target.removeprefix("face-")) or 0)
    elif target != "tag":
        return HttpResponseBadRequest("Say whether the pupil is for a face or a tag.")
    options = _choices(post)
    if face is None:
        tagged = set(image.tagged_pupils.values_list("pk", flat=True))
        options = [o for o in options if o.pupil.pk not in tagged]
    query = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "posts/photo_pupil_results.html",
        {
            "post": post,
            "image": image,
            "face": face,
            "results": _results(options, query, post),
            "query": query,
            "scope": _scope_label(post),
            "whole_school": post.account.kind == SocialAccount.Kind.WHOLE_SCHOOL,
            "max_choices": MAX_CHOICES,
        },
    )


# Changing: one small form per action, each answered by a redirect back to the page.


class ResolveForm(forms.Form):
    face = forms.IntegerField(min_value=1)
    resolution = forms.ChoiceField(
        choices=[(value, label) for value, label in FaceRegion.Resolution.choices if value],
    )
    pupil = forms.IntegerField(required=False, min_value=1)


class FaceForm(forms.Form):
    face = forms.IntegerField(min_value=1)


class AddFaceForm(forms.Form):
    """A box in percentages of the photo's width and height, from its top left corner."""

    image = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    x = forms.FloatField(label="From the left (%)")
    y = forms.FloatField(label="From the top (%)")
    w = forms.FloatField(label="Width (%)")
    h = forms.FloatField(label="Height (%)")


class TagForm(forms.Form):
    image = forms.IntegerField(min_value=1)
    pupil = forms.IntegerField(min_value=1)


def _back(post: Post, image: PostImage, anchor: str = ""):
    url = reverse("post_photo", args=[post.pk, image.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _bad_request(form: forms.Form) -> HttpResponse:
    return HttpResponseBadRequest(
        "This form is missing something: "
        + "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    )


def _pupil(pupil_pk: int | None) -> Pupil | None:
    # Looked up across schools on purpose: the service refuses another school's pupil by name.
    return Pupil.objects.filter(pk=pupil_pk).first() if pupil_pk else None


def _number_of(face: FaceRegion) -> int:
    return list(face.image.faces.order_by("pk").values_list("pk", flat=True)).index(face.pk) + 1


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_face_resolve(request, pk: int):
    post = _viewable_post(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    face = get_object_or_404(
        FaceRegion.objects.select_related("image", "pupil"), image__post=post, pk=form.cleaned_data["face"]
    )
    image = face.image
    number = _number_of(face)
    previous = face.pupil
    pupil_pk = form.cleaned_data["pupil"]
    pupil = _pupil(pupil_pk)
    try:
        if pupil_pk and pupil is None:
            raise services.PhotoChangeRefused(services.NOT_ON_REGISTER)
        services.face_resolve(
            actor=request.membership, face=face, resolution=form.cleaned_data["resolution"], pupil=pupil
        )
    except services.PhotoChangeRefused as refusal:
        messages.error(request, refusal.message)
        return _back(post, image, f"face-{number}")

    if face.resolution == FaceRegion.Resolution.PUPIL:
        option = _option(face.pupil)
        problem = _face_problem(option)
        if problem:
            messages.warning(request, f"Face {number} is marked as {option.name}. {problem}")
        else:
            messages.success(request, f"Face {number} is marked as {option.name}, who is now tagged in this photo.")
    elif face.resolution == FaceRegion.Resolution.NOT_PUPIL:
        messages.success(request, f"Face {number} is marked as not a pupil.")
    elif face.resolution == FaceRegion.Resolution.NOT_FACE:
        messages.success(
            request,
            f"Box {number} is dismissed as not a face. It stays on the photo, uncovered, and the approver "
            "sees it marked as dismissed. If it is a face after all, say who it is or cover it.",
        )
    else:
        messages.success(request, f"Face {number} will be covered with a solid block when the photo is published.")
    if previous is not None and previous != face.pupil and image.tagged_pupils.filter(pk=previous.pk).exists():
        messages.info(
            request,
            f"{previous.known_as} is still tagged in this photo. If {previous.known_as} is not in it, "
            "remove the tag under “Pupils in this photo”.",
        )
    return _back(post, image, f"face-{number}")


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_face_add(request, pk: int):
    post = _viewable_post(request, pk)
    form = AddFaceForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    image = get_object_or_404(PostImage, post=post, pk=form.cleaned_data["image"])
    data = form.cleaned_data
    # Percentages to the rendition's pixels; the right and bottom edges are rounded on their own,
    # so a box drawn to the very edge ends exactly at it.
    x, y = round(data["x"] * image.width / 100), round(data["y"] * image.height / 100)
    right = round((data["x"] + data["w"]) * image.width / 100)
    bottom = round((data["y"] + data["h"]) * image.height / 100)
    try:
        face = services.face_add(actor=request.membership, image=image, x=x, y=y, w=right - x, h=bottom - y)
    except services.PhotoChangeRefused as refusal:
        messages.error(request, refusal.message)
        return _back(post, image, "mark-a-face")
    number = _number_of(face)
    messages.success(request, f"Face {number} added. Now say who it is, or cover it.")
    return _back(post, image, f"face-{number}")


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_face_delete(request, pk: int):
    post = _viewable_post(request, pk)
    form = FaceForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    face = get_object_or_404(FaceRegion.objects.select_related("image"), image__post=post, pk=form.cleaned_data["face"])
    image = face.image
    number = _number_of(face)
    try:
        services.face_delete(actor=request.membership, face=face)
    except services.PhotoChangeRefused as refusal:
        messages.error(request, refusal.message)
        return _back(post, image, f"face-{number}")
    messages.success(request, f"The box for face {number} was removed. The faces after it are numbered again.")
    return _back(post, image, "faces")


def _tag_change(request, pk: int, *, tag: bool):
    post = _viewable_post(request, pk)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    image = get_object_or_404(PostImage, post=post, pk=form.cleaned_data["image"])
    pupil = _pupil(form.cleaned_data["pupil"])
    try:
        if pupil is None:
            raise services.PhotoChangeRefused(services.NOT_ON_REGISTER)
        change = services.photo_tag if tag else services.photo_untag
        change(actor=request.membership, image=image, pupil=pupil)
    except services.PhotoChangeRefused as refusal:
        messages.error(request, refusal.message)
        return _back(post, image, "pupils")
    option = _option(pupil)
    if not tag:
        messages.success(request, f"{option.name} is no longer tagged in this photo.")
    elif problem := _tag_problem(option):
        messages.warning(request, f"{option.name} is tagged. {problem}")
    else:
        messages.success(request, f"{option.name} is tagged in this photo.")
    return _back(post, image, "pupils")


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_tag(request, pk: int):
    return _tag_change(request, pk, tag=True)


@require_POST
@school_member_required(Perm.DRAFT_POSTS)
def post_photo_untag(request, pk: int):
    return _tag_change(request, pk, tag=False)
