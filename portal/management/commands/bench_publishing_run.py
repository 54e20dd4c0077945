import json

from django.core.management.base import BaseCommand

from portal.bench.publishing import run_in_scratch_database


class Command(BaseCommand):
    help = (
        "Used by `manage.py bench`: measure publishing through a real worker on a scratch database. "
        "Refuses to run on any other database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--network", choices=["local", "x", "bluesky", "mastodon"], required=True)
        parser.add_argument("--posts", type=int, default=100)

    def handle(self, *args, network: str, posts: int, **options):
        self.stdout.write(json.dumps(run_in_scratch_database(network=network, posts=posts)))
