"""Standing cast for tests: one school with a member of staff in every role, and an outsider
school with its own headteacher (the healthchecks pattern: owner, member, outsider)."""

from types import SimpleNamespace

import pytest

from accounts.models import Role

from .blueskystub import bluesky_stub  # noqa: F401 - the stub Bluesky server fixture, for the whole suite
from .factories import enable_totp, make_account, make_class, make_member, make_school
from .mastodonstub import mastodon_stub  # noqa: F401 - the stub Mastodon server fixture, for the whole suite
from .s3 import s3_store  # noqa: F401 - an S3-compatible object store (moto) for the storage tests
from .xstub import x_stub  # noqa: F401 - the stub X server fixture, for the whole suite


@pytest.fixture
def school(db):
    return make_school("Alpha Primary", "alpha")


@pytest.fixture
def year3(school):
    return make_class(school, "Year 3", 3)


@pytest.fixture
def staff(school, year3):
    """Everyone at Alpha Primary. Approvers and managers already have TOTP set up."""
    cast = SimpleNamespace(
        head=make_member(school, "head@alpha.test", [Role.HEADTEACHER]),
        slt=make_member(school, "slt@alpha.test", [Role.SENIOR_LEADER]),
        teacher=make_member(school, "teacher@alpha.test", [Role.CLASS_TEACHER], [year3]),
        ta=make_member(school, "ta@alpha.test", [Role.TEACHING_ASSISTANT], [year3]),
        computing=make_member(school, "computing@alpha.test", [Role.COMPUTING_LEAD]),
        office=make_member(school, "office@alpha.test", [Role.OFFICE_ADMIN]),
    )
    cast.totp = {m.user.email: enable_totp(m.user) for m in (cast.head, cast.slt, cast.office)}
    return cast


@pytest.fixture
def outsider(db):
    """Beta Primary: another tenant, with its own class, account and headteacher."""
    other = make_school("Beta Primary", "beta")
    klass = make_class(other, "Beta Year 3", 3)
    head = make_member(other, "head@beta.test", [Role.HEADTEACHER])
    enable_totp(head.user)
    return SimpleNamespace(
        school=other,
        class_group=klass,
        head=head,
        teacher=make_member(other, "teacher@beta.test", [Role.CLASS_TEACHER], [klass]),
        account=make_account(other, "beta_school"),
    )


@pytest.fixture
def accounts(school, year3):
    return SimpleNamespace(
        whole_school=make_account(school, "alpha_school"), year3=make_account(school, "alpha_year3", class_group=year3)
    )


@pytest.fixture
def client_for(client):
    """Sign a member in (skipping the login form: the sign-in flow has tests of its own)."""

    def sign_in(membership):
        client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture(scope="session", autouse=True)
def _flush_opens_the_audit_door():
    """Between tests that commit, pytest-django empties every table (flush: TRUNCATE on PostgreSQL,
    DELETE on SQLite), which the audit trail's triggers refuse. The flush, and nothing else, goes
    through the trail's maintenance door."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from audit.maintenance import maintenance_door

    flush = BaseDatabaseOperations.execute_sql_flush

    def flush_through_the_door(self, sql_list):
        with maintenance_door(reason="the test runner empties the database", using=self.connection.alias):
            flush(self, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", flush_through_the_door)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and used TOTP codes live in the cache: each test starts clean."""
    from django.core.cache import cache

    cache.clear()


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "testserver"})


def _needs_no_lookup(host) -> bool:
    """This machine's own names, and addresses written as numbers (no name server is asked)."""
    import ipaddress

    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name in _LOOPBACK_NAMES:
        return True
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """No test reaches the internet: any name lookup outside this machine fails, as it would on
    a machine with no network, so code that would reach out (a link preview of a real domain)
    takes its no-answer path instead."""
    import socket

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if not _needs_no_lookup(host):
            raise socket.gaierror(socket.EAI_NONAME, f"Tests do not reach the internet ({host}).")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
