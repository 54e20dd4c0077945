"""Fixtures for the community tests: Alpha Primary (tests/conftest.py) with the rules engine's
default rules, which screen followers and mentions."""

import pytest

from moderation.services import seed_default_rules


@pytest.fixture
def rules(school):
    return seed_default_rules(school)
