import json as jsonlib
import platform

from django.core.management.base import BaseCommand
from django.db import connection

from portal.bench import run


class Command(BaseCommand):
    help = "Run the benchmarks and print their figures (one JSON object with --json)."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="Smaller inputs and fewer repeats.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object and nothing else.")

    def handle(self, *args, quick: bool, json: bool, **options):
        figures = {
            "machine": {"python": platform.python_version(), "database": connection.vendor, "quick": quick},
            **run(quick=quick),
        }
        if json:
            self.stdout.write(_dumps(figures))
        else:
            self.stdout.write(_dumps(figures, indent=2))


def _dumps(value, indent=None) -> str:
    return jsonlib.dumps(value, indent=indent, ensure_ascii=False)
