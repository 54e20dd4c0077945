import json
import sys

from django.core.management.base import BaseCommand

from portal.bench.trust import run_in_scratch_database
from portal.bench.trust_data import TrustScale


class Command(BaseCommand):
    help = (
        "Used by `manage.py bench --scale trust`: build the trust data set in the scratch database "
        "and measure the pages there. Refuses to run on any other database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, required=True)
        parser.add_argument("--posts-per-school", type=int, required=True)
        parser.add_argument("--pupils-per-school", type=int, required=True)
        parser.add_argument("--repeats", type=int, required=True)
        parser.add_argument("--build", action="store_true", help="Fill the database first (it is empty).")

    def handle(self, *args, schools, posts_per_school, pupils_per_school, repeats, build, **options):
        scale = TrustScale(schools=schools, posts_per_school=posts_per_school, pupils_per_school=pupils_per_school)
        figures = run_in_scratch_database(scale=scale, repeats=repeats, build=build, log=_progress)
        self.stdout.write(json.dumps(figures))


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
