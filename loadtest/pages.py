"""The portal's addresses the load test visits, and what it reads from the pages, kept apart
from the locustfile so a test can check them against the real portal without importing Locust
(which patches the standard library).
"""

import re

SIGN_IN = "/accounts/login/"
SECOND_STEP = "/accounts/2fa/authenticate/"
DASHBOARD = "/"
QUEUE = "/posts/review/"
REVIEW = "/posts/review/{pk}/"
CALENDAR = "/posts/calendar/"
REGISTER = "/consent/"
MY_POSTS = "/posts/mine/"
COMPOSE = "/posts/new/"
LIVE_CHECK = "/posts/text-feedback/"
EDIT = "/posts/{pk}/edit/"
PHOTO_UPLOAD = "/posts/{pk}/photos/upload/"
HEALTHZ = "/healthz"

# Which URL name each address is, for that test.
URL_NAMES = {
    SIGN_IN: ("account_login", ()),
    SECOND_STEP: ("mfa_authenticate", ()),
    DASHBOARD: ("dashboard", ()),
    QUEUE: ("review_queue", ()),
    REVIEW.format(pk=7): ("review_post", (7,)),
    CALENDAR: ("post_calendar", ()),
    REGISTER: ("consent_register", ()),
    MY_POSTS: ("post_list_mine", ()),
    COMPOSE: ("post_compose", ()),
    LIVE_CHECK: ("post_text_feedback", ()),
    EDIT.format(pk=7): ("post_edit", (7,)),
    PHOTO_UPLOAD.format(pk=7): ("post_image_upload", (7,)),
    HEALTHZ: ("healthz", ()),
}

# What a person's browser takes from the pages: the new post form's one-time token and account
# choices, the queue's links to waiting posts, and where a saved draft lives.
CLIENT_TOKEN = re.compile(r'name="client_token" value="([^"]+)"')
ACCOUNT_CHOICE = re.compile(r'name="account" value="(\d+)"')
REVIEW_LINK = re.compile(r'href="/posts/review/(\d+)/"')
DRAFT_LOCATION = re.compile(r"/posts/(\d+)/edit/")
