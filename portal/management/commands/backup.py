from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database and every media file into a new folder, with a manifest of row counts "
        "and checksums (README: Backup and restore)."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="A new or empty folder for this backup.")

    def handle(self, *args, destination: Path, **options):
        try:
            summary = backup_create(destination=destination)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.rows:,} rows from {summary.tables} tables and {summary.media_files:,} media "
                f"files ({summary.media_bytes / 1_000_000:,.1f} MB) to {summary.folder}."
            )
        )
        self.stdout.write("Keep the whole folder: a restore needs the manifest, the database file and media/ together.")
