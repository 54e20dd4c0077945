"""What the community's audit entries say (followers, blocks, following, mentions, concerns and
incidents), and where those live (see audit.describe)."""

from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.timezone import localtime

from accounts.permissions import Perm, has_perm
from audit.describe import Ref, kinds, label_of, pks, register_target

from .models import (
    BlockedAccount,
    Concern,
    Follower,
    FollowRequest,
    Incident,
    IncidentSeverity,
    MentionItem,
    OutgoingMessage,
)


def _page(viewer, perm: Perm, name: str, *args) -> str:
    return reverse(name, args=args) if has_perm(viewer, perm) else ""


def _mentions(ids, *, school, viewer) -> dict[str, Ref]:
    url = _page(viewer, Perm.REVIEW_AUDIENCE, "inbox_list")
    found = (
        MentionItem.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account")
        .only("id", "author_handle", "account__handle")
    )
    return {str(item.pk): Ref(f"@{item.author_handle}'s mention of @{item.account.handle}", url) for item in found}


def _followers(ids, *, school, viewer) -> dict[str, Ref]:
    url = _page(viewer, Perm.REVIEW_AUDIENCE, "audience_followers")
    found = (
        Follower.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account")
        .only("id", "handle", "account__handle")
    )
    return {
        str(follower.pk): Ref(f"@{follower.handle}, a follower of @{follower.account.handle}", url)
        for follower in found
    }


def _blocks(ids, *, school, viewer) -> dict[str, Ref]:
    url = _page(viewer, Perm.REVIEW_AUDIENCE, "audience_blocked")
    found = (
        BlockedAccount.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account")
        .only("id", "handle", "account__handle")
    )
    return {str(block.pk): Ref(f"@{block.handle} on @{block.account.handle}", url) for block in found}


def _follow_requests(ids, *, school, viewer) -> dict[str, Ref]:
    # Every member of staff may see the accounts the school follows, and propose more.
    url = reverse("audience_following")
    found = (
        FollowRequest.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account")
        .only("id", "handle", "account__handle")
    )
    return {str(request.pk): Ref(f"@{request.account.handle} following @{request.handle}", url) for request in found}


def _concerns(ids, *, school, viewer) -> dict[str, Ref]:
    found = (
        Concern.objects.filter(school=school, pk__in=pks(ids))
        .select_related("raised_by")
        .only("id", "created_at", "raised_by__first_name", "raised_by__last_name", "raised_by__email")
    )
    return {
        str(concern.pk): Ref(
            f"{concern.raised_by.get_full_name() or concern.raised_by.email}'s concern of "
            f"{format_date(localtime(concern.created_at), 'j M Y')}",
            _page(viewer, Perm.VIEW_INCIDENTS, "concern_detail", concern.pk),
        )
        for concern in found
    }


def _incidents(ids, *, school, viewer) -> dict[str, Ref]:
    found = Incident.objects.filter(school=school, pk__in=pks(ids)).only("id", "title")
    return {
        str(incident.pk): Ref(f"‘{incident.title}’", _page(viewer, Perm.VIEW_INCIDENTS, "incident_detail", incident.pk))
        for incident in found
    }


def _outgoing_messages(ids, *, school, viewer) -> dict[str, Ref]:
    found = (
        OutgoingMessage.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("account")
        .only("id", "recipient_handle", "account__handle")
    )
    return {
        str(message.pk): Ref(
            f"the private message from @{message.account.handle} to @{message.recipient_handle}",
            _page(viewer, Perm.DRAFT_POSTS, "message_detail", message.pk),
        )
        for message in found
    }


register_target("community.mentionitem", _mentions, gone="a mention")
register_target("community.outgoingmessage", _outgoing_messages, gone="a private message")
register_target("community.follower", _followers, gone="a follower")
register_target("community.blockedaccount", _blocks, gone="a blocked account")
register_target("community.followrequest", _follow_requests, gone="a request to follow an account")
register_target("community.concern", _concerns, gone="a concern")
register_target("community.incident", _incidents, gone="an incident")


def _blocked(data: dict) -> str:
    if data.get("how") == BlockedAccount.How.API:
        return "{who} blocked {target}"
    return "{who} blocked {target} in the portal; the block is still to be made by hand on the network"


def _concern_raised(data: dict) -> str:
    if data.get("post"):
        return "{who} raised {target} about {post}"
    if data.get("mention"):
        return "{who} raised {target} about {mention}"
    return "{who} raised {target} about a page elsewhere"


mentions = kinds("audience")
mentions.add("mention.mark_ok", "Mention marked fine", "{who} marked {target} as fine")
mentions.add("mention.hide_reply", "Reply hidden", "{who} hid the reply {target}")
mentions.add("mention.mute_author", "Mention's author muted", "{who} muted the author of {target}")
mentions.add("mention.block_author", "Mention's author blocked", "{who} blocked the author of {target}")
mentions.add("mention.mark_reported", "Mention reported to the network", "{who} reported {target} to the network")
mentions.add(
    "mention.report_author",
    "Mention's author reported",
    "{who} reported the author of {target} to the network's moderators",
)
mentions.add(
    "mention.limit_replies",
    "Replies limited",
    "{who} limited who may reply to the conversation of {target}: {allow}",
    values=lambda data: {"allow": data["allow_label"]},
)
mentions.add(
    "mention.escalate",
    "Mention escalated to an incident",
    "{who} escalated {target} to the incident {incident}",
    refs={"incident": ("community.incident", "incident")},
)

audience = kinds("audience")
audience.add("follower.accepted", "Follower accepted", "{who} accepted {target}")
audience.add("follower.watched", "Follower watched", "{who} put {target} on the watch list")
audience.add("follower.muted", "Follower muted", "{who} muted {target}")
audience.add("follower.removed", "Follower removed", "{who} removed {target} from the account's followers")
audience.add("audience.reported", "Account reported", "{who} reported {target} to the network's moderators")
audience.add("audience.blocked", "Account blocked", _blocked)
audience.add(
    "audience.block_done_by_hand",
    "Block made by hand",
    "{who} confirmed they had blocked {target} by hand on the network",
)
audience.add("audience.block_lifted", "Block lifted", "{who} lifted the block on {target}")
audience.add("follow_request.proposed", "Account to follow proposed", "{who} proposed {target}")
audience.add("follow_request.approved", "Account to follow approved", "{who} approved {target}")
audience.add("follow_request.declined", "Account to follow declined", "{who} declined {target}")
audience.add("follow_request.followed", "Account followed", "The network confirmed {target}, approved by {who}")
audience.add(
    "follow_request.failed",
    "Following failed",
    "The network refused {target}, approved by {who}: {error}",
    values=lambda data: {"error": data["error"]},
)
audience.add("follow_request.unfollowed", "Account no longer followed", "{who} stopped {target}")
audience.add(
    "follow_request.unfollow_failed",
    "Stopping following failed",
    "{who} tried to stop {target}, but the network refused: {error}",
    values=lambda data: {"error": data["error"]},
)

concerns = kinds("concerns")
concerns.add(
    "concern.raised",
    "Concern raised",
    _concern_raised,
    refs={"post": ("posts.post", "post"), "mention": ("community.mentionitem", "mention")},
    labels={"target": "a concern"},
)
concerns.add("concern.resolved", "Concern resolved", "{who} resolved {target}")
concerns.add(
    "concern.added_to_incident",
    "Concern added to an incident",
    "{who} added {target} to the incident {incident}",
    refs={"incident": ("community.incident", "incident")},
)
concerns.add(
    "incident.opened",
    "Incident opened",
    "{who} opened the incident {target}, of {severity} severity",
    values=lambda data: {"severity": label_of(IncidentSeverity, data["severity"])},
)
concerns.add("incident.note", "Incident note added", "{who} added a note to the incident {target}")
concerns.add("incident.action", "Incident action recorded", "{who} recorded an action taken on the incident {target}")
concerns.add(
    "incident.referred",
    "Incident referred",
    "{who} recorded that the incident {target} was referred to {authority}",
    values=lambda data: {"authority": data["authority"]},
)
concerns.add(
    "incident.severity",
    "Incident severity changed",
    "{who} changed the severity of the incident {target} from {before} to {after}",
    values=lambda data: {
        "before": label_of(IncidentSeverity, data["from"]),
        "after": label_of(IncidentSeverity, data["to"]),
    },
)
concerns.add("incident.closed", "Incident closed", "{who} closed the incident {target}")
concerns.add("incident.reopened", "Incident reopened", "{who} reopened the incident {target}")

# Private messages the school sends (issue 18).
private_messages = kinds("audience")
private_messages.add("message.drafted", "Private message written", "{who} wrote {target}")
private_messages.add("message.edited", "Private message changed", "{who} changed {target}")
private_messages.add("message.submitted", "Private message sent for approval", "{who} sent {target} for approval")
private_messages.add("message.approved", "Private message approved", "{who} approved {target}")
private_messages.add(
    "message.changes_requested", "Changes asked for on a private message", "{who} asked for changes to {target}"
)
private_messages.add("message.rejected", "Private message rejected", "{who} rejected {target}")
private_messages.add("message.retried", "Private message tried again", "{who} asked the portal to try {target} again")
private_messages.add("message.sent", "Private message sent", "{who} sent {target}")
private_messages.add(
    "message.failed",
    "Private message not sent",
    "{who} could not send {target}: {error}",
    values=lambda data: {"error": data["error"]},
)
private_messages.add(
    "message.outcome_unknown",
    "Private message may have been sent",
    "{who} may or may not have sent {target}: {error}",
    values=lambda data: {"error": data["error"]},
)
