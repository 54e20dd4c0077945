"""The stub Mastodon server itself: it must refuse what Mastodon's documentation does not allow,
and its faults must behave as described, or the adapter's tests prove nothing."""

import datetime as dt
import threading

import pytest
import requests

from tests.mastodonstub import check_params, match_route, status_length


@pytest.fixture
def school(mastodon_stub):
    account = mastodon_stub.add_account("alpha_school")
    credentials, _ = mastodon_stub.connect(account)
    return account, {"Authorization": f"Bearer {credentials['access_token']}"}


def _post(stub, path, auth, **kwargs):
    return requests.post(stub.base_url + path, headers={**auth, **kwargs.pop("headers", {})}, timeout=5, **kwargs)


def test_routes_match_with_or_without_a_trailing_slash():
    assert match_route("GET", "/api/v2/instance/")[0] == "GET /api/v2/instance"
    assert match_route("GET", "/api/v1/accounts/verify_credentials")[0] == "GET /api/v1/accounts/verify_credentials"
    assert match_route("GET", "/api/v1/accounts/42/followers")[:2] == (
        "GET /api/v1/accounts/{id}/followers",
        {"id": "42"},
    )
    assert match_route("PUT", "/api/v1/statuses")[0] is None


def test_undocumented_missing_and_malformed_parameters_are_reported():
    problems = check_params(
        "POST /api/v1/statuses",
        {"status": ["hi"], "media_ids": ["1"], "visibility": ["everyone"], "colour": ["red"]},
        {},
    )
    assert any("media_ids is an array" in p for p in problems)
    assert any("'everyone' is not one of" in p for p in problems)
    assert any("colour is not in the documentation" in p for p in problems)
    assert any("required parameter account_id" in p for p in check_params("POST /api/v1/reports", {}, {}))
    assert any("above the maximum of 80" in p for p in check_params("GET /api/v1/notifications", {"limit": ["81"]}, {}))
    assert any("not a Mastodon id" in p for p in check_params("GET /api/v1/statuses/{id}", {}, {"id": "abc"}))


def test_a_bad_request_is_refused_and_recorded_as_a_violation(mastodon_stub, school):
    _, auth = school
    mastodon_stub.violations_expected = True
    response = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi", "poll_colour": "red"})
    assert response.status_code == 422
    assert mastodon_stub.violations == [
        "POST /api/v1/statuses: parameter poll_colour is not in the documentation "
        "(https://docs.joinmastodon.org/methods/statuses/#create)"
    ]


def test_a_token_without_the_scope_is_refused_and_a_revoked_one_is_unauthorised(mastodon_stub, school):
    account, _ = school
    credentials, _ = mastodon_stub.connect(account, scope="read:accounts")
    narrow = {"Authorization": f"Bearer {credentials['access_token']}"}
    assert _post(mastodon_stub, "/api/v1/statuses", narrow, data={"status": "hi"}).status_code == 403
    mastodon_stub.revoke_token(credentials["access_token"])
    assert (
        requests.get(
            mastodon_stub.base_url + "/api/v1/accounts/verify_credentials", headers=narrow, timeout=5
        ).status_code
        == 401
    )


def test_a_parent_scope_covers_its_children(mastodon_stub, school):
    account, _ = school
    credentials, _ = mastodon_stub.connect(account, scope="write")
    auth = {"Authorization": f"Bearer {credentials['access_token']}"}
    assert _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"}).status_code == 200


def test_the_same_idempotency_key_makes_one_status(mastodon_stub, school):
    account, auth = school
    first = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"}, headers={"Idempotency-Key": "k"})
    again = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"}, headers={"Idempotency-Key": "k"})
    assert first.json()["id"] == again.json()["id"]
    assert len(mastodon_stub.statuses_by(account)) == 1


def test_the_length_limit_counts_links_at_the_reserved_length(mastodon_stub, school):
    _, auth = school
    assert status_length("https://example.org/" + "a" * 200, 23) == 23
    assert status_length("hi @parent@toot.example", 23) == len("hi @parent")
    too_long = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "x" * 501})
    assert too_long.status_code == 422 and "character limit of 500" in too_long.json()["error"]


def test_media_is_processed_before_a_status_may_use_it(mastodon_stub, school):
    _, auth = school
    mastodon_stub.media_processing_polls = 2
    upload = _post(mastodon_stub, "/api/v2/media", auth, files={"file": ("a.jpg", b"\xff\xd8\xff rest", "image/jpeg")})
    assert upload.status_code == 202 and upload.json()["url"] is None
    media_id = upload.json()["id"]
    early = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi", "media_ids[]": [media_id]})
    assert early.status_code == 422 and "finished processing" in early.json()["error"]
    first_look = requests.get(f"{mastodon_stub.base_url}/api/v1/media/{media_id}", headers=auth, timeout=5)
    second_look = requests.get(f"{mastodon_stub.base_url}/api/v1/media/{media_id}", headers=auth, timeout=5)
    assert (first_look.status_code, second_look.status_code) == (206, 200) and second_look.json()["url"]


def test_a_rate_limit_carries_an_iso_reset_time(mastodon_stub, school):
    _, auth = school
    reset = mastodon_stub.rate_limit_next("POST /api/v1/statuses", reset_in=60)
    response = _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"})
    assert response.status_code == 429
    stamp = dt.datetime.fromisoformat(response.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))
    assert abs(stamp.timestamp() - reset) < 1


def test_a_failure_after_applying_still_makes_the_status(mastodon_stub, school):
    account, auth = school
    mastodon_stub.fail_next("POST /api/v1/statuses", status=503, apply=True)
    assert _post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"}).status_code == 503
    assert len(mastodon_stub.statuses_by(account)) == 1


def test_a_held_answer_waits_for_release_after_taking_effect(mastodon_stub, school):
    account, auth = school
    hold = mastodon_stub.hold_next("POST /api/v1/statuses")
    answers = []
    thread = threading.Thread(
        target=lambda: answers.append(_post(mastodon_stub, "/api/v1/statuses", auth, data={"status": "hi"}))
    )
    thread.start()
    assert hold.reached.wait(5)
    assert len(mastodon_stub.statuses_by(account)) == 1 and answers == []
    hold.release()
    thread.join(5)
    assert answers[0].status_code == 200


def test_a_server_that_goes_down_refuses_connections_and_comes_back(mastodon_stub):
    mastodon_stub.go_down()
    with pytest.raises(requests.ConnectionError):
        requests.get(mastodon_stub.base_url + "/api/v2/instance", timeout=2)
    mastodon_stub.come_back()
    assert requests.get(mastodon_stub.base_url + "/api/v2/instance", timeout=2).status_code == 200
