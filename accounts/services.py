import secrets
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import record

from .models import ClassGroup, Invitation, Membership, Role, RoleAssignment, School, SocialAccount
from .permissions import Perm, grantable_roles, has_perm, may_manage_membership

User = get_user_model()


class InvitationError(Exception):
    """An invitation that cannot be used, with a message for the person holding the link."""


class StaffChangeError(Exception):
    """A staff change the school must not make (e.g. removing its last headteacher)."""


def _check_roles_grantable(*, actor: Membership, roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise StaffChangeError("Choose at least one role.")
    allowed = set(grantable_roles(actor))
    refused = [Role(role).label for role in roles if role not in allowed]
    if refused:
        raise PermissionDenied(f"You cannot give the role(s): {', '.join(refused)}.")
    return roles


def _check_class_groups(*, school: School, class_groups: Iterable[ClassGroup]) -> list[ClassGroup]:
    class_groups = list(class_groups)
    if any(group.school_id != school.pk for group in class_groups):
        raise PermissionDenied("That class belongs to another school.")
    return class_groups


def invitation_create(
    *,
    actor: Membership,
    email: str,
    roles: Iterable[str],
    class_groups: Iterable[ClassGroup] = (),
    request=None,
) -> tuple[Invitation, str]:
    """Invite someone to the actor's school; returns the invitation and the raw token (emailed)."""
    if not has_perm(actor, Perm.INVITE_STAFF):
        raise PermissionDenied("You cannot invite staff.")
    school = actor.school
    email = email.strip().lower()
    roles = _check_roles_grantable(actor=actor, roles=roles)
    class_groups = _check_class_groups(school=school, class_groups=class_groups)
    if Membership.objects.filter(school=school, user__email__iexact=email, is_active=True).exists():
        raise StaffChangeError(f"{email} is already on the staff of {school}.")

    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation(
            school=school,
            email=email,
            roles=roles,
            token_hash=Invitation.hash_token(token),
            invited_by=actor.user,
            expires_at=timezone.now() + settings.INVITATION_VALID_FOR,
        )
        invitation.full_clean()
        invitation.save()
        invitation.class_groups.set(class_groups)
        record(
            action="staff.invited",
            actor=actor.user,
            school=school,
            target=invitation,
            data={"email": email, "roles": roles, "class_groups": [g.name for g in class_groups]},
            request=request,
        )
        transaction.on_commit(lambda: _send_invitation_email(invitation=invitation, token=token))
    return invitation, token


def school_create(*, name: str, slug: str, headteacher_email: str) -> tuple[School, Invitation, str]:
    """For the portal's operator: a new school and an invitation for its first headteacher."""
    email = headteacher_email.strip().lower()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        school = School(name=name.strip(), slug=slug)
        school.full_clean()
        school.save()
        invitation = Invitation(
            school=school,
            email=email,
            roles=[Role.HEADTEACHER],
            token_hash=Invitation.hash_token(token),
            expires_at=timezone.now() + settings.INVITATION_VALID_FOR,
        )
        invitation.full_clean()
        invitation.save()
        record(action="school.created", school=school, target=school, data={"headteacher_email": email})
        record(
            action="staff.invited", school=school, target=invitation, data={"email": email, "roles": invitation.roles}
        )
        transaction.on_commit(lambda: _send_invitation_email(invitation=invitation, token=token))
    return school, invitation, token


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def _send_invitation_email(*, invitation: Invitation, token: str) -> None:
    context = {
        "invitation": invitation,
        "url": invitation_url(token),
        "inviter": invitation.invited_by,
        "valid_days": settings.INVITATION_VALID_FOR.days,
    }
    send_mail(
        subject=f"You are invited to {invitation.school}'s Policy Portal",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_revoke(*, actor: Membership, invitation: Invitation, request=None) -> None:
    if not has_perm(actor, Perm.INVITE_STAFF) or invitation.school_id != actor.school_id:
        raise PermissionDenied("You cannot revoke this invitation.")
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise StaffChangeError("This invitation has already been used or revoked.")
        record(
            action="staff.invitation_revoked", actor=actor.user, school=actor.school, target=invitation, request=request
        )


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The usable invitation behind a link, or InvitationError saying plainly why not."""
    invitations = Invitation.objects.select_related("school", "invited_by")
    if lock:
        invitations = invitations.select_for_update(of=("self",))
    invitation = invitations.filter(token_hash=Invitation.hash_token(token)).first()
    if invitation is None:
        raise InvitationError("This invitation link is not valid. Check you used the whole link from the email.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used. Sign in with your email and password instead.")
    if invitation.revoked_at is not None:
        raise InvitationError("This invitation was withdrawn. Ask your headteacher or school office for a new one.")
    if invitation.expires_at <= timezone.now():
        raise InvitationError(
            "This invitation has expired. Ask your headteacher or school office to send you a new one."
        )
    return invitation


def invitation_accept(
    *,
    token: str,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
    existing_user=None,
    request=None,
):
    """Use an invitation: create the person's sign-in (or add the school to the signed-in
    person's existing one) and their staff membership. Single use, even under double submit."""
    with transaction.atomic():
        # The row lock makes a double-clicked or replayed submit find the invitation used.
        invitation = invitation_for_token(token, lock=True)
        if existing_user is not None:
            if existing_user.email.lower() != invitation.email:
                raise InvitationError(
                    f"This invitation is for {invitation.email}, but you are signed in as "
                    f"{existing_user.email}. Sign out first, then open the link again."
                )
            user = existing_user
        else:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise InvitationError(
                    f"There is already a sign-in for {invitation.email}. Sign in first, then open the link again."
                )
            user = User(email=invitation.email, first_name=first_name.strip(), last_name=last_name.strip())
            validate_password(password, user)
            user.set_password(password)
            user.full_clean()
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

        membership, _ = Membership.objects.get_or_create(user=user, school=invitation.school)
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["is_active", "deactivated_at"])
        RoleAssignment.objects.filter(membership=membership).delete()
        RoleAssignment.objects.bulk_create(RoleAssignment(membership=membership, role=r) for r in invitation.roles)
        membership.class_groups.set(invitation.class_groups.all())
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])

        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now(), accepted_by=user)
        record(
            action="staff.joined",
            actor=user,
            school=invitation.school,
            target=membership,
            data={"roles": invitation.roles, "invited_by": getattr(invitation.invited_by, "email", None)},
            request=request,
        )
    return user


def membership_set_roles(
    *,
    actor: Membership,
    membership: Membership,
    roles: Iterable[str],
    class_groups: Iterable[ClassGroup],
    request=None,
) -> None:
    if not may_manage_membership(actor, membership):
        raise PermissionDenied("You cannot change this person's roles.")
    roles = _check_roles_grantable(actor=actor, roles=roles)
    class_groups = _check_class_groups(school=membership.school, class_groups=class_groups)
    with transaction.atomic():
        before = sorted(membership.roles)
        before_classes = sorted(g.name for g in membership.class_groups.all())
        if Role.HEADTEACHER in before and Role.HEADTEACHER not in roles:
            _ensure_another_headteacher(membership)
        RoleAssignment.objects.filter(membership=membership).exclude(role__in=roles).delete()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(membership=membership, role=r) for r in roles if r not in before]
        )
        membership.class_groups.set(class_groups)
        after_classes = sorted(g.name for g in class_groups)
        record(
            action="staff.roles_changed",
            actor=actor.user,
            school=membership.school,
            target=membership,
            data={"before": before, "after": roles, "classes_before": before_classes, "classes_after": after_classes},
            request=request,
        )


def _ensure_another_headteacher(membership: Membership) -> None:
    others = RoleAssignment.objects.filter(
        role=Role.HEADTEACHER, membership__school=membership.school, membership__is_active=True
    ).exclude(membership=membership)
    if not others.exists():
        raise StaffChangeError("The school must keep at least one active headteacher.")


def membership_deactivate(*, actor: Membership, membership: Membership, request=None) -> None:
    """Remove someone from the staff. Their history stays; they can no longer sign in here."""
    if not may_manage_membership(actor, membership):
        raise PermissionDenied("You cannot deactivate this person.")
    if membership.pk == actor.pk:
        raise StaffChangeError("You cannot deactivate yourself.")
    with transaction.atomic():
        if Role.HEADTEACHER in membership.roles:
            _ensure_another_headteacher(membership)
        membership.is_active = False
        membership.deactivated_at = timezone.now()
        membership.save(update_fields=["is_active", "deactivated_at"])
        user = membership.user
        if not Membership.objects.filter(user=user, is_active=True).exists():
            user.is_active = False
            user.save(update_fields=["is_active"])
        record(
            action="staff.deactivated", actor=actor.user, school=membership.school, target=membership, request=request
        )


def membership_reactivate(*, actor: Membership, membership: Membership, request=None) -> None:
    if not may_manage_membership(actor, membership):
        raise PermissionDenied("You cannot reactivate this person.")
    with transaction.atomic():
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["is_active", "deactivated_at"])
        user = membership.user
        if not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        record(
            action="staff.reactivated", actor=actor.user, school=membership.school, target=membership, request=request
        )


def social_account_save(
    *,
    actor: Membership,
    account: SocialAccount | None = None,
    kind: str,
    class_group: ClassGroup | None,
    network: str,
    handle: str,
    display_name: str,
    device_check: str = "",
    request=None,
) -> SocialAccount:
    """Create or edit a school's network account (its name and place; credentials are set by connecting)."""
    if not has_perm(actor, Perm.MANAGE_SOCIAL_ACCOUNTS):
        raise PermissionDenied("You cannot manage the school's accounts.")
    if class_group is not None:
        _check_class_groups(school=actor.school, class_groups=[class_group])
    creating = account is None
    if creating:
        account = SocialAccount(school=actor.school)
    elif account.school_id != actor.school_id:
        raise PermissionDenied("That account belongs to another school.")
    if not creating and network != account.network:
        account.credentials = {}  # one network's tokens mean nothing on another
    account.kind = kind
    account.class_group = class_group if kind == SocialAccount.Kind.CLASS else None
    account.network = network
    account.handle = handle.strip().lstrip("@")
    account.display_name = display_name.strip()
    # As stored: a ModelForm has already written the choice onto `account`.
    device_check_before = (
        SocialAccount.objects.filter(pk=account.pk).values_list("device_check", flat=True).first()
        if not creating
        else account.device_check
    )
    account.device_check = device_check or device_check_before or account.device_check
    # The local network needs no connection; any other is "Not connected" until it is.
    if network == "local":
        if account.status == SocialAccount.Status.NOT_CONNECTED:
            account.status = SocialAccount.Status.ACTIVE
    elif not account.credentials:
        account.status = SocialAccount.Status.NOT_CONNECTED
    with transaction.atomic():
        account.full_clean()
        account.save()
        record(
            action="social_account.created" if creating else "social_account.changed",
            actor=actor.user,
            school=actor.school,
            target=account,
            data={"kind": kind, "network": network, "handle": account.handle},
            request=request,
        )
        if not creating and account.device_check != device_check_before:
            record(
                action="social_account.device_check_changed",
                actor=actor.user,
                school=actor.school,
                target=account,
                data={"before": device_check_before, "after": account.device_check},
                request=request,
            )
    return account


def school_website_save(*, actor: Membership, website_url: str, public_feed: bool, request=None) -> School:
    """The headteacher sets the school's website address (the one site that may show the list of
    posts in a frame) and turns the public website feed on or off."""
    if not has_perm(actor, Perm.MANAGE_WEBSITE_FEED):
        raise PermissionDenied("Only the headteacher can change the school's website feed.")
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=actor.school_id)
        before = {"website_url": school.website_url, "public_feed": school.public_feed}
        school.website_url = website_url.strip()
        school.public_feed = public_feed
        school.full_clean()
        school.save(update_fields=["website_url", "public_feed"])
        after = {"website_url": school.website_url, "public_feed": school.public_feed}
        if after != before:
            record(
                action="school.website_feed_changed",
                actor=actor.user,
                school=school,
                target=school,
                data={"before": before, "after": after},
                request=request,
            )
    return school
