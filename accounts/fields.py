"""Encryption at rest for secrets (network tokens, TOTP seeds).

Written here rather than taken from a package: the maintained options either derive the
key from SECRET_KEY (so rotating SECRET_KEY loses every token) or lag behind Django
releases. This is a thin wrapper over cryptography's MultiFernet with keys from
FIELD_ENCRYPTION_KEY, newest first, so keys can be rotated.
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_str(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY: was the key changed "
            "without keeping the old one after it?"
        ) from exc


class EncryptedJSONField(models.TextField):
    """A dict stored as a Fernet token. Not searchable, by design."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(decrypt_str(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return json.loads(decrypt_str(value))

    def get_prep_value(self, value):
        if value in (None, "", {}):
            return ""
        return encrypt_str(json.dumps(value, sort_keys=True))
