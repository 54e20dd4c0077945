from moderation.services import rule_update

RULE = "length"


def test_a_post_over_the_networks_limit_is_blocked_from_where_it_goes_over(check, accounts):
    text = "a" * 300
    (finding,) = check(text, rule=RULE, account=accounts.year3)
    assert (finding.severity, finding.start, finding.end) == ("block", 280, 300)
    assert "300" in finding.message and "280" in finding.message and "by 20" in finding.message


def test_a_post_within_the_limit_passes(check, accounts):
    assert check("a" * 280, rule=RULE, account=accounts.year3) == []


def test_the_accounts_own_counting_and_limit_are_used(check, accounts, monkeypatch):
    """A network that counts graphemes up to 300 (Bluesky's rule): a family emoji is one."""
    from dataclasses import replace

    from networks.base import LengthRule
    from networks.local.adapter import LocalNetwork

    graphemes = replace(LocalNetwork.capabilities, max_length=300, length_rule=LengthRule.GRAPHEMES)
    monkeypatch.setattr(LocalNetwork, "capabilities_for", classmethod(lambda cls, account: graphemes))
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467"
    assert check(family * 300, rule=RULE, account=accounts.year3) == []
    (finding,) = check(family * 290 + "a" * 15, rule=RULE, account=accounts.year3)
    assert "305 characters as Bluesky counts them" in finding.message and "300" in finding.message
    assert finding.start == len(family * 290) + 10


def test_the_school_can_set_a_shorter_limit(check, staff, rules, accounts):
    rule = next(rule for rule in rules if rule.type == RULE)
    rule_update(actor=staff.computing, rule=rule, parameters={"max_length": 100})
    (finding,) = check("a" * 120, rule=RULE, account=accounts.year3)
    assert (finding.start, finding.end) == (100, 120)
    (finding,) = check("a" * 120, rule=RULE)
    assert finding.start == 100


def test_without_an_account_or_a_limit_length_is_not_checked(check):
    assert check("a" * 1000, rule=RULE) == []
