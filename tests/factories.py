"""Small builders for tests: real rows through the ORM, no mocks."""

import pyotp
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import ClassGroup, Membership, RoleAssignment, School, SocialAccount, User

PASSWORD = "correct-horse-battery-staple"


def make_school(name: str = "Alpha Primary", slug: str | None = None) -> School:
    return School.objects.create(name=name, slug=slug or name.lower().replace(" ", "-"))


def make_member(school: School, email: str, roles, class_groups=(), *, first_name: str = "") -> Membership:
    user = User.objects.create_user(
        email=email, password=PASSWORD, first_name=first_name or email.split("@")[0].title()
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    membership = Membership.objects.create(user=user, school=school)
    RoleAssignment.objects.bulk_create(RoleAssignment(membership=membership, role=role) for role in roles)
    membership.class_groups.set(class_groups)
    return Membership.objects.prefetch_related("role_assignments", "class_groups").get(pk=membership.pk)


def enable_totp(user) -> str:
    """Activate an authenticator for `user`; returns the secret so a test can make codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def make_class(school: School, name: str, year: int | None = None) -> ClassGroup:
    return ClassGroup.objects.create(school=school, name=name, year_group=year)


def make_account(school: School, handle: str, *, class_group: ClassGroup | None = None) -> SocialAccount:
    return SocialAccount.objects.create(
        school=school,
        kind=SocialAccount.Kind.CLASS if class_group else SocialAccount.Kind.WHOLE_SCHOOL,
        class_group=class_group,
        handle=handle,
        display_name=handle.replace("_", " ").title(),
    )
