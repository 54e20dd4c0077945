import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from accounts import services
from accounts.models import Membership, Role, School


def test_operator_creates_a_school_and_its_headteacher_joins(db, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_school", "Highfield Primary", "--headteacher-email", "Head@Highfield.test", stdout=out)

    school = School.objects.get(slug="highfield-primary")
    assert mail.outbox[-1].to == ["head@highfield.test"]
    assert "The portal's administrator has invited you" in mail.outbox[-1].body
    token = re.search(r"/invitations/([^/\s]+)/", out.getvalue()).group(1)
    user = services.invitation_accept(token=token, first_name="H", last_name="T", password="a-long-pass-phrase")
    assert Membership.objects.get(user=user, school=school).roles == {Role.HEADTEACHER}


def test_a_taken_short_name_is_refused_with_a_message(db):
    School.objects.create(name="Highfield", slug="highfield")
    with pytest.raises(CommandError, match="slug"):
        call_command("create_school", "Highfield", "--headteacher-email", "h@highfield.test", stdout=StringIO())
