from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from accounts.services import invitation_url, school_create
from moderation.services import seed_default_rules


class Command(BaseCommand):
    help = "Add a school and email its headteacher an invitation (prints the link too)."

    def add_arguments(self, parser):
        parser.add_argument("name", help='The school\'s name, e.g. "Highfield Primary School".')
        parser.add_argument("--headteacher-email", required=True)
        parser.add_argument("--slug", help="Short name used in the database; made from the name if left out.")

    def handle(self, *args, name: str, headteacher_email: str, slug: str | None, **options):
        try:
            school, invitation, token = school_create(
                name=name, slug=slug or slugify(name), headteacher_email=headteacher_email
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        seed_default_rules(school)
        self.stdout.write(self.style.SUCCESS(f"Created {school} with the default moderation rules."))
        self.stdout.write(f"Invitation emailed to {invitation.email}.")
        self.stdout.write(f"The link, if the email does not arrive: {invitation_url(token)}")
