"""An operator's connection check: publish one post through the same adapter code the workers use.

    python manage.py network_post --network x --token TOKEN --text TEXT [--image FILE --alt TEXT]
    python manage.py network_post --network local --account HANDLE --text TEXT [--image FILE --alt TEXT]
    python manage.py network_post --network bluesky|mastodon --account HANDLE --text TEXT [...]

For Bluesky and Mastodon, HANDLE is an account already connected on its page in the portal: the
command uses the session or token the portal keeps for it.

Prints the new post's id on the first line and its address on the second; exits non-zero with the
network's own explanation when anything fails.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Network as NetworkName
from accounts.models import SocialAccount
from networks.base import Network, NetworkError, PostPayload
from networks.registry import get_network
from posts.images import ImageRejected, prepare_image


class Command(BaseCommand):
    help = "Publish one post to a network with the portal's adapter code, to check a connection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--network", required=True, choices=NetworkName.values)
        parser.add_argument("--token", help="X only: an OAuth 2.0 user access token.")
        parser.add_argument(
            "--account",
            help="Every network but X: the handle of an account this portal holds (connected: Bluesky, Mastodon).",
        )
        parser.add_argument("--text", required=True)
        parser.add_argument("--image", type=Path, help="A photo to attach (it goes through the portal's image checks).")
        parser.add_argument("--alt", help="The photo's description for people using screen readers.")

    def handle(self, *args, network: str, token: str | None, account: str | None, text: str, image, alt, **options):
        if image is not None and not (alt or "").strip():
            raise CommandError("--image needs --alt: every photo the portal publishes has a description.")
        adapter = self._adapter(network, token, account)
        try:
            if network != NetworkName.LOCAL:
                adapter.check_connection()
            media = [adapter.upload_media(self._prepared(image), alt.strip())] if image is not None else []
            ref = adapter.publish(PostPayload(text=text, media=media))
        except NetworkError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(ref.id)
        self.stdout.write(ref.url)

    def _adapter(self, network: str, token: str | None, handle: str | None) -> Network:
        if network == NetworkName.X:
            if not token:
                raise CommandError("--network x needs --token (an OAuth 2.0 user access token).")
            account = SocialAccount(
                network=NetworkName.X, handle="", credentials={"auth": "oauth2", "access_token": token}
            )
        else:
            if not handle:
                raise CommandError(f"--network {network} needs --account (the handle of an existing account).")
            account = SocialAccount.objects.filter(network=network, handle=handle.lstrip("@")).first()
            if account is None:
                raise CommandError(f"There is no {network} account @{handle.lstrip('@')} in this portal.")
        try:
            return get_network(account)
        except NetworkError as exc:
            raise CommandError(exc.message) from exc

    def _prepared(self, path: Path) -> bytes:
        # posts sits above accounts (DESIGN.md); this command is an entry point, so it may reach up
        # for the image pipeline without making accounts depend on posts.
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            return prepare_image(data).jpeg
        except ImageRejected as exc:
            raise CommandError(f"{path.name}: {exc.message}") from exc
