"""Training runs through the API and the service a worker calls: validation of engine
options, execution with metrics and checkpoints, cancel, resume and the execution lease."""

import json

import pytest
from django.core.cache import cache

from apps.core.leases import lease_take
from apps.experiments.models import Artifact, MetricSeries
from apps.training import services
from apps.training.models import TrainingRun

from .factories import TEXT, tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _create(client, version, config=None, **extra):
    body = {"dataset_version_id": version.pk, "config": config or tiny_config(), **extra}
    return client.post(URL, body, format="json")


def test_create_queues_a_tracked_run_with_its_params(owner, api_client_for):
    # given
    version = valid_dataset_version(owner)
    # when
    response = _create(api_client_for(owner), version, experiment_name="shakespeare")
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["max_steps"] == 30
    run = TrainingRun.objects.get(pk=body["id"]).run
    assert run.experiment.name == "shakespeare"
    assert run.params["optim.lr"] == 1e-3 and run.params["dataset_version"] == version.pk


@pytest.mark.parametrize(
    ("config", "field", "message"),
    [
        ({"model": {"preset": "gpt-9000"}}, "config.model.preset", "unknown preset"),
        ({"optim": {"lr": "fast"}}, "config", "optim.lr"),
        ({"optim": {"schedule": "zigzag"}}, "config", "not one of"),
        ({"train": {"out_dir": "/etc"}}, "config.train.out_dir", "not an option you can set"),
        ({"data": {"path": "/etc/passwd"}}, "config.data.path", "not an option you can set"),
        ({"colour": {}}, "config", "unknown config key 'colour'"),
        ({"lora": {"r": 4}}, "config.lora", "give base_model_version_id"),
    ],
)
def test_bad_engine_options_are_400_naming_the_field(owner, api_client_for, config, field, message):
    response = _create(api_client_for(owner), valid_dataset_version(owner), config=config)
    assert response.status_code == 400
    assert any(message in m for m in response.json()["error"]["fields"][field])


def test_an_invalid_dataset_version_cannot_be_trained_on(owner, api_client_for):
    version = valid_dataset_version(owner, text='{"broken json\n', filename="d.jsonl")
    response = _create(api_client_for(owner), version)
    assert response.status_code == 400
    assert "not valid" in response.json()["error"]["fields"]["dataset_version_id"][0]


def test_another_users_dataset_version_is_not_found(owner, make_user, api_client_for):
    version = valid_dataset_version(make_user())
    assert _create(api_client_for(owner), version).status_code == 404


def test_a_run_reads_the_columns_its_dataset_version_was_uploaded_with(owner, api_client_for):
    # given records whose text is in a "line" field, uploaded naming that column
    records = "".join(json.dumps({"line": line}) + "\n" for line in TEXT.splitlines())
    version = valid_dataset_version(owner, text=records, filename="lines.jsonl", text_column="line")
    assert version.status == "valid"
    # when a run is created without naming columns, and executed
    created = _create(api_client_for(owner), version, config=tiny_config(max_iters=2)).json()
    status = services.training_run_execute(training_run_id=created["id"], execution_id="c1")
    # then it trained on those records
    training_run = TrainingRun.objects.get(pk=created["id"])
    assert status == "finished", training_run.error
    assert training_run.config["data"]["text_column"] == "line"
    assert training_run.run.params["data.text_column"] == "line"


def test_execution_trains_records_metrics_and_keeps_checkpoints(owner):
    # given
    training_run = services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner).pk, config=tiny_config()
    )
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="t1")
    # then
    training_run.refresh_from_db()
    assert status == "finished" and training_run.status == "finished"
    assert training_run.step == 30 and training_run.best_val_loss is not None
    assert training_run.run.status == "finished"
    keys = set(MetricSeries.objects.filter(run=training_run.run).values_list("key", flat=True))
    assert {"loss", "val_loss", "lr", "tokens_per_s"} <= keys
    paths = set(Artifact.objects.filter(run=training_run.run).values_list("path", flat=True))
    assert "checkpoints/last/model.safetensors" in paths
    # and a redelivered task for the finished run does nothing
    assert services.training_run_execute(training_run_id=training_run.pk, execution_id="t2") == "finished"
    training_run.refresh_from_db()
    assert training_run.attempts == 1


def test_cancel_stops_within_a_step_and_resume_continues(owner, api_client_for):
    # given
    client = api_client_for(owner)
    created = _create(client, valid_dataset_version(owner), config=tiny_config(max_iters=20)).json()
    # when: cancelled while queued, then resumed and cancelled by the flag mid-run
    cancelled = client.post(f"{URL}{created['id']}/cancel/").json()
    resumed = client.post(f"{URL}{created['id']}/resume/", {}, format="json").json()
    cache.set(services._cancel_key(created["id"]), True)
    stopped = services.training_run_execute(training_run_id=created["id"], execution_id="a")
    # then
    assert cancelled["status"] == "cancelled" and resumed["status"] == "queued"
    assert stopped == "cancelled"
    training_run = TrainingRun.objects.get(pk=created["id"])
    assert training_run.step <= 1
    # when resumed for good
    client.post(f"{URL}{created['id']}/resume/", {}, format="json")
    final = services.training_run_execute(training_run_id=created["id"], execution_id="b")
    # then
    training_run.refresh_from_db()
    assert final == "finished" and training_run.step == 20 and training_run.attempts == 2


def test_a_live_lease_keeps_a_second_execution_out(owner):
    # given
    training_run = services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner).pk, config=tiny_config()
    )
    assert lease_take(TrainingRun, training_run.pk, "first", statuses=["queued"])
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="second")
    # then
    training_run.refresh_from_db()
    assert status == "queued" and training_run.attempts == 0
    assert training_run.lease_owner == "first"


def test_finished_runs_cannot_be_cancelled(owner, api_client_for):
    training_run = services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner).pk, config=tiny_config(max_iters=2)
    )
    services.training_run_execute(training_run_id=training_run.pk, execution_id="x")
    response = api_client_for(owner).post(f"{URL}{training_run.pk}/cancel/")
    assert response.status_code == 400
    assert "already finished" in response.json()["error"]["message"]


@pytest.mark.parametrize(("extra", "field"), [
    ({"nproc_per_node": 0}, "nproc_per_node"),
    ({"nproc_per_node": 9}, "nproc_per_node"),
    ({"nnodes": 5}, "nnodes"),
    ({"nnodes": "many"}, "nnodes"),
])
def test_processes_and_nodes_outside_the_servers_limits_are_400_naming_them(owner, api_client_for, extra, field):
    # given a server allowing at most 8 processes per node and 4 nodes (the defaults)
    version = valid_dataset_version(owner)
    # when a run asks for more, or for none
    response = _create(api_client_for(owner), version, **extra)
    # then it is refused naming the field, and nothing is queued
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not TrainingRun.objects.exists()


def test_a_run_asking_for_processes_and_nodes_shows_them(owner, api_client_for):
    # given
    version = valid_dataset_version(owner)
    # when
    response = _create(api_client_for(owner), version, nproc_per_node=2, nnodes=3)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["nproc_per_node"], body["nnodes"], body["node_status"]) == (2, 3, {})
    run = TrainingRun.objects.get(pk=body["id"]).run
    assert (run.params["nproc_per_node"], run.params["nnodes"]) == (2, 3)


def test_more_processes_than_the_workers_cores_fail_the_run_saying_so(owner, monkeypatch, settings):
    # given a run asking for 4 processes per node, taken by a worker with 2 CPU cores
    from apps.training import launch

    monkeypatch.setattr(launch.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(launch.torch.cuda, "is_available", lambda: False)
    training_run = services.training_run_create(user=owner, dataset_version_id=valid_dataset_version(owner).pk,
                                                config=tiny_config(), nproc_per_node=4)
    # when it executes
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="w1")
    # then it failed at once, telling what the worker has
    training_run.refresh_from_db()
    assert status == "failed"
    assert "nproc_per_node is 4, more than the 2 CPU cores of the worker" in training_run.error
    assert training_run.node_status == {}
