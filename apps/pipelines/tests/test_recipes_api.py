"""The recipe API for two users: a bad step is a 400 naming the step and the field, editing
the steps adds a version, a preview shows the records after each step, a run refuses what its
inputs make impossible, another user's recipe, run or input is a 404, a queued run can be
cancelled, and a run's outputs become dataset versions carrying their lineage."""

from __future__ import annotations

import pytest

from apps.pipelines import services
from apps.pipelines.models import RecipeRun
from apps.pipelines.services import recipe_run_execute

from .factories import jsonl, recipe, valid_version

pytestmark = pytest.mark.django_db

RECORDS = [
    {"text": "  Hello   world,  this is the first record.  "},
    {"text": "Hello world, this is the first record."},
    {"text": "short"},
    {"text": "Another record that is long enough to keep around."},
]
STEPS = [{"type": "normalize"}, {"type": "length_filter", "min": 10}, {"type": "dedup_exact"}]


def _create(client, steps, name="cleanup"):
    return client.post("/api/v1/recipes/", {"name": name, "steps": steps}, format="json")


def test_a_step_with_a_regex_that_does_not_compile_is_a_400_naming_the_step_and_field(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    response = _create(client, [{"type": "normalize"}, {"type": "regex_filter", "pattern": "(unclosed"}])
    # then
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["steps.1.pattern"]
    assert "step 2 (regex_filter)" in fields["steps.1.pattern"][0]


def test_editing_the_steps_adds_a_version_and_the_same_steps_do_not(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    made = _create(client, STEPS).json()
    # when
    edited = client.patch(f"/api/v1/recipes/{made['id']}/", {"steps": STEPS[:2]}, format="json").json()
    renamed = client.patch(f"/api/v1/recipes/{made['id']}/", {"name": "tidy", "steps": STEPS[:2]},
                           format="json").json()
    # then
    assert made["version"] == 1
    assert edited["version"] == 2 and [s["type"] for s in edited["steps"]] == ["normalize", "length_filter"]
    assert renamed["version"] == 2 and renamed["name"] == "tidy"
    assert [v["number"] for v in renamed["versions"]] == [2, 1]


def test_the_preview_shows_the_records_left_after_each_step(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl(RECORDS))
    # when
    response = api_client_for(user).post("/api/v1/recipes/preview/", {"steps": STEPS, "inputs": [version.pk]},
                                         format="json")
    # then
    assert response.status_code == 200, response.content
    steps = response.json()["steps"]
    assert [(s["type"], s["records_in"], s["records_out"]) for s in steps] == [
        ("normalize", 4, 4), ("length_filter", 4, 3), ("dedup_exact", 3, 2)]
    assert steps[0]["records"][0]["text"] == "Hello world, this is the first record."


def test_a_preview_that_runs_out_of_time_shows_what_it_got_through_marked_stopped(
        make_user, api_client_for, monkeypatch):
    # given: a preview with no time at all
    user = make_user()
    version = valid_version(user, jsonl(RECORDS))
    monkeypatch.setattr(services, "PREVIEW_DEADLINE_S", 0)
    # when
    answer = api_client_for(user).post("/api/v1/recipes/preview/", {"steps": STEPS, "inputs": [version.pk]},
                                       format="json")
    # then
    assert answer.status_code == 200, answer.content
    assert [(s["type"], s["stopped"]) for s in answer.json()["steps"]] == [
        ("normalize", True), ("length_filter", True), ("dedup_exact", True)]


def test_a_run_that_names_an_unknown_column_is_refused_naming_the_step(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl(RECORDS))
    made = recipe(user, steps=[{"type": "normalize"}, {"type": "dedup_exact", "field": "title"}])
    # when
    response = api_client_for(user).post(f"/api/v1/recipes/{made.pk}/runs/",
                                         {"inputs": [version.pk], "output_name": "clean"}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["steps.1.field"]
    assert not RecipeRun.objects.exists()


def test_another_users_recipe_run_and_input_are_not_found(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    version = valid_version(owner, jsonl(RECORDS))
    made = recipe(owner)
    run = api_client_for(owner).post(f"/api/v1/recipes/{made.pk}/runs/",
                                     {"inputs": [version.pk], "output_name": "clean"}, format="json").json()
    client = api_client_for(other)
    mine = recipe(other)
    # when
    answers = [
        client.get(f"/api/v1/recipes/{made.pk}/").status_code,
        client.get(f"/api/v1/recipe-runs/{run['id']}/").status_code,
        client.post(f"/api/v1/recipe-runs/{run['id']}/cancel/").status_code,
        client.post(f"/api/v1/recipes/{mine.pk}/runs/", {"inputs": [version.pk], "output_name": "x"},
                    format="json").status_code,
        client.post("/api/v1/recipes/preview/", {"steps": STEPS, "inputs": [version.pk]}, format="json").status_code,
    ]
    # then
    assert answers == [404, 404, 404, 404, 404]
    assert client.get("/api/v1/recipe-runs/").json()["count"] == 0


def test_a_recipe_filter_that_is_not_a_plain_number_is_a_400(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    answers = [client.get("/api/v1/recipe-runs/", {"recipe": value}) for value in ["\u00b2", "9" * 5000, "-1"]]
    # then
    assert [a.status_code for a in answers] == [400, 400, 400]
    assert all("recipe" in a.json()["error"]["fields"] for a in answers)


def test_a_queued_run_is_cancelled_and_its_execution_then_does_nothing(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl(RECORDS))
    client = api_client_for(user)
    run = client.post(f"/api/v1/recipes/{recipe(user).pk}/runs/", {"inputs": [version.pk], "output_name": "c"},
                      format="json").json()
    # when
    cancelled = client.post(f"/api/v1/recipe-runs/{run['id']}/cancel/").json()
    recipe_run_execute(run_id=run["id"], execution_id="late")
    # then
    assert cancelled["status"] == "cancelled"
    assert RecipeRun.objects.get(pk=run["id"]).status == "cancelled"
    assert client.post(f"/api/v1/recipe-runs/{run['id']}/cancel/").status_code == 400


def test_a_split_run_makes_a_dataset_version_per_part_with_its_lineage(make_user, api_client_for):
    # given
    user = make_user()
    records = [{"text": f"Record number {i} says something different."} for i in range(40)]
    version = valid_version(user, jsonl(records), name="source")
    made = recipe(user, steps=[{"type": "normalize"},
                               {"type": "split", "train": 0.5, "validation": 0.25, "test": 0.25, "seed": 3}])
    client = api_client_for(user)
    run = client.post(f"/api/v1/recipes/{made.pk}/runs/", {"inputs": [version.pk], "output_name": "parts"},
                      format="json").json()
    # when the worker's service runs it
    status = recipe_run_execute(run_id=run["id"], execution_id="test")
    # then
    shown = client.get(f"/api/v1/recipe-runs/{run['id']}/").json()
    assert status == "succeeded", shown["error"]
    outputs = {o["part"]: o for o in shown["outputs"]}
    assert set(outputs) == {"train", "validation", "test"}
    assert sum(o["records"] for o in outputs.values()) == 40
    assert outputs["train"]["dataset_name"] == "parts (train)"
    train = client.get(f"/api/v1/dataset-versions/{outputs['train']['dataset_version']}/").json()
    lineage = train["lineage"]
    assert (lineage["run"], lineage["part"], lineage["recipe"], lineage["recipe_version"]) == (
        run["id"], "train", made.pk, 1)
    assert lineage["inputs"][0]["id"] == version.pk
    assert [s["type"] for s in lineage["report"]] == ["normalize", "split"]
    assert client.get(f"/api/v1/dataset-versions/{version.pk}/").json()["lineage"] is None
