from django.urls import path

from . import views
from . import views_compose as compose
from . import views_delegation as delegation
from . import views_feed as feed
from . import views_photos as photos
from . import views_repost as repost
from . import views_review as review

urlpatterns = [
    path("new/", compose.post_compose, name="post_compose"),
    path("new/repost/", repost.post_repost_compose, name="post_repost_compose"),
    path("<int:pk>/repost/", repost.post_repost_edit, name="post_repost_edit"),
    path("mine/", compose.post_list_mine, name="post_list_mine"),
    path("text-feedback/", compose.post_text_feedback, name="post_text_feedback"),
    path("<int:pk>/edit/", compose.post_edit, name="post_edit"),
    path("<int:pk>/photos/upload/", compose.post_image_upload, name="post_image_upload"),
    path("photos/<int:pk>/remove/", compose.post_image_remove, name="post_image_remove"),
    path("photos/<int:pk>/description/", compose.post_image_alt_text, name="post_image_alt_text"),
    path("photos/<int:pk>/", compose.post_image_file, name="post_image_file"),
    path("photos/<int:pk>/<str:kind>/", compose.post_image_file, name="post_image_file"),
    path("take-down/", views.take_down_list, name="take_down_list"),
    path("<int:pk>/take-down/", views.post_take_down, name="post_take_down"),
    path("<int:pk>/take-down-everywhere/", views.post_take_down_everywhere, name="post_take_down_everywhere"),
    path("<int:pk>/retry-publish/", views.post_retry_publish, name="post_retry_publish"),
    path("review/", review.review_queue, name="review_queue"),
    path("review/<int:pk>/", review.review_post, name="review_post"),
    path("review/<int:pk>/approve/", review.review_approve, name="review_approve"),
    path("review/<int:pk>/request-changes/", review.review_request_changes, name="review_request_changes"),
    path("review/<int:pk>/reject/", review.review_reject, name="review_reject"),
    path("review/<int:pk>/comment/", review.review_comment, name="review_comment"),
    path("calendar/", review.post_calendar, name="post_calendar"),
    # The school's website feed (issue 17): its addresses, the code to paste, the headteacher's switch.
    path("website-feed/", feed.website_feed, name="website_feed"),
    # Trip mode (issue 5): the headteacher lends the whole-school account for a few days.
    path("trips/", delegation.delegation_list, name="delegation_list"),
    path("trips/new/", delegation.delegation_create, name="delegation_create"),
    path("trips/<int:pk>/end/", delegation.delegation_revoke, name="delegation_revoke"),
    # The photo page (issue 5): faces and tags. Without a photo named, the post's first photo.
    path("<int:pk>/photos/", photos.post_photo, name="post_photo"),
    path("<int:pk>/photos/<int:image_pk>/", photos.post_photo, name="post_photo"),
    path("<int:pk>/photos/pupils/", photos.post_photo_pupils, name="post_photo_pupils"),
    path("<int:pk>/photos/faces/resolve/", photos.post_photo_face_resolve, name="post_photo_face_resolve"),
    path("<int:pk>/photos/faces/add/", photos.post_photo_face_add, name="post_photo_face_add"),
    path("<int:pk>/photos/faces/delete/", photos.post_photo_face_delete, name="post_photo_face_delete"),
    path("<int:pk>/photos/tags/add/", photos.post_photo_tag, name="post_photo_tag"),
    path("<int:pk>/photos/tags/remove/", photos.post_photo_untag, name="post_photo_untag"),
]
