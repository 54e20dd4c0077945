"""What the accounts app's audit entries say, and where its objects live (see audit.describe)."""

from django.urls import reverse

from audit.describe import Ref, count, day, kinds, label_of, pks, register_target, words

from .models import (
    ApprovalCover,
    ApprovalEmails,
    Delegation,
    DeviceCheck,
    Invitation,
    Membership,
    Network,
    Role,
    SchoolDevice,
    SocialAccount,
    StaffHandle,
)
from .permissions import Perm, has_perm
from .services_sign_in import wait_in_words

# Objects.


def _name(user) -> str:
    return user.get_full_name() or user.email


def _staff_page(viewer, membership: Membership) -> str:
    return reverse("staff_edit", args=[membership.pk]) if has_perm(viewer, Perm.MANAGE_STAFF) else ""


def _users(ids, *, school, viewer) -> dict[str, Ref]:
    """People, by user id: named when they are (or were) on this school's staff."""
    staff = Membership.objects.filter(school=school, user_id__in=pks(ids)).select_related("user")
    return {str(member.user_id): Ref(_name(member.user), _staff_page(viewer, member)) for member in staff}


def _memberships(ids, *, school, viewer) -> dict[str, Ref]:
    staff = Membership.objects.filter(school=school, pk__in=pks(ids)).select_related("user")
    return {str(member.pk): Ref(_name(member.user), _staff_page(viewer, member)) for member in staff}


def _invitations(ids, *, school, viewer) -> dict[str, Ref]:
    url = reverse("staff_list") if has_perm(viewer, Perm.INVITE_STAFF) else ""
    invitations = Invitation.objects.filter(school=school, pk__in=pks(ids)).only("id", "email")
    return {str(invitation.pk): Ref(f"the invitation for {invitation.email}", url) for invitation in invitations}


def _schools(ids, *, school, viewer) -> dict[str, Ref]:
    return {str(school.pk): Ref(school.name)} if str(school.pk) in ids else {}


def _social_accounts(ids, *, school, viewer) -> dict[str, Ref]:
    may_open = has_perm(viewer, Perm.MANAGE_SOCIAL_ACCOUNTS)
    found = SocialAccount.objects.filter(school=school, pk__in=pks(ids)).only("id", "handle")
    return {
        str(account.pk): Ref(
            f"@{account.handle}", reverse("social_account_edit", args=[account.pk]) if may_open else ""
        )
        for account in found
    }


def _delegations(ids, *, school, viewer) -> dict[str, Ref]:
    url = reverse("delegation_list") if has_perm(viewer, Perm.MANAGE_SOCIAL_ACCOUNTS) else ""
    found = (
        Delegation.objects.filter(account__school=school, pk__in=pks(ids))
        .select_related("delegate", "account")
        .only("id", "delegate__first_name", "delegate__last_name", "delegate__email", "account__handle")
    )
    return {
        str(delegation.pk): Ref(f"trip mode for {_name(delegation.delegate)} on @{delegation.account.handle}", url)
        for delegation in found
    }


def _devices(ids, *, school, viewer) -> dict[str, Ref]:
    url = reverse("device_list") if has_perm(viewer, Perm.MANAGE_DEVICES) else ""
    found = SchoolDevice.objects.filter(school=school, pk__in=pks(ids)).only("id", "name")
    return {str(device.pk): Ref(f"the device “{device.name}”", url) for device in found}


def _approval_covers(ids, *, school, viewer) -> dict[str, Ref]:
    url = reverse("approval_covers")
    found = ApprovalCover.objects.filter(school=school, pk__in=pks(ids)).select_related(
        "absent__user", "delegate__user"
    )
    return {
        str(cover.pk): Ref(f"{_name(cover.delegate.user)}'s cover for {_name(cover.absent.user)}", url)
        for cover in found
    }


register_target("accounts.approvalcover", _approval_covers, gone="a cover for an approver")
register_target("accounts.user", _users, gone="someone no longer on the staff")
register_target("accounts.membership", _memberships, gone="someone no longer on the staff")
register_target("accounts.invitation", _invitations, gone="an invitation", keep_stored_name=True)
register_target("accounts.school", _schools, gone="the school")
register_target("accounts.socialaccount", _social_accounts, gone="a social media account", keep_stored_name=True)
register_target("accounts.delegation", _delegations, gone="a trip-mode hand-over")
register_target("accounts.schooldevice", _devices, gone="a school device", keep_stored_name=True)


def _staff_handles(ids, *, school, viewer) -> dict[str, Ref]:
    found = StaffHandle.objects.filter(membership__school=school, pk__in=pks(ids)).select_related("membership__user")
    return {
        str(h.pk): Ref(f"@{h.handle} on {h.get_network_display()}, {_name(h.membership.user)}'s own account")
        for h in found
    }


register_target("accounts.staffhandle", _staff_handles, gone="a member of staff's own account, since removed")


# Sentences.


def roles(values) -> str:
    return words((label_of(Role, role) for role in values or ()), empty="no role")


_APPROVAL_EMAILS = {
    ApprovalEmails.IMMEDIATE: "an email for each post",
    ApprovalEmails.DIGEST: "one email each morning",
    ApprovalEmails.OFF: "no emails",
}

_NETWORKS = {Network.LOCAL: "the portal's own network", Network.X: "X"}


def network(value) -> str:
    return _NETWORKS.get(value, str(value))


def _invited(data: dict) -> str:
    return "{who} invited {email} to join as {roles}" + (" for {classes}" if data.get("class_groups") else "")


def _roles_changed(data: dict) -> str:
    roles_changed = sorted(data["before"]) != sorted(data["after"])
    classes_changed = data.get("classes_before", []) != data.get("classes_after", [])
    if roles_changed and classes_changed:
        return (
            "{who} changed {target}'s roles from {before} to {after}, "
            "and classes from {classes_before} to {classes_after}"
        )
    if classes_changed:
        return "{who} changed {target}'s classes from {classes_before} to {classes_after}"
    if roles_changed:
        return "{who} changed {target}'s roles from {before} to {after}"
    return "{who} saved {target}'s roles without changing them"


staff = kinds("staff")
staff.add("auth.signed_in", "Signed in", "{who} signed in")

_PAUSED_WHERE = {
    "account": "from devices the account had not signed in on before",
    "address_account": "from one internet address",
    "device_account": "on a device the account had signed in on before",
}


def _paused_values(data) -> dict[str, str]:
    return {
        "wait": wait_in_words(int(data.get("wait_seconds") or 0)),
        "what": "passwords" if data.get("step") == "password" else "sign-in codes",
        "where": _PAUSED_WHERE.get(data.get("scope"), "from somewhere"),
    }


staff.add(
    "auth.sign_in_paused",
    "Sign-in paused after wrong attempts",
    "{who} paused sign-in to {target}'s account for {wait} after repeated wrong {what} {where}",
    values=_paused_values,
)
staff.add(
    "membership.approval_emails_changed",
    "Approval emails changed",
    "{who} chose to hear about posts waiting for approval by {choice}",
    values=lambda data: {"choice": _APPROVAL_EMAILS.get(data["after"], data["after"])},
)
staff.add(
    "staff.invited",
    "Invitation sent",
    _invited,
    values=lambda data: {
        "email": data["email"],
        "roles": roles(data["roles"]),
        "classes": words(data.get("class_groups") or ()),
    },
)
staff.add("staff.invitation_revoked", "Invitation cancelled", "{who} cancelled {target}")
staff.add(
    "staff.joined",
    "Joined the staff",
    "{who} accepted their invitation and joined the staff as {roles}",
    values=lambda data: {"roles": roles(data["roles"])},
)
staff.add(
    "staff.roles_changed",
    "Roles or classes changed",
    _roles_changed,
    values=lambda data: {
        "before": roles(data["before"]),
        "after": roles(data["after"]),
        "classes_before": words(data.get("classes_before") or ()),
        "classes_after": words(data.get("classes_after") or ()),
    },
)
staff.add("staff.deactivated", "Staff deactivated", "{who} deactivated {target}: they can no longer sign in here")
staff.add("staff.reactivated", "Staff reactivated", "{who} reactivated {target}: they can sign in here again")
staff.add("staff_handle.added", "Own account recorded", "{who} recorded {target}")
staff.add(
    "staff_handle.removed",
    "Own account removed",
    "{who} removed @{handle}, their own account, from the portal",
    values=lambda data: {"handle": data["handle"]},
)
staff.add("staff_handle.reminder_opened", "Own account seen public", "{who} saw that {target} is public")
staff.add(
    "staff_handle.reminded",
    "Reminder to make an account private",
    "{who} emailed {to} a reminder to make {target} private",
    values=lambda data: {"to": data["to"]},
)
staff.add(
    "staff_handle.reminder_cleared",
    "Own account now private",
    "{who} saw that {target} is now private and cleared the reminder",
)

school_and_accounts = kinds("accounts")
school_and_accounts.add(
    "school.created",
    "School set up",
    "{who} set up {target} and invited {email} to be its headteacher",
    values=lambda data: {"email": data["headteacher_email"]},
)


def _website_feed_changed(data: dict) -> str:
    before, after = data["before"], data["after"]
    changes = []
    if before["public_feed"] != after["public_feed"]:
        changes.append("turned the website feed on" if after["public_feed"] else "turned the website feed off")
    if before["website_url"] != after["website_url"]:
        changes.append("set the school website to {site}" if after["website_url"] else "removed the school website")
    return "{who} " + (" and ".join(changes) or "saved the website feed settings without changing them")


school_and_accounts.add(
    "school.website_feed_changed",
    "Website feed changed",
    _website_feed_changed,
    values=lambda data: {"site": data["after"]["website_url"]},
)
school_and_accounts.add(
    "social_account.created",
    "Social media account added",
    "{who} added the {kind} {target} on {network}",
    values=lambda data: {"kind": label_of(SocialAccount.Kind, data["kind"]), "network": network(data["network"])},
)
school_and_accounts.add(
    "social_account.changed", "Social media account changed", "{who} changed the settings of {target}"
)
school_and_accounts.add(
    "social_account.device_check_changed",
    "Photo device check changed",
    "{who} chose, for {target}, photos not from a school device: {after}",
    values=lambda data: {"after": label_of(DeviceCheck, data["after"]).lower()},
)

school_and_accounts.add("device.added", "School device added", "{who} added {target} and made its enrolment link")
school_and_accounts.add("device.link_renewed", "Enrolment link renewed", "{who} made a new enrolment link for {target}")
school_and_accounts.add("device.enrolled", "School device enrolled", "{who} enrolled {target} in its browser")
school_and_accounts.add(
    "device.renamed",
    "School device renamed",
    "{who} renamed the device “{before}” to “{after}”",
    values=lambda data: {"before": data["before"], "after": data["after"]},
)
school_and_accounts.add(
    "device.revoked", "School device removed", "{who} removed {target}: its photos no longer count as the school's"
)


def _steps_in_words(data: dict) -> dict[str, str]:
    steps = data.get("after") or []
    if not steps:
        return {"steps": "one step that any approver decides"}
    return {"steps": count(len(steps), "step")}


approval = kinds("accounts")
approval.add(
    "approval_chain.changed",
    "Approval steps changed",
    "{who} set the approval of {target} to {steps}",
    values=_steps_in_words,
)
approval.add(
    "approval_waits.changed",
    "Approval waiting times changed",
    "{who} set approvers to be reminded after {reminder} hours and the headteacher asked after {escalation} hours",
    values=lambda data: {
        "reminder": data["after"]["reminder_hours"],
        "escalation": data["after"]["escalation_hours"],
    },
)
approval.add(
    "approval_cover.created",
    "Cover for an approver arranged",
    "{who} arranged for {delegate} to decide for {absent} from {starts_on} to {ends_on}",
    refs={"absent": ("accounts.membership", "absent"), "delegate": ("accounts.membership", "delegate")},
    values=lambda data: {"starts_on": day(data["starts_on"]), "ends_on": day(data["ends_on"])},
)
approval.add("approval_cover.revoked", "Cover for an approver ended", "{who} ended {target}")
