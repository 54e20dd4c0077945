"""Words for the dashboard."""

from datetime import datetime

from django import template
from django.utils import timezone

from posts import selectors_dashboard

register = template.Library()


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}{'' if number == 1 else 's'}"


@register.filter
def age_in_words(since: datetime | None, now: datetime | None = None) -> str:
    """How long ago `since` was, in the largest whole unit a person would use: "less than an hour",
    "3 hours", "2 days", "3 weeks". Django's `timesince` gives two units ("2 days, 3 hours")."""
    if since is None:
        return ""
    seconds = ((now or timezone.now()) - since).total_seconds()
    hours = int(seconds // 3600)
    if hours < 1:
        return "less than an hour"
    if hours < 24:
        return _count(hours, "hour")
    days = hours // 24
    if days < 14:
        return _count(days, "day")
    return _count(days // 7, "week")


@register.filter
def capped_figure(count: int, form: str = "") -> str:
    """A count from posts.selectors_dashboard, which stops counting past COUNT_CAP: the number
    itself below it, "more than 1,000" past it (with "all", "of them", to follow "All")."""
    cap = selectors_dashboard.COUNT_CAP
    if count <= cap:
        return str(count)
    return "of them" if form == "all" else f"more than {cap:,}"
