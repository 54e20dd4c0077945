"""The "Website feed" staff page (posts.views_feed.website_feed): the feed's addresses and the code
to paste for those who look after the school's website, and the headteacher's settings."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent

URL = "/posts/website-feed/"


def test_its_address():
    assert reverse("website_feed") == URL


@pytest.mark.parametrize("who", ["head", "slt", "computing"])
def test_leaders_and_the_computing_lead_see_the_addresses_and_the_code(client_for, staff, accounts, settings, who):
    settings.SITE_URL = "https://portal.example.org"
    page = client_for(getattr(staff, who)).get(URL).content.decode()

    assert "https://portal.example.org/feeds/alpha/atom.xml" in page
    assert f"https://portal.example.org/feeds/alpha/accounts/{accounts.year3.pk}/atom.xml" in page
    # The code, shown as text to copy.
    assert (
        "&lt;iframe src=&quot;https://portal.example.org/feeds/alpha/posts/&quot; "
        "title=&quot;News from Alpha Primary&quot;" in page
    )


@pytest.mark.parametrize("who", ["teacher", "ta", "office"])
def test_other_staff_cannot_open_it(client_for, staff, who):
    assert client_for(getattr(staff, who)).get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, staff):
    assert client.get(URL)["Location"].startswith(reverse("account_login"))


def test_only_the_headteacher_sees_and_may_use_the_settings(client_for, staff, school):
    slt = client_for(staff.slt)
    assert "Save the website feed settings" not in slt.get(URL).content.decode()
    assert slt.post(URL, {"website_url": "https://evil.example"}).status_code == 403
    school.refresh_from_db()
    assert school.website_url == "" and school.public_feed


def test_the_headteacher_sets_the_website_and_turns_the_feed_off(client_for, staff, school):
    client = client_for(staff.head)
    assert "Save the website feed settings" in client.get(URL).content.decode()

    response = client.post(URL, {"website_url": "https://www.alpha.sch.uk/news"}, follow=True)

    school.refresh_from_db()
    assert school.website_url == "https://www.alpha.sch.uk/news" and not school.public_feed
    page = response.content.decode()
    assert "The website feed is off" in page
    assert "Only pages on https://www.alpha.sch.uk can show the list in a frame." in page
    event = AuditEvent.objects.get(action="school.website_feed_changed")
    assert event.actor == staff.head.user
    assert event.data["after"] == {"website_url": "https://www.alpha.sch.uk/news", "public_feed": False}


def test_an_address_that_is_not_a_website_is_refused_with_what_to_enter(client_for, staff, school):
    response = client_for(staff.head).post(URL, {"website_url": "ftp://files.alpha.sch.uk", "public_feed": "on"})

    assert response.status_code == 400
    assert "Enter an address that starts with https://" in response.content.decode()
    school.refresh_from_db()
    assert school.website_url == ""


def test_saving_without_a_change_writes_nothing_to_the_audit_trail(client_for, staff, school):
    client_for(staff.head).post(URL, {"public_feed": "on"})
    assert not AuditEvent.objects.filter(action="school.website_feed_changed").exists()


def test_the_navigation_links_to_it_for_those_who_may_open_it(client_for, staff):
    assert f'href="{URL}"' in client_for(staff.computing).get(reverse("dashboard")).content.decode()
    assert f'href="{URL}"' not in client_for(staff.teacher).get(reverse("dashboard")).content.decode()
