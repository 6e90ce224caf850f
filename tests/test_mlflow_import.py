"""`sloughgpt import mlflow PATH` against a real server: a file store written by MLflow's own
client comes in whole (experiments, runs, params, tags, every metric point, artifacts), and
importing it again adds nothing."""

from __future__ import annotations

import mlflow
import pytest

from apps.accounts.services import api_token_create
from apps.experiments.models import Artifact, Experiment, MetricPoint, Run
from ml.cli import main

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _mlruns(tmp_path, monkeypatch):
    """Two experiments, three runs (one deleted), written by MLflow's file store."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "mlruns"
    mlflow.set_tracking_uri(f"file:{root}")
    report = tmp_path / "report.txt"
    report.write_text("all good")
    mlflow.set_experiment("vision")
    with mlflow.start_run(run_name="resnet") as kept:
        mlflow.log_params({"lr": 0.01, "optim/name": "adam"})
        for step in range(30):
            mlflow.log_metrics({"loss": 3.0 - step * 0.1, "val/acc": step / 30}, step=step)
        mlflow.set_tag("team", "vision")
        mlflow.log_artifact(str(report), artifact_path="reports")
    with mlflow.start_run(run_name="abandoned") as deleted:
        mlflow.log_metric("loss", 9.0)
    mlflow.MlflowClient().delete_run(deleted.info.run_id)
    mlflow.set_experiment("text")
    with mlflow.start_run(run_name="gpt"):
        mlflow.log_metric("loss", 1.5, step=4)
    mlflow.set_tracking_uri("")
    return root, kept.info.run_id


def test_an_mlruns_folder_comes_in_whole_and_a_second_import_adds_nothing(
        live_server, make_user, monkeypatch, tmp_path, capsys):
    # given
    root, source_id = _mlruns(tmp_path, monkeypatch)
    user = make_user()
    monkeypatch.setenv("SLOUGHGPT_URL", live_server.url)
    monkeypatch.setenv("SLOUGHGPT_API_TOKEN", api_token_create(user=user, name="cli").secret)
    # when
    first = main(["import", "mlflow", str(root)])
    first_output = capsys.readouterr().out
    # then
    assert first == 0
    assert "2 runs imported, 0 already there; 61 metric points" in first_output
    assert sorted(Experiment.objects.filter(owner=user).values_list("name", flat=True)) == [
        "text", "vision"]
    run = Run.objects.get(owner=user, name="resnet")
    assert (run.experiment.name, run.status) == ("vision", "finished")
    assert run.params == {"lr": "0.01", "optim/name": "adam"}
    assert run.tags["team"] == "vision" and run.tags["mlflow.run_id"] == source_id
    assert {s.key: (s.count, s.last_step, s.last_value) for s in run.metric_series.all()} == {
        "loss": (30, 29, pytest.approx(0.1)), "val/acc": (30, 29, pytest.approx(29 / 30))}
    artifact = Artifact.objects.get(run=run)
    assert artifact.path == "reports/report.txt" and artifact.size == len("all good")
    assert not Run.objects.filter(owner=user, name="abandoned").exists()

    # when imported again
    second = main(["import", "mlflow", str(root)])
    # then nothing is added
    assert second == 0
    assert "0 runs imported, 2 already there" in capsys.readouterr().out
    assert Run.objects.filter(owner=user).count() == 2
    assert MetricPoint.objects.filter(series__run__owner=user).count() == 61
    assert Artifact.objects.filter(owner=user).count() == 1


def test_a_folder_that_is_not_a_file_store_is_refused_by_name(live_server, make_user,
                                                               monkeypatch, tmp_path, capsys):
    # given
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "meta.yaml").write_text("!!python/object/apply:os.system ['echo hi']")
    monkeypatch.setenv("SLOUGHGPT_URL", live_server.url)
    monkeypatch.setenv("SLOUGHGPT_API_TOKEN", api_token_create(user=make_user(), name="c").secret)
    # when
    code = main(["import", "mlflow", str(tmp_path)])
    # then
    assert code == 1
    assert "1/meta.yaml: not readable YAML" in capsys.readouterr().err


def test_a_run_an_interrupted_import_left_incomplete_is_imported_anew(
        live_server, make_user, monkeypatch, tmp_path, capsys):
    # given an import that stopped before marking one run complete
    from apps.experiments.services import run_update

    root, _ = _mlruns(tmp_path, monkeypatch)
    user = make_user()
    monkeypatch.setenv("SLOUGHGPT_URL", live_server.url)
    monkeypatch.setenv("SLOUGHGPT_API_TOKEN", api_token_create(user=user, name="cli").secret)
    assert main(["import", "mlflow", str(root)]) == 0
    interrupted = Run.objects.get(owner=user, name="resnet")
    run_update(user=user, run_id=interrupted.pk, tags={"mlflow.import": None})
    capsys.readouterr()
    # when
    code = main(["import", "mlflow", str(root)])
    # then the incomplete copy is replaced by a whole one, and nothing is doubled
    assert code == 0
    assert "1 runs imported, 1 already there" in capsys.readouterr().out
    assert not Run.objects.filter(pk=interrupted.pk).exists()
    assert Run.objects.get(owner=user, name="resnet").tags["mlflow.import"] == "complete"
    assert Run.objects.filter(owner=user).count() == 2
    assert MetricPoint.objects.filter(series__run__owner=user).count() == 61
