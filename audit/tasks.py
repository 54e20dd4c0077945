from celery import shared_task

from .selectors import chains
from .services import check_chain


@shared_task
def verify_trails() -> None:
    """Check every school's chain of the audit trail; the audit page shows the latest result."""
    for school_id in chains():
        check_chain(school_id=school_id)
