"""The usage API after real uploads, the staff quota API (its overrides take effect, are
audited, and answer 404 to non-staff), team usage and moving bytes into a team."""

from __future__ import annotations

import pytest

from apps.teams.models import AuditEvent
from apps.teams.services import team_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _dataset(client) -> int:
    return client.post("/api/v1/datasets/", {"name": "poems"}, format="json").json()["id"]


def _upload(client, dataset_id: int, body: bytes, name: str = "a.txt"):
    return client.post(f"/api/v1/datasets/{dataset_id}/versions/?filename={name}", data=body,
                       content_type="application/octet-stream")


def _limit(response, name: str) -> dict:
    return next(item for item in response.json()["limits"] if item["name"] == name)


def test_usage_shows_each_limit_with_what_is_used_after_an_upload(make_user, api_client_for, settings):
    # given
    user = make_user()
    client = api_client_for(user)
    assert _upload(client, _dataset(client), b"x" * 1234).status_code == 201
    # when
    usage = client.get("/api/v1/usage/")
    # then
    assert usage.status_code == 200
    names = [item["name"] for item in usage.json()["limits"]]
    assert names == ["storage_bytes", "compute_seconds_per_month", "concurrent_runs", "chat_tokens_per_day",
                     "concurrent_generations", "api_requests_per_minute"]
    storage = _limit(usage, "storage_bytes")
    assert storage["used"] == 1234 and storage["limit"] == settings.SLOUGHGPT_STORAGE_QUOTA_BYTES
    assert "dataset uploads" in storage["what_counts"] and storage["resets_at"] is None
    tokens = _limit(usage, "chat_tokens_per_day")
    assert tokens["used"] == 0 and tokens["resets_at"] is not None
    assert _limit(usage, "compute_seconds_per_month")["resets_at"] is not None


def test_a_staff_override_takes_effect_and_is_audited(make_user, api_client_for):
    # given
    staff, user = make_user(is_staff=True), make_user()
    client = api_client_for(user)
    dataset_id = _dataset(client)
    assert _upload(client, dataset_id, b"y" * 60, "first.txt").status_code == 201
    # when
    changed = api_client_for(staff).put(f"/api/v1/staff/quotas/user/{user.pk}/",
                                        {"storage_bytes": 100, "concurrent_runs": 1}, format="json")
    refused = _upload(client, dataset_id, b"z" * 50, "second.txt")
    # then
    assert changed.status_code == 200, changed.json()
    assert changed.json()["limits"]["storage_bytes"] == 100 and changed.json()["plan"] is None
    assert refused.status_code == 413
    message = refused.json()["error"]["message"]
    assert refused.json()["error"]["code"] == "storage_quota_exceeded"
    assert "quota is 100 bytes and 60 are used; this file needs 50 more" in message
    assert _limit(client.get("/api/v1/usage/"), "storage_bytes")["limit"] == 100
    event = AuditEvent.objects.get(action="quota.override")
    assert event.actor == staff and event.target_id == user.pk
    assert event.details["storage_bytes"] == {"from": None, "to": 100}


def test_the_staff_api_is_not_found_for_everyone_else(make_user, api_client_for):
    # given
    user, other = make_user(), make_user()
    # when
    own = api_client_for(user).get(f"/api/v1/staff/quotas/user/{user.pk}/")
    put = api_client_for(user).put(f"/api/v1/staff/quotas/user/{user.pk}/", {"storage_bytes": 10**15},
                                   format="json")
    others = api_client_for(user).get(f"/api/v1/staff/quotas/team/{other.pk}/")
    # then
    assert (own.status_code, put.status_code, others.status_code) == (404, 404, 404)
    assert not AuditEvent.objects.filter(action="quota.override").exists()


def test_a_staff_member_puts_a_team_on_a_plan(make_user, api_client_for):
    # given
    from apps.quotas.models import Plan

    staff, owner = make_user(is_staff=True), make_user()
    team = team_create(user=owner, name="lab")
    Plan.objects.create(name="lab-plan", storage_bytes=5 * 10**9, concurrent_runs=6)
    # when
    changed = api_client_for(staff).put(f"/api/v1/staff/quotas/team/{team.pk}/", {"plan": "lab-plan"},
                                        format="json")
    unknown = api_client_for(staff).put(f"/api/v1/staff/quotas/team/{team.pk}/", {"plan": "gold"},
                                        format="json")
    usage = api_client_for(owner).get(f"/api/v1/teams/{team.pk}/usage/")
    # then
    assert changed.status_code == 200 and changed.json()["plan"] == "lab-plan"
    assert unknown.status_code == 400 and "plan" in unknown.json()["error"]["fields"]
    assert _limit(usage, "concurrent_runs")["limit"] == 6
    assert [item["name"] for item in usage.json()["limits"]] == [
        "storage_bytes", "compute_seconds_per_month", "concurrent_runs"]
    assert api_client_for(make_user()).get(f"/api/v1/teams/{team.pk}/usage/").status_code == 404


def test_moving_a_dataset_into_a_team_moves_its_bytes(make_user, api_client_for):
    # given
    owner = make_user()
    client = api_client_for(owner)
    team = team_create(user=owner, name="lab")
    dataset_id = _dataset(client)
    assert _upload(client, dataset_id, b"w" * 300).status_code == 201
    # when
    moved = client.post(f"/api/v1/sharing/dataset/{dataset_id}/move/", {"team_id": team.pk}, format="json")
    # then
    assert moved.status_code == 200, moved.json()
    assert _limit(client.get("/api/v1/usage/"), "storage_bytes")["used"] == 0
    assert _limit(client.get(f"/api/v1/teams/{team.pk}/usage/"), "storage_bytes")["used"] == 300
