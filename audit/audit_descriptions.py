"""What the audit trail's own entries say (see audit.describe)."""

from .describe import count, kinds
from .forms import summary_in_words

EXPORTED = "audit.exported"


def _exported(data: dict) -> str:
    return "{who} downloaded {entries} of the audit trail as a spreadsheet" + (
        " ({filters})" if data.get("filters") else ""
    )


kinds("trail").add(
    EXPORTED,
    "Audit trail downloaded",
    _exported,
    values=lambda data: {
        "entries": count(data["entries"], "entry", "entries"),
        "filters": summary_in_words(data.get("filters") or {}),
    },
)
