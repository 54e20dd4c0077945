from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup folder made by `backup` into a new, empty database and an empty media storage, "
        "then check every count and checksum against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The backup folder (the one holding manifest.json).")

    def handle(self, *args, source: Path, **options):
        try:
            summary = backup_restore(source=source)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {summary.rows:,} rows in {summary.tables} tables and {summary.media_files:,} media files "
                f"({summary.media_bytes / 1_000_000:,.1f} MB); every count and checksum matches the backup."
            )
        )
        self.stdout.write(
            "Next: run `python manage.py migrate` if this portal is newer than the backup, then start it."
        )
