"""Clean the photo originals stored before uploads were cleaned on arrival (issue 16).

Run once after upgrading; running it again finds them all already clean. Works through the
configured storage (local disk or object storage) by the files' names, never by paths.
"""

from django.core.management.base import BaseCommand

from posts.retention import clean_stored_originals


class Command(BaseCommand):
    help = (
        "Remove GPS positions, serial numbers, names, maker notes, XMP and IPTC from the stored originals "
        "of photos, keeping their pixels, orientation, date taken and camera make and model."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be cleaned; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        counts = clean_stored_originals(dry_run=dry_run)
        verb = "would be cleaned" if dry_run else "cleaned"
        self.stdout.write(
            f"{counts['cleaned']} original(s) {verb}, {counts['already_clean']} already clean, "
            f"{counts['unreadable']} could not be read."
        )
