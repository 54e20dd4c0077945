"""Reads of the school's wording rules."""

from django.db.models import QuerySet

from accounts.models import School

from .models import Rule, RulebookVersion


def rules_for_school(*, school: School) -> QuerySet[Rule]:
    """The school's rules, on and off, with their accounts (for the settings page)."""
    return Rule.objects.filter(school=school).select_related("account").order_by("type", "pk")


def rulebook_token(*, school_id: int) -> str | None:
    """The token that changes whenever anything the rules engine reads for the school changes.

    None for a school that has never had one (the engine then builds afresh every time).
    """
    return RulebookVersion.objects.filter(school_id=school_id).values_list("token", flat=True).first()
