"""Deleting a run, an artifact or a dataset version is written to the audit log, for the
team that owns it to see."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.datasets.models import Dataset
from apps.experiments import services as experiment_services
from apps.experiments.models import Experiment
from apps.experiments.tests.factories import make_run
from apps.teams.models import AuditEvent
from apps.teams.tests.factories import make_team
from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db


def test_run_artifact_and_dataset_version_deletes_are_audited_for_the_owning_team(
        make_user, api_client_for, settings, tmp_path):
    # given a team-owned experiment with a run and its artifact, and a team-owned dataset
    settings.MEDIA_ROOT = tmp_path / "media"
    alice, admin = make_user(), make_user()
    team = make_team(alice, (admin, "admin"))
    run = make_run(alice)
    Experiment.objects.filter(pk=run.experiment_id).update(team=team)
    artifact = experiment_services.artifact_upload(user=alice, run_id=run.pk,
                                                   file=SimpleUploadedFile("notes.txt", b"hello"))
    version = valid_dataset_version(alice)
    Dataset.objects.filter(pk=version.dataset_id).update(team=team)
    client = api_client_for(admin)
    # when the team's admin deletes each
    answers = [client.delete(f"/api/v1/runs/{run.pk}/artifacts/{artifact.pk}/"),
               client.delete(f"/api/v1/runs/{run.pk}/"),
               client.delete(f"/api/v1/dataset-versions/{version.pk}/")]
    # then each is recorded, with the team, for its admins to see
    assert [answer.status_code for answer in answers] == [204, 204, 204]
    events = AuditEvent.objects.filter(actor=admin, team=team).order_by("id")
    assert [(e.action, e.target_id) for e in events] == [
        ("artifact.delete", artifact.pk), ("run.delete", run.pk), ("dataset_version.delete", version.pk)]
    listed = api_client_for(alice).get("/api/v1/audit/").json()["results"]
    assert {"artifact.delete", "run.delete", "dataset_version.delete"} <= {e["action"] for e in listed}
