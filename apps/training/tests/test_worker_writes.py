"""A started run writes its own metrics, status and checkpoint artifacts whatever happens to
its creator's access meanwhile: access was checked when the run was queued (and again when
it starts), so a member made a viewer mid-run does not leave it half-logged or failed."""

from __future__ import annotations

import pytest

from apps.experiments.models import Experiment, MetricSeries
from apps.teams.models import Membership
from apps.teams.tests.factories import make_team
from apps.training import services

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db


def test_a_run_keeps_logging_after_its_creator_is_made_a_viewer_mid_run(make_user, settings, tmp_path,
                                                                       monkeypatch, api_client_for):
    # given a member's run in the team's experiment, and the member made a viewer once the
    # run has logged its first metrics
    settings.MEDIA_ROOT = tmp_path / "media"
    owner, member = make_user(), make_user()
    team = make_team(owner, (member, "member"))
    experiment = Experiment.objects.create(owner=owner, team=team, name="team runs")
    training_run = services.training_run_create(
        user=member, dataset_version_id=valid_dataset_version(member).pk, experiment_id=experiment.pk,
        config=tiny_config(max_iters=30))
    demoted_at: list[int] = []

    def demote_on_first_metrics(step: int, values: dict) -> bool:
        if not demoted_at:
            Membership.objects.filter(team=team, user=member).update(role="viewer")
            demoted_at.append(step)
        return False

    monkeypatch.setattr(services, "RUN_OBSERVERS", [lambda run: demote_on_first_metrics])
    # when
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="w1")
    # then the run finished with its later metrics and its checkpoints stored
    assert status == "finished"
    assert Membership.objects.get(team=team, user=member).role == "viewer"
    loss = MetricSeries.objects.get(run=training_run.run, key="loss")
    assert loss.max_step > demoted_at[0]
    run = api_client_for(owner).get(f"/api/v1/runs/{training_run.run_id}/").json()
    assert run["status"] == "finished"
    artifacts = api_client_for(owner).get(f"/api/v1/runs/{training_run.run_id}/artifacts/").json()
    paths = [a["path"] for a in (artifacts["results"] if isinstance(artifacts, dict) else artifacts)]
    assert "checkpoints/last/model.safetensors" in paths
