"""Sweep API with two users: creating, refusing bad search spaces, objectives and datasets by
name, someone else's dataset, experiment or sweep as not found, and pause/resume/cancel."""

import pytest
from optuna.trial import TrialState

from apps.datasets.models import DatasetVersion
from apps.experiments.models import Experiment
from apps.sweeps import study as studies
from apps.sweeps.models import Sweep
from apps.training.tests.factories import tiny_config, valid_dataset_version
from ml.train.config import TrainConfig

from .factories import LR_SPACE, external_sweep, training_sweep

pytestmark = pytest.mark.django_db


def _body(version, **fields):
    return {"name": "lr search", "dataset_version_id": version.pk, "base_config": tiny_config(max_iters=20),
            "search_space": LR_SPACE, "max_trials": 4, "parallelism": 2, **fields}


def test_a_sweep_is_created_with_its_study_and_listed_only_to_its_owner(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    version = valid_dataset_version(owner)
    # when
    response = api_client_for(owner).post("/api/v1/sweeps/", _body(version, pruner="median"), format="json")
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["sampler"], body["pruner"], body["trial_count"]) == ("running", "tpe", "median", 0)
    sweep = Sweep.objects.get(pk=body["id"])
    assert studies.study_load(sweep).direction.name == "MINIMIZE"
    assert [s["id"] for s in api_client_for(owner).get("/api/v1/sweeps/").json()["results"]] == [sweep.pk]
    assert api_client_for(other).get("/api/v1/sweeps/").json()["results"] == []
    assert api_client_for(other).get(f"/api/v1/sweeps/{sweep.pk}/").status_code == 404
    assert api_client_for(other).post(f"/api/v1/sweeps/{sweep.pk}/cancel/").status_code == 404


def test_a_sweep_on_someone_elses_dataset_or_experiment_is_not_found(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    theirs = valid_dataset_version(other)
    their_experiment = Experiment.objects.create(owner=other, name="theirs")
    mine = valid_dataset_version(owner)
    client = api_client_for(owner)
    # when
    on_their_data = client.post("/api/v1/sweeps/", _body(theirs), format="json")
    in_their_experiment = client.post("/api/v1/sweeps/", _body(mine, experiment_id=their_experiment.pk),
                                      format="json")
    # then
    assert on_their_data.status_code == 404
    assert in_their_experiment.status_code == 404
    assert not Sweep.objects.exists()


@pytest.mark.parametrize("space, field, words", [
    ([], "search_space", "at least one parameter"),
    ([{"name": "optim.lr", "type": "float", "low": 0.1, "high": 0.01}], "search_space.optim.lr", "above high"),
    ([{"name": "optim.lr", "type": "float", "low": 0, "high": 0.1, "log": True}], "search_space.optim.lr",
     "log scale needs low above 0"),
    ([{"name": "train.out_dir", "type": "categorical", "choices": ["/tmp"]}], "search_space.train.out_dir",
     "not a training option"),
    ([{"name": "model.n_embd", "type": "categorical", "choices": [32, 32]}], "search_space.model.n_embd",
     "repeat"),
    ([{"name": "optim.warmup_iters", "type": "int", "low": 0, "high": 5, "when": {"optim.schedule": "cosine"}}],
     "search_space.optim.warmup_iters", "not an earlier categorical parameter"),
    ([{"name": "model.preset", "type": "categorical", "choices": ["nanogpt-char", "no-such-preset"]}],
     "search_space.model.preset", "unknown preset"),
])
def test_a_bad_search_space_is_refused_naming_the_option(make_user, api_client_for, space, field, words):
    # given
    user = make_user()
    version = valid_dataset_version(user)
    # when
    response = api_client_for(user).post("/api/v1/sweeps/", _body(version, search_space=space), format="json")
    # then
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    assert words in " ".join(fields[field])


def test_grid_search_over_a_float_without_a_step_is_refused(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_dataset_version(user)
    # when
    response = api_client_for(user).post("/api/v1/sweeps/", _body(version, sampler="grid"), format="json")
    # then
    assert response.status_code == 400
    assert "grid search needs finite values" in response.json()["error"]["fields"]["search_space.optim.lr"][0]


def test_a_grid_sweep_runs_no_more_trials_than_its_grid_holds(make_user):
    # given
    user = make_user()
    # when
    sweep = training_sweep(user, sampler="grid", max_trials=50, search_space=[
        {"name": "optim.lr", "type": "categorical", "choices": [1e-3, 1e-2]},
        {"name": "model.dropout", "type": "float", "low": 0.0, "high": 0.2, "step": 0.1}])
    # then
    assert sweep.max_trials == 6


def test_an_external_sweep_takes_no_dataset_or_training_config(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_dataset_version(user)
    space = [{"name": "lr", "type": "float", "low": 1e-4, "high": 1e-1}]
    client = api_client_for(user)
    # when
    refused = client.post("/api/v1/sweeps/", {"name": "x", "kind": "external", "dataset_version_id": version.pk,
                                              "search_space": space}, format="json")
    created = client.post("/api/v1/sweeps/", {"name": "x", "kind": "external", "search_space": space,
                                              "objective_metric": "accuracy", "direction": "maximize"},
                          format="json")
    # then
    assert refused.status_code == 400 and "kind" in refused.json()["error"]["fields"]
    assert created.status_code == 201
    assert created.json()["dataset_version"] is None


def test_pause_resume_and_cancel_answer_the_sweeps_state(make_user, api_client_for):
    # given
    user = make_user()
    sweep = external_sweep(user)
    client = api_client_for(user)
    url = f"/api/v1/sweeps/{sweep.pk}"
    # when / then
    assert client.post(f"{url}/pause/").json()["status"] == "paused"
    waiting = client.post(f"{url}/trials/next/").json()
    assert (waiting["trial"], waiting["sweep_status"], waiting["retry_after"] > 0) == (None, "paused", True)
    assert client.post(f"{url}/pause/").status_code == 409
    assert client.post(f"{url}/resume/").json()["status"] == "running"
    trial = client.post(f"{url}/trials/next/").json()["trial"]
    assert set(trial["params"]) == {"lr", "layers"}
    cancelled = client.post(f"{url}/cancel/").json()
    assert cancelled["status"] == "cancelled"
    assert client.get(f"{url}/trials/").json()[0]["state"] == "cancelled"
    assert client.post(f"{url}/resume/").status_code == 409
    frozen = studies.study_load(Sweep.objects.get(pk=sweep.pk)).trials[0]
    assert frozen.state == TrialState.FAIL


def test_a_sweep_on_a_dataset_version_not_yet_valid_is_refused(make_user, api_client_for):
    # given a version still validating
    user = make_user()
    version = valid_dataset_version(user)
    DatasetVersion.objects.filter(pk=version.pk).update(status=DatasetVersion.Status.VALIDATING)
    # when
    response = api_client_for(user).post("/api/v1/sweeps/", _body(version), format="json")
    # then
    assert response.status_code == 400
    assert "not valid" in response.json()["error"]["fields"]["dataset_version_id"][0]
    assert not Sweep.objects.exists()


@pytest.mark.parametrize("option", ["train.max_iters", "train.eval_interval"])
def test_a_pruned_sweep_may_not_search_the_steps_its_pruner_compares(make_user, api_client_for, option):
    # given
    user = make_user()
    version = valid_dataset_version(user)
    space = [*LR_SPACE, {"name": option, "type": "categorical", "choices": [10, 20]}]
    # when
    pruned = api_client_for(user).post("/api/v1/sweeps/", _body(version, search_space=space, pruner="median"),
                                       format="json")
    unpruned = api_client_for(user).post("/api/v1/sweeps/", _body(version, search_space=space), format="json")
    # then
    assert pruned.status_code == 400
    assert "same steps" in pruned.json()["error"]["fields"][f"search_space.{option}"][0]
    assert unpruned.status_code == 201


def test_hyperbands_budget_is_the_steps_each_trial_runs_even_when_left_to_the_default(make_user, api_client_for):
    # given a base config that leaves max_iters to the engine's default
    user = make_user()
    version = valid_dataset_version(user)
    base = tiny_config()
    del base["train"]["max_iters"]
    # when
    response = api_client_for(user).post("/api/v1/sweeps/", _body(version, base_config=base, pruner="hyperband"),
                                         format="json")
    # then the stored config says the steps, and Hyperband's budget is them
    assert response.status_code == 201, response.content
    steps = response.json()["base_config"]["train"]["max_iters"]
    assert steps == TrainConfig().train.max_iters
    assert studies.max_resource(Sweep.objects.get()) == steps


@pytest.mark.parametrize("metric, created", [("accuracy", False), ("val_los", False), ("perplexity", True),
                                             ("loss", True)])
def test_a_training_sweeps_objective_is_a_metric_training_logs(make_user, api_client_for, metric, created):
    # given
    user = make_user()
    version = valid_dataset_version(user)
    # when
    response = api_client_for(user).post("/api/v1/sweeps/", _body(version, objective_metric=metric), format="json")
    # then
    if created:
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert "val_loss, perplexity, loss" in response.json()["error"]["fields"]["objective_metric"][0]
