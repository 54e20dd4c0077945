"""python manage.py audit_verify [--school SLUG] [--json]

Walks each school's chain of the audit trail (and the entries with no school), recomputes every
fingerprint, and says whether it is whole or names the first break. Exits 1 if any chain is
broken. Each result is stored, so the headteacher's audit page shows it too."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import chains
from audit.services import check_chain


class Command(BaseCommand):
    help = "Check that the audit trail's hash chains are whole: nothing changed, removed or reordered."

    def add_arguments(self, parser):
        parser.add_argument("--school", metavar="SLUG", help="Check only this school's chain.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of sentences.")

    def handle(self, *args, **options):
        school_id = None
        names = {}
        schools = AuditEvent._meta.get_field("school").related_model
        if options["school"]:
            school = schools.objects.filter(slug=options["school"]).first()
            if school is None:
                raise CommandError(f"No school has the slug {options['school']!r}.")
            school_id = school.pk
            names[school.pk] = school.name
        else:
            names = dict(schools.objects.values_list("id", "name"))
        results = []
        for chain in chains(school_id=school_id):
            check = check_chain(school_id=chain)
            results.append(check)
            if not options["json"]:
                self._say(check, names.get(chain, "Entries with no school"))
        broken = [check for check in results if not check.whole]
        if options["json"]:
            self.stdout.write(json.dumps({"whole": not broken, "chains": [self._row(c, names) for c in results]}))
        elif broken:
            self.stderr.write(f"{len(broken)} of {len(results)} chains are broken.")
        else:
            entries = sum(check.entries for check in results)
            self.stdout.write(f"All {len(results)} chains are whole: {entries} entries checked.")
        if broken:
            raise SystemExit(1)

    def _say(self, check, name: str) -> None:
        if check.whole:
            self.stdout.write(f"{name}: whole, {check.entries} entries checked.")
        else:
            self.stdout.write(f"{name}: BROKEN after {check.entries} whole entries. {check.message}")

    @staticmethod
    def _row(check, names: dict) -> dict:
        return {
            "school": check.school.slug if check.school_id else None,
            "school_name": names.get(check.school_id, "Entries with no school"),
            "whole": check.whole,
            "entries_checked": check.entries,
            "checked_at": timezone.localtime(check.checked_at).isoformat(),
            "problem": check.problem or None,
            "broken_entry_id": check.broken_entry_id,
            "broken_entry_at": (
                timezone.localtime(check.broken_entry_at).isoformat() if check.broken_entry_at else None
            ),
            "message": check.message or None,
        }
