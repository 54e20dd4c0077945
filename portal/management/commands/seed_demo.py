from django.core.management.base import BaseCommand, CommandError

from portal.demo import seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo school with its staff, classes, accounts, pupils and consent."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="Password for every demo sign-in.")

    def handle(self, *args, password: str, **options):
        if len(password) < 8:
            raise CommandError("Use a password of at least 8 characters.")
        result = seed_demo(password=password)
        verb = "Created" if result.created else "Refreshed"
        self.stdout.write(self.style.SUCCESS(f"{verb} {result.school.name}. Sign in with any of:"))
        for email in result.emails:
            self.stdout.write(f"  {email}")
        self.stdout.write(f"Password for all: {password}")
