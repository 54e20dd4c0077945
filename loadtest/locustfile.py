"""Staff at work, for Locust: each simulated person signs in with their password (and their
authenticator code, if they have one), then uses the pages their roles give them, with 3 to 8
seconds between pages as someone reading and typing would take.

loadtest/run.py (`make load`) seeds the staff, starts the portal and runs this headless. By
hand, against a portal seeded with `manage.py seed_load`:

    PYTHONPATH=. LOAD_STAFF_FILE=staff.json locust -f loadtest/locustfile.py --host http://127.0.0.1:8000

LOAD_RESULTS_FILE, when set, receives every request's time once the run ends, split into the
ramp (people still arriving and signing in) and the steady part, and when the steady part
began and ended, for run.py's table.
"""

import io
import itertools
import json
import os
import random
import time
from pathlib import Path

import pyotp
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser
from PIL import Image, ImageDraw

from loadtest import pages

APPROVERS = {"headteacher", "senior_leader"}
DRAFTERS = {"headteacher", "senior_leader", "class_teacher", "teaching_assistant"}
CONSENT_MANAGERS = {"headteacher", "office_admin"}
TEXTS = [
    "Year 4 built bridges from straws this afternoon and tested them with marbles.",
    "What a brilliant trip to the museum! Thank you to the parents who helped.",
    "Our reading champions of the week have chosen the next class book.",
]

_staff = json.loads(Path(os.environ["LOAD_STAFF_FILE"]).read_text()) if os.environ.get("LOAD_STAFF_FILE") else []
_next_person = itertools.count()
_timings: list[tuple[str, float, bool, str]] = []
_phase = "ramp"
_steady_since: float | None = None


def _photo_jpeg() -> bytes:
    """A small real photo-like JPEG (gradients and shapes, no faces), made once."""
    image = Image.linear_gradient("L").resize((1200, 900)).convert("RGB")
    draw = ImageDraw.Draw(image)
    rng = random.Random(4)  # noqa: S311 - shapes, not secrets
    for _ in range(40):
        x, y = rng.randrange(1100), rng.randrange(800)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.ellipse((x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 120)), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


PHOTO = _photo_jpeg()


class StaffMember(HttpUser):
    """One member of staff from the seeded schools; the pages they use follow their roles."""

    wait_time = between(3, 8)

    def on_start(self):
        if not _staff:
            raise StopUser("LOAD_STAFF_FILE names no staff: run manage.py seed_load first.")
        self.person = _staff[next(_next_person) % len(_staff)]
        self.waiting_post_ids: list[int] = []
        self.tasks = self._tasks_for(set(self.person["roles"]))
        if not self._sign_in():
            raise StopUser()

    @staticmethod
    def _tasks_for(roles: set[str]) -> list:
        tasks = [StaffMember.dashboard] * 4
        if roles & APPROVERS:
            tasks += [StaffMember.queue] * 3 + [StaffMember.review] * 3 + [StaffMember.calendar] * 2
        if roles & CONSENT_MANAGERS:
            tasks += [StaffMember.register] * 2
        if roles & DRAFTERS:
            tasks += [StaffMember.my_posts] * 2 + [StaffMember.compose]
        return tasks

    # Requests

    def _csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def _htmx_headers(self) -> dict:
        return {"HX-Request": "true", "X-CSRFToken": self._csrf()}

    def _get(self, path: str, name: str):
        """A page, which must answer 200 itself: a redirect (to sign-in, say) is a failure."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")
        return response

    def _post(self, path: str, name: str, *, expect: int, redirect_to: str = "", **kwargs):
        with self.client.post(path, name=name, allow_redirects=False, catch_response=True, **kwargs) as response:
            location = response.headers.get("Location", "")
            if response.status_code != expect or not location.startswith(redirect_to):
                response.failure(f"{response.status_code} {location}")
        return response

    def _sign_in(self) -> bool:
        """Password, then the authenticator code for those who have an app (approvers and the
        office); the others go straight to the dashboard."""
        self._get(pages.SIGN_IN, "sign-in page")
        form = {"login": self.person["email"], "password": self.person["password"]}
        secret = self.person.get("totp_secret")
        step = self._post(
            pages.SIGN_IN,
            "sign-in: password",
            expect=302,
            redirect_to=pages.SECOND_STEP if secret else pages.DASHBOARD,
            data={**form, "csrfmiddlewaretoken": self._csrf()},
        )
        if step.status_code != 302 or not secret:
            return step.status_code == 302
        self._get(pages.SECOND_STEP, "sign-in: code page")
        code = pyotp.TOTP(secret).now()
        done = self._post(
            pages.SECOND_STEP,
            "sign-in: code",
            expect=302,
            redirect_to=pages.DASHBOARD,
            data={"code": code, "csrfmiddlewaretoken": self._csrf()},
        )
        return done.status_code == 302

    # What staff do

    @task  # everyone's; on_start puts the pages of the person's roles beside it
    def dashboard(self):
        self._get(pages.DASHBOARD, "dashboard")

    def queue(self):
        response = self._get(pages.QUEUE, "queue")
        found = {int(pk) for pk in pages.REVIEW_LINK.findall(response.text or "")}
        self.waiting_post_ids = sorted(found)

    def review(self):
        if not self.waiting_post_ids:
            self.queue()
        if self.waiting_post_ids:
            self._get(pages.REVIEW.format(pk=random.choice(self.waiting_post_ids)), "review")

    def calendar(self):
        self._get(pages.CALENDAR, "calendar")

    def register(self):
        self._get(pages.REGISTER, "register")

    def my_posts(self):
        self._get(pages.MY_POSTS, "my posts")

    def compose(self):
        """Open "New post", type while the live check answers, save the draft, and now and then
        add a photo to it."""
        page = self._get(pages.COMPOSE, "compose")
        token = pages.CLIENT_TOKEN.search(page.text or "")
        accounts = pages.ACCOUNT_CHOICE.findall(page.text or "")
        if not token or not accounts:
            return
        account, text = random.choice(accounts), random.choice(TEXTS)
        for typed in (text[: len(text) // 2], text):
            time.sleep(random.uniform(1, 2.5))
            self.client.post(
                pages.LIVE_CHECK,
                name="live check",
                data={"text": typed, "account": account, "has_photos": "0"},
                headers=self._htmx_headers(),
            )
        form = {"client_token": token.group(1), "account": account, "text": text, "quote_url": "", "publish_at": ""}
        saved = self._post(
            pages.COMPOSE,
            "save draft",
            expect=302,
            redirect_to="/posts/",
            data={**form, "action": "save", "csrfmiddlewaretoken": self._csrf()},
        )
        draft = pages.DRAFT_LOCATION.match(saved.headers.get("Location", ""))
        if not draft:
            return
        self._get(pages.EDIT.format(pk=draft.group(1)), "draft page")
        if random.random() < 0.5:
            time.sleep(random.uniform(1, 3))
            self._post(
                pages.PHOTO_UPLOAD.format(pk=draft.group(1)),
                "photo upload",
                expect=200,
                files={"photo": ("class-photo.jpg", PHOTO, "image/jpeg")},
                headers=self._htmx_headers(),
            )


class LoadBalancer(HttpUser):
    """The proxy in front of the portal, asking whether it is up every five seconds."""

    fixed_count = 1
    wait_time = constant(5)

    @task
    def healthz(self):
        self.client.get(pages.HEALTHZ, name="healthz")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    _timings.append((name, response_time, exception is None, _phase))


@events.spawning_complete.add_listener
def _steady(user_count, **kwargs):
    global _phase, _steady_since
    _phase, _steady_since = "steady", time.time()


@events.quitting.add_listener
def _write_results(environment, **kwargs):
    path = os.environ.get("LOAD_RESULTS_FILE")
    if path:
        requests = [{"name": n, "ms": ms, "ok": ok, "phase": p} for n, ms, ok, p in _timings]
        Path(path).write_text(json.dumps({"steady_since": _steady_since, "ended": time.time(), "requests": requests}))
