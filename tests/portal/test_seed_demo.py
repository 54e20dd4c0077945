from collections import Counter

from django.core.management import call_command

from accounts.models import ClassGroup, Membership, Role, School, SocialAccount, User
from consent.models import ConsentPurpose, Pupil
from consent.selectors import consent_register, effective_consent

CONTRACT_USERS = {
    "head@demo.school": Role.HEADTEACHER,
    "slt@demo.school": Role.SENIOR_LEADER,
    "teacher3@demo.school": Role.CLASS_TEACHER,
    "office@demo.school": Role.OFFICE_ADMIN,
    "computing@demo.school": Role.COMPUTING_LEAD,
}


def test_seed_demo_builds_the_contract_school(db):
    call_command("seed_demo", "--password", "pw-for-demo")

    school = School.objects.get(name="Demo Primary School")
    for email, role in CONTRACT_USERS.items():
        membership = Membership.objects.get(user__email=email, school=school)
        assert role in membership.roles
        assert membership.user.check_password("pw-for-demo")
    assert ClassGroup.objects.filter(school=school).count() == 3
    year3_account = SocialAccount.objects.get(school=school, kind="class", class_group__name="Year 3")
    assert year3_account.network == "local"
    assert SocialAccount.objects.filter(school=school, kind="whole_school", network="local").exists()
    teacher3 = Membership.objects.get(user__email="teacher3@demo.school")
    assert list(teacher3.class_groups.values_list("name", flat=True)) == ["Year 3"]


def test_seed_demo_has_about_25_pupils_a_class_with_a_realistic_mix_of_consent(db):
    call_command("seed_demo", "--password", "pw-for-demo")
    school = School.objects.get(name="Demo Primary School")

    per_class = Counter(Pupil.objects.filter(school=school).values_list("class_group__name", flat=True))
    assert all(20 <= count <= 30 for count in per_class.values()) and len(per_class) == 3
    states = Counter(
        effective_consent(p, ConsentPurpose.SOCIAL_PHOTO).state for p in Pupil.objects.filter(school=school)
    )
    for state in ("given", "refused", "withdrawn", "expired", "never_publish", "none", "disputed"):
        assert states[state] > 0, f"no pupil with photo consent {state}"
    assert states["given"] > sum(states.values()) / 2
    summaries = Counter(row.summary for row in consent_register(school=school))
    assert summaries.keys() >= {"green", "amber", "red"}


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", "--password", "first-password")
    counts = (User.objects.count(), Pupil.objects.count(), SocialAccount.objects.count(), Membership.objects.count())
    call_command("seed_demo", "--password", "second-password")
    assert counts == (
        User.objects.count(),
        Pupil.objects.count(),
        SocialAccount.objects.count(),
        Membership.objects.count(),
    )
    assert User.objects.get(email="head@demo.school").check_password("second-password")


def test_the_demo_audience_waits_for_review_with_the_abusive_mention_flagged(db):
    from community.models import Follower, MentionItem

    call_command("seed_demo", "--password", "pw-for-demo")
    call_command("seed_demo", "--password", "pw-for-demo")  # still one of each

    flagged_followers = Follower.objects.filter(account__school__name="Demo Primary School").exclude(findings=[])
    assert flagged_followers.exists()
    mentions = MentionItem.objects.filter(account__school__name="Demo Primary School", kind="mention")
    assert mentions.filter(flagged=True).count() == 1
    assert mentions.filter(flagged=False).count() >= 1
    # Private messages (issue 18): one about a visit, one abusive and flagged; still one of each.
    private = MentionItem.objects.filter(account__school__name="Demo Primary School", kind="message")
    assert private.filter(flagged=True).count() == 1
    assert private.filter(flagged=False).count() == 1
