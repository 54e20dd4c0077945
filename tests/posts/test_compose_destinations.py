"""The compose page for a post that also goes to other accounts (issue 17): the "Also post to"
choice, words per account, one counter per network and one preview per network."""

import re
import uuid

import pytest
from django.urls import reverse

from posts import services
from posts.models import Post, PostDestination, PostStatus

from .network_accounts import network_account

HTMX = {"HTTP_HX_REQUEST": "true"}
FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # one grapheme, two on X's scale


@pytest.fixture
def head(client_for, staff, accounts, network_accounts):
    return client_for(staff.head)


def new_post(client, **fields):
    data = {"client_token": str(uuid.uuid4()), "text": "", "quote_url": "", "publish_at": "", "action": "save"}
    data.update(fields)
    return client.post(reverse("post_compose"), data)


def feedback(client, text, account, *also, **words):
    data = {"text": text, "account": account.pk, "also_to": [a.pk for a in also], **words}
    response = client.post(reverse("post_text_feedback"), data, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str) -> str:
    """What a reader sees: the words, without the markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_picker_lists_only_the_other_accounts_the_author_posts_for(head, accounts, network_accounts, outsider):
    body = head.get(reverse("post_compose")).content.decode()

    assert "Also post to" in body
    for account in (accounts.whole_school, network_accounts.bluesky, network_accounts.mastodon):
        assert f'name="also_to" value="{account.pk}"' in body
    assert "@alpha@mastodon.example (Mastodon)" in body and "Words for @alpha.bsky.social (Bluesky)" in body
    for account in (accounts.year3, outsider.account):  # a class's account; another school's
        assert f'value="{account.pk}"' not in body


def test_someone_who_posts_for_one_account_is_not_offered_others(client_for, staff, network_accounts):
    body = client_for(staff.teacher).get(reverse("post_compose")).content.decode()
    assert "Also post to" not in body and 'name="also_to"' not in body


@pytest.mark.parametrize("foreign", ["outsider", "class"])
def test_an_account_the_page_never_offered_is_refused(head, accounts, outsider, foreign):
    account = outsider.account if foreign == "outsider" else accounts.year3
    response = new_post(head, account=accounts.whole_school.pk, text="Sports day", also_to=[account.pk])
    assert response.status_code == 403
    assert not Post.objects.exists()


def test_each_accounts_words_are_saved_with_the_draft(head, accounts, network_accounts):
    bluesky, mastodon = network_accounts.bluesky, network_accounts.mastodon
    response = new_post(
        head,
        account=accounts.whole_school.pk,
        text="Sports day is on Friday.",
        also_to=[bluesky.pk, mastodon.pk, accounts.whole_school.pk],  # its own account ticked too: no matter
        **{f"words_{bluesky.pk}": "", f"words_{mastodon.pk}": "Sports day: Friday! #PE"},
    )

    post = Post.objects.get()
    assert response.status_code == 302 and response.url == reverse("post_edit", args=[post.pk])
    assert [(row.account, row.text) for row in PostDestination.objects.filter(post=post)] == [
        (bluesky, ""),
        (mastodon, "Sports day: Friday! #PE"),
    ]
    page = head.get(response.url).content.decode()
    assert re.search(rf'name="also_to" value="{bluesky.pk}"[^>]*checked', page)
    assert "Sports day: Friday! #PE</textarea>" in page


def test_the_same_form_sent_twice_chooses_the_accounts_once(head, accounts, network_accounts):
    data = {
        "account": accounts.whole_school.pk,
        "text": "Concert tonight",
        "client_token": str(uuid.uuid4()),
        "also_to": [network_accounts.bluesky.pk],
    }
    new_post(head, **data)
    new_post(head, **data)
    assert Post.objects.count() == 1 and PostDestination.objects.count() == 1


def test_editing_the_draft_changes_and_clears_the_choice(head, staff, accounts, network_accounts):
    post = services.post_create(actor=staff.head, account=accounts.whole_school, text="Book fair")
    bluesky = network_accounts.bluesky
    data = {"text": "Book fair", "quote_url": "", "publish_at": "", "action": "save"}

    head.post(reverse("post_edit", args=[post.pk]), {**data, "also_to": [bluesky.pk], f"words_{bluesky.pk}": "Books!"})
    assert [(row.account, row.text) for row in post.destinations.all()] == [(bluesky, "Books!")]

    head.post(reverse("post_edit", args=[post.pk]), {**data, f"words_{bluesky.pk}": "Books!"})  # unticked
    assert not post.destinations.exists()


def test_a_refused_submit_keeps_the_accounts_and_their_words(head, accounts, network_accounts):
    bluesky = network_accounts.bluesky
    response = new_post(
        head,
        account=accounts.whole_school.pk,
        text="a" * 300,
        action="submit",
        also_to=[bluesky.pk],
        **{f"words_{bluesky.pk}": "Short words for Bluesky"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(rf'name="also_to" value="{bluesky.pk}"[^>]*checked', page)
    assert "Short words for Bluesky</textarea>" in page
    post = Post.objects.get()
    assert post.status == PostStatus.DRAFT and post.destinations.get().text == "Short words for Bluesky"


# One counter per network


def test_each_account_is_counted_by_its_own_network(head, school, network_accounts):
    x = network_account(school, "x", "alpha_x")

    body = shown(feedback(head, FAMILY * 10, x, network_accounts.bluesky))

    assert "X 20 / 280" in body and "Bluesky 10 / 300" in body


def test_a_mastodon_server_with_its_own_limit_is_counted_to_it(head, school, accounts):
    mastodon = network_account(school, "mastodon", "big", network_settings={"max_characters": 1000})

    body = shown(feedback(head, "a" * 600, accounts.whole_school, mastodon))

    assert "Local 600 / 280" in body and "Mastodon 600 / 1000" in body
    assert "Local: 320 over. Take out 320 characters for @alpha_school." in body


def test_too_long_for_one_network_says_which_and_what_to_do(head, accounts, network_accounts):
    text = "a" * 250 + " https://example.com/" + "b" * 40  # 274 as X counts (a link is 23), 311 on Bluesky

    body = shown(feedback(head, text, accounts.whole_school, network_accounts.bluesky))

    assert "Local 274 / 280" in body and "Bluesky 311 / 300" in body
    assert "Bluesky: 11 over. Shorten it, or write shorter words for @alpha.bsky.social." in body


def test_an_accounts_own_words_are_counted_and_checked_on_their_own(head, school, accounts, network_accounts):
    from moderation.services import seed_default_rules

    seed_default_rules(school)
    bluesky = network_accounts.bluesky

    body = feedback(head, "A lovely day", accounts.whole_school, bluesky, **{f"words_{bluesky.pk}": "What a crap day"})

    assert "Bluesky own words 15 / 300" in shown(body)
    assert "to change before you send it for @alpha.bsky.social (Bluesky)" in shown(body)
    assert '<mark class="finding finding-block">crap</mark>' in body


def test_the_feedback_ignores_accounts_the_person_does_not_post_for(client_for, staff, accounts, network_accounts):
    body = shown(feedback(client_for(staff.teacher), "Hello", accounts.year3, network_accounts.bluesky))
    assert "Bluesky" not in body and "5 / 280" in body


# One preview per network


def test_the_draft_shows_how_it_looks_on_each_network(head, staff, accounts, network_accounts):
    text = "Read it at https://www.example.com/news/sports-day-results-2026 #PE"
    post = services.post_create(actor=staff.head, account=accounts.whole_school, text=text)
    services.post_set_destinations(
        actor=staff.head,
        post=post,
        choices=[(network_accounts.bluesky, ""), (network_accounts.mastodon, "Results: https://example.com/r")],
    )

    body = head.get(reverse("post_edit", args=[post.pk])).content.decode()

    previews = re.findall(r'<article class="pv pv-on-(\w+)"', body)
    assert previews == ["local", "bluesky", "mastodon"]
    assert '<span class="pv-handle">@alpha.bsky.social</span>' in body
    assert '<span class="pv-handle">@alpha@mastodon.example</span>' in body
    assert '<span class="pv-network">Bluesky</span>' in body
    # X shortens a link; Bluesky shows it as written; Mastodon shows the account's own words.
    assert ">example.com/news/sports-…</a>" in body
    assert ">https://www.example.com/news/sports-day-results-2026</a>" in body
    assert ">example.com/r</a>" in body
    assert (
        "style=" not in body.split('class="compose-previews"')[1]
    )  # the Content-Security-Policy allows no inline style
