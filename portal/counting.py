"""Several counts of a school's rows in one round trip to the database.

A page that shows a dozen figures (the dashboard's panels, the navigation's badges) would
otherwise send a dozen COUNT queries, each paying for its own compilation and round trip, which
costs more than the counting itself when each is answered from an index. Here each queryset
becomes a scalar subquery of one SELECT.
"""

from django.db.models import IntegerField, QuerySet, Subquery

from accounts.models import School


class _CountOf(Subquery):
    """How many rows a queryset has, as a column of another query. Django counts a queryset only as
    a query of its own (`.count()`); this wraps a selector's queryset as it is, joins, slices and
    all, so that a capped count (a sliced queryset) stops reading at the cap."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


def counts_together(*, school: School, rows: dict[str, QuerySet], caps: dict[str, int] | None = None) -> dict[str, int]:
    """The number of rows of each queryset, by key, in one query: exactly, or for a key in `caps`
    up to its cap + 1, enough to say "more than the cap" without reading every row past it."""
    if not rows:
        return {}
    caps = caps or {}
    columns = {}
    for key, queryset in rows.items():
        counted = queryset.order_by().values("pk")
        if key in caps:
            counted = counted[: caps[key] + 1]
        columns[key] = _CountOf(counted)
    return School.objects.filter(pk=school.pk).values(**columns).get()
