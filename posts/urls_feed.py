"""The public website feed (issue 17), under /feeds/<school>/: no sign-in, no cookies."""

from django.urls import path

from . import views_feed as feed
from .feeds import AccountFeed, SchoolFeed

urlpatterns = [
    path("<slug:school>/atom.xml", SchoolFeed(), name="feed_school_atom"),
    path("<slug:school>/posts/", feed.feed_school_list, name="feed_school_list"),
    path("<slug:school>/photos/<int:pk>.jpg", feed.feed_photo, name="feed_photo"),
    path("<slug:school>/accounts/<int:account>/atom.xml", AccountFeed(), name="feed_account_atom"),
    path("<slug:school>/accounts/<int:account>/posts/", feed.feed_account_list, name="feed_account_list"),
]
