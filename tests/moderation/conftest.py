"""Fixtures for the rules engine tests: Alpha Primary (tests/conftest.py) with its default rules,
a Year 3 register, and a `check` helper that returns what the engine found as readable tuples."""

import pytest

from consent.models import Pupil
from moderation.engine import check_text
from moderation.services import seed_default_rules


@pytest.fixture
def rules(school):
    return seed_default_rules(school)


@pytest.fixture
def make_pupil(school, year3):
    def make(first_name: str, surname: str, *, class_group=year3, **fields) -> Pupil:
        return Pupil.objects.create(
            school=school, class_group=class_group, first_name=first_name, surname=surname, **fields
        )

    return make


@pytest.fixture
def check(school, rules):
    """Run the engine for Alpha Primary; returns the findings (all, or of one rule type)."""

    def run(text: str, *, rule: str | None = None, account=None, has_images: bool = False):
        findings = check_text(text, school=school, account=account, has_images=has_images)
        return [finding for finding in findings if rule is None or finding.rule == rule]

    return run


def flagged(text: str, findings) -> list[str]:
    """The pieces of `text` the findings point at, in order."""
    return [text[finding.start : finding.end] for finding in findings]
