import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import School
from portal.bench.trust_data import STAFF_PER_SCHOOL, TrustScale, build, sign_ins


class Command(BaseCommand):
    help = (
        "Fill an empty scratch database for the load test (loadtest/run.py) with the bench's trust "
        f"data: enough schools of {STAFF_PER_SCHOOL} staff for --staff people, and everyone's sign-in "
        "(password, and authenticator secret for those with one) written to a JSON file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--staff", type=int, default=100, help=f"How many staff ({STAFF_PER_SCHOOL} a school). Default 100."
        )
        parser.add_argument("--posts-per-school", type=int, default=2000)
        parser.add_argument("--pupils-per-school", type=int, default=500)
        parser.add_argument("--password", required=True, help="Everyone's password.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the sign-ins (JSON).")

    def handle(self, *args, staff: int, posts_per_school: int, pupils_per_school: int, password: str, out: Path, **o):
        if School.objects.exists():
            raise CommandError("This database already has schools: seed_load fills an empty scratch database only.")
        scale = TrustScale(
            schools=max(1, -(-staff // STAFF_PER_SCHOOL)),
            posts_per_school=posts_per_school,
            pupils_per_school=pupils_per_school,
        )
        build(scale, log=self.stdout.write, password=password)
        people = sign_ins(password=password)
        out.write_text(json.dumps(people, indent=1))
        out.chmod(0o600)
        self.stdout.write(f"{scale.schools} schools, {len(people)} staff; sign-ins written to {out}")
