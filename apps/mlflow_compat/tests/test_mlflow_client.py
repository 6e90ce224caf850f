"""MLflow's own client (mlflow-skinny), unchanged, against the MLflow-compatible API served
by daphne: a script's experiment, run, params, stepped metrics, tags and artifacts arrive,
read back through MLflow and through /api/v1 as the portal reads them; another user's runs
are not found; bad requests answer MLflow's error JSON."""

from __future__ import annotations

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def as_user(server_url, token_for, monkeypatch):
    """Points MLflow at the server as `user` (their API token as MLFLOW_TRACKING_TOKEN)."""

    def use(user) -> str:
        token = token_for(user)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        mlflow.set_tracking_uri(server_url)
        return token

    yield use
    if mlflow.active_run():
        mlflow.end_run()


def _portal(server_url: str, token: str, path: str) -> dict:
    response = requests.get(f"{server_url}/api/v1/{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def _log_a_run(tmp_path, experiment: str = "mnist"):
    notes = tmp_path / "notes.txt"
    notes.write_text("converged after 5 steps")
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_params({"lr": 0.01, "layers": 4})
        for step in range(5):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
        mlflow.set_tag("team", "nlp")
        mlflow.log_artifact(str(notes), artifact_path="reports")
    return run.info.run_id


def test_a_script_logs_a_run_that_mlflow_and_the_portal_read_back(
        server_url, make_user, as_user, tmp_path):
    # given
    token = as_user(make_user())
    # when
    run_id = _log_a_run(tmp_path)
    # then MLflow reads it back
    found = mlflow.search_runs(experiment_names=["mnist"], output_format="list",
                               filter_string="metrics.loss < 0.5 and params.lr = '0.01'")
    assert [run.info.run_id for run in found] == [run_id]
    run = found[0]
    assert run.info.status == "FINISHED" and run.info.run_name == "baseline"
    assert run.data.params == {"lr": "0.01", "layers": "4"}
    assert run.data.metrics == {"loss": 0.2, "acc": 0.4}
    assert run.data.tags["team"] == "nlp"
    history = MlflowClient().get_metric_history(run_id, "loss")
    assert [(point.step, point.value) for point in history] == [
        (step, 1.0 / (step + 1)) for step in range(5)]
    assert [item.path for item in MlflowClient().list_artifacts(run_id)] == ["reports"]
    downloaded = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="reports",
                                                     dst_path=str(tmp_path / "down"))
    assert (tmp_path / "down" / "reports" / "notes.txt").read_text() == "converged after 5 steps"
    assert downloaded.endswith("reports")
    # and the portal's experiment pages show it
    experiment = _portal(server_url, token, "experiments/?name=mnist")["results"][0]
    assert experiment["run_count"] == 1
    portal_run = _portal(server_url, token, f"experiments/{experiment['id']}/runs/")["results"][0]
    assert (portal_run["id"], portal_run["name"], portal_run["status"]) == (
        int(run_id), "baseline", "finished")
    assert portal_run["params"] == {"lr": "0.01", "layers": "4"}
    assert portal_run["metrics"]["loss"]["count"] == 5
    assert portal_run["metrics"]["loss"]["last"] == 0.2
    assert portal_run["tags"]["team"] == "nlp"
    artifacts = _portal(server_url, token, f"runs/{run_id}/artifacts/")["results"]
    assert [artifact["path"] for artifact in artifacts] == ["reports/notes.txt"]


def test_another_users_runs_are_not_found_through_mlflow(
        server_url, make_user, as_user, tmp_path):
    # given
    as_user(make_user())
    run_id = _log_a_run(tmp_path, "private")
    experiment_id = MlflowClient().get_run(run_id).info.experiment_id
    artifact_url = (f"{server_url}/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}"
                    "/artifacts/reports/notes.txt")
    intruder = as_user(make_user())
    client = MlflowClient()
    # when / then
    for attempt in (lambda: client.get_run(run_id),
                    lambda: client.get_experiment(experiment_id),
                    lambda: client.log_metric(run_id, "loss", 9.0, step=9),
                    lambda: client.set_terminated(run_id, "KILLED")):
        with pytest.raises(MlflowException) as refused:
            attempt()
        assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_experiment_by_name("private") is None
    assert client.search_runs([experiment_id]) == []
    headers = {"Authorization": f"Bearer {intruder}"}
    for method in ("GET", "PUT"):
        response = requests.request(method, artifact_url, data=b"mine", headers=headers, timeout=30)
        assert response.status_code == 404
        assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_bad_requests_answer_mlflows_error_json(server_url, make_user, as_user, tmp_path):
    # given
    token = as_user(make_user())
    run_id = _log_a_run(tmp_path)
    api = f"{server_url}/api/2.0/mlflow"
    headers = {"Authorization": f"Bearer {token}"}
    cases = [
        ("POST", "runs/log-metric", {"run_id": run_id, "key": "loss", "value": 1, "colour": "red"},
         400, "INVALID_PARAMETER_VALUE", "colour"),
        ("GET", "runs/get?run_id=not-a-run", None, 404, "RESOURCE_DOES_NOT_EXIST", "not-a-run"),
        ("POST", "runs/log-metric", {"run_id": run_id, "key": "loss", "value": "high"},
         400, "INVALID_PARAMETER_VALUE", "value"),
        ("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "loss", "value": 1, "timestamp": 1, "step": "six"}]},
         400, "INVALID_PARAMETER_VALUE", "metrics[0].step"),
        ("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.5"},
         400, "INVALID_PARAMETER_VALUE", "lr"),
        ("POST", "runs/search", {"experiment_ids": ["1"], "filter": "metrics.loss <"},
         400, "INVALID_PARAMETER_VALUE", "filter"),
        ("POST", "no-such-endpoint", {}, 404, "ENDPOINT_NOT_FOUND", "no-such-endpoint"),
    ]
    for method, path, body, status, code, named in cases:
        # when
        response = requests.request(method, f"{api}/{path}", json=body, headers=headers,
                                    timeout=30)
        # then
        assert (response.status_code, response.json()["error_code"]) == (status, code), path
        assert named in response.json()["message"], response.json()
    # and a request without a token is refused in the same shape
    response = requests.get(f"{api}/runs/get", params={"run_id": run_id}, timeout=30)
    assert (response.status_code, response.json()["error_code"]) == (401, "UNAUTHENTICATED")
    # and a status MLflow has no code of its own for is the client's fault, not the server's
    response = requests.get(f"{api}/runs/get", params={"run_id": run_id}, timeout=30,
                            headers={**headers, "Accept": "application/xml"})
    assert (response.status_code, response.json()["error_code"]) == (406, "BAD_REQUEST")
    # and MLflow's client raises them as MlflowException with the code
    with pytest.raises(MlflowException) as refused:
        MlflowClient().log_param(run_id, "lr", 0.5)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    # and an artifact name that climbs out of the run is refused, never stored
    experiment_id = MlflowClient().get_run(run_id).info.experiment_id
    escape = (f"{server_url}/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}"
              "/artifacts/reports/%2e%2e/%2e%2e/x")
    response = requests.put(escape, data=b"x", headers=headers, timeout=30)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_nan_values_and_negative_steps_log_without_errors(server_url, make_user, as_user):
    # given a run of the user's
    token = as_user(make_user())
    client = MlflowClient()
    run_id = client.create_run(client.create_experiment("warmup")).info.run_id
    api = f"{server_url}/api/2.0/mlflow"
    headers = {"Authorization": f"Bearer {token}"}
    # when a batch logs a NaN loss beside a warm-up step -1, and log_metric an infinite one
    client.log_batch(run_id, metrics=[Metric("loss", float("nan"), 1000, 0),
                                      Metric("loss", 2.5, 1000, -1), Metric("loss", 1.5, 2000, 1)])
    client.log_metric(run_id, "loss", float("inf"), step=2)
    # then both succeed, and the history holds every finite point, step -1 first
    history = client.get_metric_history(run_id, "loss")
    assert [(point.step, point.value, point.timestamp) for point in history] == [
        (-1, 2.5, 1000), (1, 1.5, 2000)]
    assert client.get_run(run_id).data.metrics == {"loss": 1.5}
    # and paging one point at a time starts at the negative step
    pages, page_token = [], None
    while True:
        params = {"run_id": run_id, "metric_key": "loss", "max_results": 1,
                  **({"page_token": page_token} if page_token else {})}
        body = requests.get(f"{api}/metrics/get-history", params=params, headers=headers,
                            timeout=30).json()
        pages.append([point["step"] for point in body["metrics"]])
        page_token = body.get("next_page_token")
        if not page_token:
            break
    assert [page for page in pages if page] == [[-1], [1]]
    # and the caller is told how many values were left out
    response = requests.post(f"{api}/runs/log-batch", headers=headers, timeout=30, json={
        "run_id": run_id, "metrics": [
            {"key": "loss", "value": "NaN", "timestamp": 1, "step": 3},
            {"key": "loss", "value": "-Infinity", "timestamp": 1, "step": 4},
            {"key": "loss", "value": 1.0, "timestamp": 1, "step": 5}]})
    assert response.status_code == 200, response.text
    assert response.headers["X-SloughGPT-Skipped-Metrics"] == "2"
    # and the portal's chart shows the finite points, step -1 included
    series = _portal(server_url, token, f"runs/{run_id}/metrics/loss/")
    assert (series["steps"], series["values"]) == ([-1, 1, 5], [2.5, 1.5, 1.0])
