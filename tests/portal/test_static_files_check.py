"""Issue 16: with DEBUG off and the static files never collected, the portal says so when it starts
(manage.py check, runserver, gunicorn through wsgi.py) instead of answering every page, the
sign-in page first, with a server error. collectstatic itself still runs."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from portal.checks import STATIC_FILES_NOT_COLLECTED, require_collected_static_files, static_files_collected

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "FIELD_ENCRYPTION_KEY": "Y4Yb3dCQ1ea9dWlvBqXr3ZTkR9p5T1-yuGzXQbtT8rI=",
    "ALLOWED_HOSTS": "portal.example.org",
    "DJANGO_SETTINGS_MODULE": "policy_portal.settings",
}


@pytest.fixture
def production_static(settings, tmp_path):
    """DEBUG off, hashed static files as in production, and an empty STATIC_ROOT."""
    settings.DEBUG = False
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path / "static"
    return settings.STATIC_ROOT


def test_uncollected_static_files_stop_the_web_server_and_warn_every_command(production_static, capsys):
    [warning] = static_files_collected()

    assert isinstance(warning, CheckWarning)
    assert warning.id == STATIC_FILES_NOT_COLLECTED
    assert str(production_static / "staticfiles.json") in warning.msg
    assert "python manage.py collectstatic" in warning.hint
    with pytest.raises(ImproperlyConfigured, match="have not been collected.*collectstatic"):
        require_collected_static_files()
    call_command("check")  # a worker host can still migrate; it is told what the web server needs
    assert "have not been collected" in capsys.readouterr().err


def test_collectstatic_still_runs_and_then_the_check_and_the_pages_are_clean(production_static, client):
    call_command("collectstatic", "--noinput", verbosity=0)

    assert (production_static / "staticfiles.json").exists()
    assert static_files_collected() == []
    require_collected_static_files()
    page = client.get("/accounts/login/", secure=True)
    assert page.status_code == 200
    assert b"/static/css/portal." in page.content  # the hashed name from the manifest


def test_with_debug_on_the_plain_file_names_need_no_collecting(settings, tmp_path):
    settings.DEBUG = True
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path / "static"

    assert static_files_collected() == []


def test_the_test_settings_serve_plain_files_and_need_no_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"

    assert static_files_collected() == []


def test_the_wsgi_refusal_names_the_command(production_static):
    with pytest.raises(ImproperlyConfigured, match="collectstatic"):
        require_collected_static_files()


def _python(code: str, *, var_dir) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DJANGO_"))
    }
    return subprocess.run(
        [sys.executable, *code],
        cwd=settings.BASE_DIR,
        env={**clean, **PRODUCTION_ENV, "PORTAL_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_gunicorn_would_not_start_until_the_static_files_are_collected(tmp_path):
    """gunicorn imports policy_portal.wsgi and runs no system checks: the import itself refuses."""
    refused = _python(["-c", "import policy_portal.wsgi"], var_dir=tmp_path)
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr
    assert "have not been collected" in refused.stderr
    assert "python manage.py collectstatic" in refused.stderr

    collected = _python(["manage.py", "collectstatic", "--noinput"], var_dir=tmp_path)
    assert collected.returncode == 0, collected.stderr

    started = _python(["-c", "import policy_portal.wsgi; print('ready')"], var_dir=tmp_path)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "ready"
