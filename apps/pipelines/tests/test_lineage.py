"""The lineage a recipe run's output carries, as the people who read it see it: only the
run's owner sees the records a step dropped (others, reading a shared output, see the
counts), a page of versions reads its lineage in a fixed number of queries, and deleting a
team recipe keeps the runs and lineage of the teammates who ran it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.datasets.models import DatasetVersion
from apps.pipelines.models import RecipeRunOutput
from apps.pipelines.services import recipe_run_execute
from apps.teams.tests.factories import make_team, share

from .factories import finished_run, jsonl, recipe, valid_version

pytestmark = pytest.mark.django_db

SECRET = "tiny secret"
RECORDS = [{"text": "A record long enough to be kept by the filter."}, {"text": SECRET}]
STEPS = [{"type": "length_filter", "min": 20}]


def _run_to_output(client, recipe_id: int, version_id: int) -> int:
    """Runs the recipe here (the worker's service) and answers the output version's id."""
    run = client.post(f"/api/v1/recipes/{recipe_id}/runs/", {"inputs": [version_id], "output_name": "kept"},
                      format="json").json()
    assert recipe_run_execute(run_id=run["id"], execution_id="test") == "succeeded"
    return client.get(f"/api/v1/recipe-runs/{run['id']}/").json()["outputs"][0]["dataset_version"]


def test_a_reader_of_a_shared_output_sees_the_counts_but_not_the_dropped_records(make_user, api_client_for):
    # given: an output version shared with a team whose member did not run it
    owner, reader = make_user(), make_user()
    version = valid_version(owner, jsonl(RECORDS))
    output_id = _run_to_output(api_client_for(owner), recipe(owner, steps=STEPS).pk, version.pk)
    output = DatasetVersion.objects.get(pk=output_id)
    share(output.dataset, make_team(owner, (reader, "member")))
    # when
    mine = api_client_for(owner).get(f"/api/v1/dataset-versions/{output_id}/")
    theirs = api_client_for(reader).get(f"/api/v1/dataset-versions/{output_id}/")
    listed = api_client_for(reader).get(f"/api/v1/datasets/{output.dataset_id}/versions/")
    # then
    assert mine.json()["lineage"]["report"][0]["examples"][0]["text"] == SECRET
    step = theirs.json()["lineage"]["report"][0]
    assert (step["type"], step["records_in"], step["records_out"]) == ("length_filter", 2, 1)
    assert sum(step["dropped"].values()) == 1
    assert "examples" not in step
    assert SECRET not in theirs.content.decode() and SECRET not in listed.content.decode()


def _versions_with_lineage(user, run, count: int) -> int:
    dataset = valid_version(user, jsonl(RECORDS), name="outputs").dataset
    for number in range(2, count + 2):
        made = DatasetVersion.objects.create(
            owner=user, dataset=dataset, number=number, filename="data.jsonl", format="jsonl", sha256=f"{number}",
            size_bytes=1, stored_bytes=1, status=DatasetVersion.Status.VALID, report={})
        RecipeRunOutput.objects.create(run=run, part=f"p{dataset.pk}-{number}", dataset_version=made, records=1)
    return dataset.pk


def test_listing_versions_reads_their_lineage_in_as_many_queries_for_many_as_for_one(make_user, api_client_for):
    # given: a dataset with one version a run made, another with six
    user = make_user()
    made = recipe(user)
    run = finished_run(user, made, valid_version(user, jsonl(RECORDS)))
    one, six = _versions_with_lineage(user, run, 1), _versions_with_lineage(user, run, 6)
    client = api_client_for(user)
    # when
    client.get(f"/api/v1/datasets/{one}/versions/")  # the first request also warms the caches
    counts = []
    for dataset_id in (one, six):
        with CaptureQueriesContext(connection) as queries:
            listed = client.get(f"/api/v1/datasets/{dataset_id}/versions/").json()
        counts.append(len(queries))
        assert all(v["lineage"]["run"] == run.pk for v in listed["results"] if v["number"] > 1)
    # then
    assert counts[0] == counts[1]


def test_deleting_a_team_recipe_keeps_the_runs_and_lineage_of_a_teammate_who_ran_it(make_user, api_client_for):
    # given: a teammate's run of the owner's team recipe, and its output
    owner, mate = make_user(), make_user()
    team = make_team(owner, (mate, "member"))
    made = recipe(owner, name="team cleanup", steps=STEPS)
    made.team = team
    made.save()
    mate_client = api_client_for(mate)
    output_id = _run_to_output(mate_client, made.pk, valid_version(mate, jsonl(RECORDS)).pk)
    run_id = DatasetVersion.objects.get(pk=output_id).recipe_outputs.get().run_id
    # when
    deleted = api_client_for(owner).delete(f"/api/v1/recipes/{made.pk}/")
    # then: the teammate's run still says what it ran, and so does its output's lineage
    assert deleted.status_code == 204
    run = mate_client.get(f"/api/v1/recipe-runs/{run_id}/").json()
    assert (run["recipe_name"], run["recipe_version"], run["steps"][0]["type"]) == ("team cleanup", 1, "length_filter")
    lineage = mate_client.get(f"/api/v1/dataset-versions/{output_id}/").json()["lineage"]
    assert (lineage["run"], lineage["recipe_name"], lineage["steps"][0]["min"]) == (run_id, "team cleanup", 20)
    assert lineage["report"][0]["records_out"] == 1
    again = mate_client.post(f"/api/v1/recipe-runs/{run_id}/rerun/")
    assert again.status_code == 409 and "deleted" in again.content.decode()
