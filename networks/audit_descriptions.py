"""What the networks' connection entries say (see audit.describe). The accounts they name are
described by the accounts app."""

from accounts.audit_descriptions import network
from audit.describe import kinds


def _disconnected(data: dict) -> str:
    if data.get("revoked_at_x", True):
        return "{who} disconnected {target} from {network}"
    return (
        "{who} disconnected {target} from {network}; {network} could not be told, so its access must be removed there"
    )


def _checked(data: dict) -> str:
    return (
        "{who} checked {target}'s connection: it works"
        if data["ok"]
        else "{who} checked {target}'s connection: {detail}"
    )


connections = kinds("accounts")
connections.add(
    "social_account.connected",
    "Social media account connected",
    "{who} connected {target} to {network}, signed in there as @{username}",
    values=lambda data: {"network": network(data["network"]), "username": data["username"]},
)
connections.add(
    "social_account.connect_declined",
    "Connection not completed",
    "{who} started connecting {target}, but it was not completed ({error})",
    values=lambda data: {"error": data.get("error") or "no reason given"},
)
connections.add(
    "social_account.disconnected",
    "Social media account disconnected",
    _disconnected,
    values=lambda data: {"network": network(data["network"])},
)
connections.add(
    "social_account.checked", "Connection checked", _checked, values=lambda data: {"detail": data.get("detail", "")}
)
