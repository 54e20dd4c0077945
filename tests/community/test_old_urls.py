"""The community's pages lived under /policy/ until issue 13: old links and bookmarks lead to the
same pages at their new addresses, permanently."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/policy/incidents/", "incident_list"),
        ("/policy/concerns/", "concern_list"),
        ("/policy/mentions/", "inbox_list"),
        ("/policy/audience/followers/", "audience_followers"),
        ("/policy/audience/blocked/", "audience_blocked"),
        ("/policy/audience/following/", "audience_following"),
    ],
)
def test_an_old_address_redirects_permanently_to_the_new_one(client, old, new):
    response = client.get(old)

    assert response.status_code == 301
    assert response["Location"] == reverse(new)


def test_an_old_address_with_an_id_and_a_query_keeps_both(client):
    response = client.get("/policy/incidents/7/?tab=timeline")

    assert response.status_code == 301
    assert response["Location"] == reverse("incident_detail", args=[7]) + "?tab=timeline"


def test_the_policy_pages_themselves_do_not_move(client):
    assert reverse("policy_current") == "/policy/"
    assert reverse("rules_list") == "/policy/rules/"
    assert client.get("/policy/rules/").status_code != 301


def test_the_community_pages_live_under_community():
    assert reverse("incident_list") == "/community/incidents/"
    assert reverse("audience_blocked_csv") == "/community/audience/blocked.csv"
