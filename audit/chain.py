"""The audit trail's hash chain: how one entry's fingerprint is worked out.

Each entry stores the fingerprint (SHA-256) of the entry before it in its chain and its own
fingerprint, taken over a fixed serialisation of its fields and that previous fingerprint. Change
an entry and its own fingerprint no longer matches; remove one and the next entry points at a
fingerprint that is not there; swap two and their links cross. One chain per school (entries with
no school have their own), so schools of a trust never wait on one another to write.

The serialisation must never change for entries already written: a new format gets a new version
tag, and the verifier picks the format by the tag. This module imports nothing from the portal's
models, so the migration that chains a deployed database's existing entries uses the same code.
"""

import hashlib
import ipaddress
import json
from datetime import UTC, datetime

FORMAT = "v1"
# The previous fingerprint of a chain's first entry.
GENESIS = "0" * 64
# The fields a fingerprint covers, in order (the id is not one: it is given by the database after
# the fingerprint is worked out; the order of entries is held by the links instead).
FIELDS = (
    "school_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "target_repr",
    "data",
    "ip_address",
    "created_at",
    "previous_hash",
)


def _plain(value):
    """JSON values as PostgreSQL's jsonb gives them back: a whole number written as a float
    (1.0, 1e20) comes back as an integer there, so it counts as one here."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _address(value) -> str:
    """An address as the database gives it back (PostgreSQL's inet writes IPv6 in short form)."""
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def fingerprint(
    *,
    school_id: int | None,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    target_repr: str,
    data,
    ip_address: str | None,
    created_at: datetime,
    previous_hash: str,
) -> str:
    """The SHA-256 (hex) of one entry, as stored in its `entry_hash`."""
    serialised = json.dumps(
        [
            FORMAT,
            previous_hash,
            school_id,
            actor_id,
            action,
            target_type,
            target_id,
            target_repr,
            _plain(json.loads(json.dumps(data))),
            _address(ip_address),
            _moment(created_at),
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(serialised.encode("utf-8")).hexdigest()


def fingerprint_of(entry) -> str:
    """The fingerprint an entry (a model instance, or anything with the same attributes) should
    have, worked out from its fields as they are now."""
    return fingerprint(**{name: getattr(entry, name) for name in FIELDS})


def chain_lock_keys(school_id: int | None) -> tuple[int, int]:
    """The two 32-bit keys of PostgreSQL's transaction advisory lock for one chain: a fixed
    namespace, and the school (0 for entries with no school). Two schools whose ids share the low
    31 bits would share a lock, which only makes them wait on each other."""
    return 0x41554454, (school_id or 0) & 0x7FFFFFFF
