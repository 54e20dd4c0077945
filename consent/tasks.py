from celery import shared_task

from . import imports


@shared_task
def run_import_job(job_id: int) -> None:
    """Import a stored MIS file for the office; the job records the outcome."""
    imports.import_job_run(job_id=job_id)


@shared_task
def tidy_imports() -> dict[str, int]:
    return imports.import_tidy()
