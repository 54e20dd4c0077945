import pytest

from moderation.services import rule_create, rule_update

from .conftest import flagged

HASHTAGS = "hashtags"
LINKS = "mentions_and_links"


@pytest.fixture
def hashtag_rule(rules):
    return next(rule for rule in rules if rule.type == HASHTAGS)


def test_more_hashtags_than_the_guidance_warns_from_the_first_extra_one(check):
    text = "Sports day! #PE #Year3 #Teamwork #Sun #Fun"
    (finding,) = check(text, rule=HASHTAGS)
    assert flagged(text, [finding]) == ["#Sun #Fun"]
    assert finding.severity == "warn"
    assert "5 hashtags" in finding.message and "at most 3" in finding.message


def test_up_to_the_maximum_passes(check):
    assert check("Sports day! #PE #Year3 #Teamwork", rule=HASHTAGS) == []


@pytest.mark.parametrize("text", ["Room #3 and #1", "Email office@alpha.sch.uk", "C# club", "https://x.org/a#top"])
def test_things_that_are_not_hashtags_are_not_counted(check, staff, hashtag_rule, text):
    rule_update(actor=staff.computing, rule=hashtag_rule, parameters={"max_count": 0})
    assert check(text, rule=HASHTAGS) == []


def test_forbidden_hashtags_are_flagged_whatever_their_case(check, staff, hashtag_rule):
    rule_update(actor=staff.computing, rule=hashtag_rule, parameters={"forbidden": ["#SchoolsOut", "strike"]})
    text = "Last day! #schoolsout #Summer #STRIKE"
    assert flagged(text, check(text, rule=HASHTAGS)) == ["#schoolsout", "#STRIKE"]


def test_a_missing_required_hashtag_is_pointed_out_at_the_end_with_a_suggestion(check, staff, accounts):
    rule_create(
        actor=staff.computing,
        type=HASHTAGS,
        severity="warn",
        scope="account",
        account=accounts.year3,
        parameters={"required": ["AlphaYear3"]},
    )
    text = "We planted beans"
    (finding,) = check(text, rule=HASHTAGS, account=accounts.year3)
    assert (finding.start, finding.end, finding.suggestion) == (len(text), len(text), "#AlphaYear3")
    assert check("We planted beans #alphayear3", rule=HASHTAGS, account=accounts.year3) == []
    assert check(text, rule=HASHTAGS, account=accounts.whole_school) == []


def test_mentions_of_other_accounts_warn_and_the_schools_own_pass(check, accounts):
    text = "Thanks @alpha_school and @alpha_year3 and @RandomPerson!"
    findings = check(text, rule=LINKS)
    assert flagged(text, findings) == ["@RandomPerson"]
    assert findings[0].severity == "warn"


def test_allowed_handles_pass(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == LINKS)
    rule_update(actor=staff.computing, rule=rule, parameters={"allowed_handles": ["@BBCSchools", "dfe@gov.social"]})
    assert check("Thanks @bbcschools and @dfe@gov.social", rule=LINKS) == []


def test_an_email_address_is_no_mention(check):
    assert check("Contact office@alpha.sch.uk", rule=LINKS) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://www.gov.uk/guidance and https://evil.example.com/win", ["https://evil.example.com/win"]),
        ("Visit www.alpha.sch.uk or bit.ly/3xYz.", ["bit.ly/3xYz"]),
        ("Results at news.bbc.co.uk/sport", ["news.bbc.co.uk/sport"]),
        ("Menus (https://menus.example.org/week1).", ["https://menus.example.org/week1"]),
    ],
)
def test_links_to_sites_not_on_the_list_warn(check, text, expected):
    assert flagged(text, check(text, rule=LINKS)) == expected


def test_allowed_domains_include_their_subdomains(check, staff, rules):
    rule = next(rule for rule in rules if rule.type == LINKS)
    rule_update(actor=staff.computing, rule=rule, parameters={"allowed_domains": ["https://bbc.co.uk/"]})
    assert check("See https://www.bbc.co.uk/bitesize and bbc.co.uk", rule=LINKS) == []
    assert flagged("See notbbc.co.uk", check("See notbbc.co.uk", rule=LINKS)) == ["notbbc.co.uk"]


@pytest.mark.parametrize("text", ["We finished at 3.30pm.", "Mr. Smith said e.g. this", "Score: 2.5 out of 3"])
def test_ordinary_full_stops_are_no_links(check, text):
    assert check(text, rule=LINKS) == []
