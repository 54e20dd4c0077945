"""Every read of the posts table that the approvers' and authors' busiest pages make is served by
an index that starts with the school's side of the row (its account, or the author for a person's
own posts), so what a page costs follows what one school has, not what the whole trust has.

Each page is loaded, and every SELECT it sent that reads posts_post is explained by PostgreSQL
with sequential scans priced out of reach (`enable_seqscan = off`): the planner then takes an
index whenever one can serve the query, so a scan left in the plan means no index fits. Other
schools' posts, many accounts of them, are there and analysed, so an index that starts with the
status (one that reads every school's waiting posts) looks as costly to the planner as it would
be in a trust. The test asserts plans, never times."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SocialAccount
from consent.models import ConsentDecision, ConsentPurpose, ConsentRecord, Pupil
from posts.models import Post, PostStatus

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Query plans are PostgreSQL's: run with DATABASE_URL=postgres://... to check them (CI does)",
)

READS_POSTS = re.compile(r'(FROM|JOIN) "posts_post"( |$)')
SEQ_SCAN_OF_POSTS = re.compile(r"Seq Scan on posts_post\b")
PICKS_A_STATUS = re.compile(r"status\)?(::text)? = ")
POSTS_SCAN = re.compile(r"Scan (?:using \S+ )?on posts_post\b")
INDEX_USED = re.compile(r"(?:Scan using (\S+) on posts_post\b|Bitmap Index Scan on (\S+))")
# The columns an index of a school's page may start with: the post itself, its account, its author.
TENANT_FIRST_COLUMNS = ("id", "account_id", "author_id")


def _posts_in_every_status(account, author, approver, label: str) -> dict[str, Post]:
    now = timezone.now()
    # An hour ago, but never before today began: the day and month views show today's posts, and
    # a run just after midnight would otherwise find none.
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    published_at = max(now - timedelta(hours=1), start_of_today)
    made = {}
    for status in PostStatus:
        published = status in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN)
        made[status] = Post.objects.create(
            account=account,
            author=author,
            text=f"{label} post that is {status.label.lower()}",
            status=status,
            submitted_at=None if status == PostStatus.DRAFT else now - timedelta(days=1),
            decided_by=approver if status not in (PostStatus.DRAFT, PostStatus.SUBMITTED) else None,
            decided_at=now - timedelta(hours=20) if status not in (PostStatus.DRAFT, PostStatus.SUBMITTED) else None,
            publish_at=now + timedelta(days=2) if status == PostStatus.SCHEDULED else None,
            published_at=published_at if published else None,
            external_id="x1" if published else "",
            failure_reason="Refused" if status == PostStatus.FAILED else "",
        )
    return made


def _the_rest_of_the_trust(outsider, *, accounts: int = 40, posts_each: int = 50) -> None:
    """Many accounts of another school with posts in a mix of statuses, then fresh statistics."""
    statuses = list(PostStatus)
    others = SocialAccount.objects.bulk_create(
        SocialAccount(
            school=outsider.school,
            kind="class",
            class_group=outsider.class_group,
            handle=f"beta_{n}",
            display_name=f"Beta {n}",
        )
        for n in range(accounts)
    )
    now = timezone.now()

    def post(account, n: int) -> Post:
        status = statuses[n % len(statuses)]
        published = status in (PostStatus.PUBLISHED, PostStatus.TAKEN_DOWN)
        return Post(
            account=account,
            author=outsider.teacher.user,
            text="Their post",
            status=status,
            # Half their drafts came back from the approvers, half were never sent.
            submitted_at=None if status == PostStatus.DRAFT and n % 4 else now - timedelta(days=n),
            publish_at=now + timedelta(days=n) if status == PostStatus.SCHEDULED else None,
            published_at=now - timedelta(days=n) if published else None,
            external_id=str(n) if published else "",
        )

    Post.objects.bulk_create(post(account, n) for account in others for n in range(posts_each))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")
        cursor.execute("ANALYZE accounts_socialaccount")


@pytest.fixture
def posts(staff, accounts, outsider):
    ours = _posts_in_every_status(accounts.year3, staff.teacher.user, staff.head.user, "Our")
    _posts_in_every_status(outsider.account, outsider.teacher.user, outsider.head.user, "Their")
    _the_rest_of_the_trust(outsider)
    return ours


def _status_read_row_by_row(plan: list[str]) -> bool:
    """Whether a scan of a school's posts picks a status by checking each row it reads (`Filter:`)
    where its index could have found only the rows with that status (`Index Cond:`). A scan of
    one person's own posts (the author's index) may: the planner weighs a few rows either way."""
    for at, line in enumerate(plan):
        if not POSTS_SCAN.search(line) or "post_author_status" in line:
            continue
        depth = len(line) - len(line.lstrip(" ->"))
        details = []
        for detail in plan[at + 1 :]:
            if "->" in detail or len(detail) - len(detail.lstrip()) <= depth:
                break
            details.append(detail.strip())
        in_index = any(d.startswith(("Index Cond:", "Recheck Cond:")) and "status" in d for d in details)
        if not in_index and any(d.startswith("Filter:") and PICKS_A_STATUS.search(d) for d in details):
            return True
    return False


def _indexes_of_posts(cursor) -> set[str]:
    cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'posts_post'")
    return {name for (name,) in cursor.fetchall()}


def _tenant_first_indexes(cursor) -> set[str]:
    cursor.execute(
        """
        SELECT index_class.relname, first_column.attname
        FROM pg_index
        JOIN pg_class index_class ON index_class.oid = pg_index.indexrelid
        JOIN pg_attribute first_column
          ON first_column.attrelid = pg_index.indrelid AND first_column.attnum = pg_index.indkey[0]
        WHERE pg_index.indrelid = 'posts_post'::regclass
        """
    )
    return {name for name, column in cursor.fetchall() if column in TENANT_FIRST_COLUMNS}


def _plans_that_scan_posts(client, url: str, query: dict) -> tuple[object, list[str]]:
    """The page's response, and the plans of its reads of posts_post that scan the table, use an
    index that does not start with the post, its account or its author, or check the status of
    every row an index gives them."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    scans = []
    with connection.cursor() as cursor:
        allowed, of_posts = _tenant_first_indexes(cursor), _indexes_of_posts(cursor)
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in (entry["sql"] for entry in captured.captured_queries):
            if not sql.startswith("SELECT") or not READS_POSTS.search(sql):
                continue
            cursor.execute(f"EXPLAIN {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            plan = "\n".join(lines)
            used = {name for pair in INDEX_USED.findall(plan) for name in pair if name in of_posts}
            if SEQ_SCAN_OF_POSTS.search(plan) or used - allowed or _status_read_row_by_row(lines):
                scans.append(f"{sql}\n{plan}")
        cursor.execute("RESET enable_seqscan")
    return response, scans


PAGES = [
    ("head", "review_queue", {}, "Our post that is waiting for approval"),
    ("head", "review_queue", {"status": "all"}, "Our post that is published"),
    ("head", "review_queue", {"status": "published", "page": "2"}, "Our post that is published"),
    ("head", "review_queue", {"status": "scheduled"}, "Our post that is scheduled"),
    ("head", "dashboard", {}, "Our post that is waiting for approval"),
    ("teacher", "dashboard", {}, "Our post that is draft"),
    ("head", "post_calendar", {}, "Our post that"),
    ("head", "post_calendar", {"view": "week"}, "Our post that"),
    ("head", "post_calendar", {"view": "list"}, "Our post that is scheduled"),
    ("head", "post_calendar", {"view": "list", "page": "2"}, "Our post that is published"),
    ("head", "post_calendar", {"view": "day"}, "Our post that"),
]


@pytest.mark.parametrize(("who", "url_name", "query", "shown"), PAGES)
def test_the_page_reads_posts_through_indexes_only(client_for, staff, posts, who, url_name, query, shown):
    client = client_for(getattr(staff, who))
    response, scans = _plans_that_scan_posts(client, reverse(url_name), query)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown in page and "Their post" not in page
    assert not scans, "A read of posts_post that no school-first index serves:\n\n" + "\n\n".join(scans)


# The consent records behind the office's dashboard and the register's answer filter are read
# pupil by pupil from the school's own pupils. Asked as "no photo answer OR no name answer", a
# test PostgreSQL cannot turn into a join, it would instead read every school's records into a
# hash table (a "hashed SubPlan"), which at a trust's scale costs ten times the page's own work.

SCANS_RECORDS = re.compile(r"Scan (?:using \S+ )?on consent_consentrecord\b")
SUBPLAN = re.compile(r"^(\s*)SubPlan (\d+)")


def _reads_every_schools_records(plan: list[str]) -> bool:
    """Whether the plan scans the records table, or hashes a subquery of it."""
    text = "\n".join(plan)
    if "Seq Scan on consent_consentrecord" in text:
        return True
    for at, line in enumerate(plan):
        found = SUBPLAN.match(line)
        if not found or f"hashed SubPlan {found.group(2)}" not in text:
            continue
        depth = len(found.group(1))
        body = []
        for inner in plan[at + 1 :]:
            if len(inner) - len(inner.lstrip()) <= depth:
                break
            body.append(inner)
        if any(SCANS_RECORDS.search(inner) for inner in body):
            return True
    return False


@pytest.fixture
def consent_on_file(school, year3, staff, outsider):
    """Pupils with and without answers here, and many more with answers at another school: enough
    of both for the planner to weigh a hash of every record against reading ours one by one, as it
    does in a trust."""

    def pupils(of_school, class_group, count: int) -> list[Pupil]:
        return Pupil.objects.bulk_create(
            Pupil(school=of_school, class_group=class_group, first_name=f"Child{n}", surname="Example")
            for n in range(count)
        )

    ours = pupils(school, year3, 300)
    theirs = pupils(outsider.school, outsider.class_group, 2500)
    today = timezone.localdate()
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            pupil=pupil,
            purpose=purpose,
            decision=ConsentDecision.REFUSED if n % 5 == 0 else ConsentDecision.GIVEN,
            given_by_name="A Carer",
            relationship="mother",
            method="letter",
            decided_on=today - timedelta(days=30),
            recorded_by=staff.office.user,
        )
        for n, pupil in enumerate(ours[:150] + theirs)
        for purpose in (ConsentPurpose.SOCIAL_PHOTO, ConsentPurpose.SOCIAL_NAME, ConsentPurpose.PRESS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consent_pupil")
        cursor.execute("ANALYZE consent_consentrecord")


@pytest.mark.parametrize(
    ("who", "url_name", "query"),
    [
        ("office", "dashboard", {}),
        ("office", "consent_register", {"answer": "refused"}),
        ("office", "consent_register", {"answer": "none"}),
        ("office", "consent_register", {"answer": "disputed", "purpose": "social_photo"}),
    ],
)
def test_consent_records_are_read_through_the_pupils_index(client_for, staff, consent_on_file, who, url_name, query):
    client = client_for(getattr(staff, who))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(url_name), query).status_code == 200
    wide = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in (entry["sql"] for entry in captured.captured_queries):
            if not sql.startswith("SELECT") or '"consent_consentrecord"' not in sql:
                continue
            cursor.execute(f"EXPLAIN {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            if _reads_every_schools_records(lines):
                wide.append(sql + "\n" + "\n".join(lines))
        cursor.execute("RESET enable_seqscan")
    assert not wide, "A read of every school's consent records:\n\n" + "\n\n".join(wide)
