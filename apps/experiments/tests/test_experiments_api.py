"""Experiments and runs through the API: create, list, rename, update, delete, params."""

import pytest

from .factories import make_experiment, make_run

pytestmark = pytest.mark.django_db


def test_experiment_lifecycle(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    created = client.post(
        "/api/v1/experiments/", {"name": " tiny-gpt ", "description": "d"}, format="json"
    )
    experiment_id = created.json()["id"]
    renamed = client.patch(
        f"/api/v1/experiments/{experiment_id}/", {"name": "tiny-gpt-2"}, format="json"
    )
    by_name = client.get("/api/v1/experiments/?name=tiny-gpt-2").json()
    deleted = client.delete(f"/api/v1/experiments/{experiment_id}/")
    # then
    assert created.status_code == 201
    assert created.json()["name"] == "tiny-gpt" and created.json()["run_count"] == 0
    assert renamed.json()["name"] == "tiny-gpt-2"
    assert [item["id"] for item in by_name["results"]] == [experiment_id]
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/experiments/{experiment_id}/").status_code == 404


def test_experiment_names_are_unique_per_user_only(make_user, api_client_for):
    # given
    alice, bob = make_user(), make_user()
    make_experiment(alice, name="shared-name")
    # when
    again = api_client_for(alice).post(
        "/api/v1/experiments/", {"name": "shared-name"}, format="json"
    )
    other = api_client_for(bob).post("/api/v1/experiments/", {"name": "shared-name"}, format="json")
    # then
    assert again.status_code == 400
    assert "shared-name" in again.json()["error"]["fields"]["name"][0]
    assert other.status_code == 201


def test_run_lifecycle_keeps_param_types_and_merges_tags(make_user, api_client_for):
    # given
    user = make_user()
    client = api_client_for(user)
    experiment = make_experiment(user)
    # when
    created = client.post(
        f"/api/v1/experiments/{experiment.pk}/runs/",
        {
            "name": "r1",
            "params": {"lr": 0.0003, "layers": 4, "amp": True, "opt": "adam"},
            "tags": {"team": "nlp", "stage": "try"},
        },
        format="json",
    )
    run_id = created.json()["id"]
    params = client.post(
        f"/api/v1/runs/{run_id}/params/", {"params": {"layers": 6, "warmup": None}}, format="json"
    )
    updated = client.patch(
        f"/api/v1/runs/{run_id}/",
        {
            "name": "r1-final",
            "notes": "good",
            "tags": {"stage": None, "best": "yes"},
            "status": "finished",
        },
        format="json",
    )
    listed = client.get(f"/api/v1/experiments/{experiment.pk}/runs/").json()
    # then
    assert created.status_code == 201
    assert created.json()["status"] == "running" and created.json()["started_at"]
    assert params.json()["params"] == {
        "lr": 0.0003,
        "layers": 6,
        "amp": True,
        "opt": "adam",
        "warmup": None,
    }
    body = updated.json()
    assert body["name"] == "r1-final" and body["notes"] == "good"
    assert body["tags"] == {"team": "nlp", "best": "yes"}
    assert body["status"] == "finished" and body["finished_at"]
    assert [run["id"] for run in listed["results"]] == [run_id]
    assert client.delete(f"/api/v1/runs/{run_id}/").status_code == 204
    assert client.get(f"/api/v1/runs/{run_id}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "r", "params": {"lr": [1, 2]}}, "params.lr"),
        ({"name": "r", "params": "lr=1"}, "params"),
        ({"name": "r", "params": {"note": "a\u0000b"}}, "params.note"),
        ({"name": "r", "tags": {"team": 3}}, "tags.team"),
        ({"name": "r", "status": "done"}, "status"),
        ({"params": {}}, "name"),
    ],
)
def test_bad_run_input_is_a_400_naming_the_field(make_user, api_client_for, body, field):
    # given
    user = make_user()
    experiment = make_experiment(user)
    # when
    response = api_client_for(user).post(
        f"/api/v1/experiments/{experiment.pk}/runs/", body, format="json"
    )
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_run_in_another_users_experiment_cannot_be_created(make_user, api_client_for):
    # given
    owner, intruder = make_user(), make_user()
    experiment = make_experiment(owner)
    # when
    response = api_client_for(intruder).post(
        f"/api/v1/experiments/{experiment.pk}/runs/", {"name": "sneaky"}, format="json"
    )
    # then
    assert response.status_code == 404
    assert not make_run(owner, experiment=experiment).experiment.runs.filter(name="sneaky").exists()
