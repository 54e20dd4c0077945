"""The portal's registration on each Mastodon server (one per server, shared by every school on it)."""

from django.db import models

from accounts.fields import decrypt_str, encrypt_str


class MastodonApp(models.Model):
    """What a Mastodon server gave the portal when it registered itself there (POST /api/v1/apps).

    One per server and callback address: every school whose account is on that server signs in
    through it, as Mastodon's own apps do. The secret is encrypted like account credentials."""

    server = models.URLField(help_text="The server's base URL, such as https://mastodon.social.")
    redirect_uri = models.URLField(max_length=500)
    scopes = models.CharField(max_length=300)
    client_id = models.CharField(max_length=200)
    client_secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "redirect_uri", "scopes"], name="mastodon_app_one_per_server"),
        ]

    def __str__(self) -> str:
        return f"Mastodon app on {self.server}"

    @property
    def client_secret(self) -> str:
        return decrypt_str(self.client_secret_encrypted)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = encrypt_str(value)
