"""The append-only, tamper-evident audit trail: `audit.services.record(...)`, the one entry point
every service calls when it changes state, and the view-only admin base (`audit.admin`).

The lowest layer: uses Django only, and every other app may use it.
"""
