"""The registry and the server's filesystem: uploads, exports and evaluations take only
enumerated values and owned ids (a path is refused and never read), and a failed import,
export or evaluation tells the owner why without the server's paths."""

import io
import json

import pytest

from apps.chat.tests.factories import model_version
from apps.datasets import services as dataset_services
from apps.experiments.models import Run
from apps.registry import services
from apps.registry.evaluation import model_evaluation_run
from apps.registry.models import ModelExport, ModelVersion

pytestmark = pytest.mark.django_db
PATHS = ["../../etc/passwd", "/etc/passwd"]


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return make_user()


def _dataset_version(user):
    dataset = dataset_services.dataset_create(user=user, name="notes")
    data = b"Some text to evaluate on.\n" * 4
    version, _ = dataset_services.dataset_version_upload(
        user=user, dataset_id=dataset.pk, stream=io.BytesIO(data), filename="notes.txt",
        content_length=len(data),
    )
    return dataset_services.dataset_version_validate(version_id=version.pk)


def _upload(client, filename: str, data: bytes = b"GGUF"):
    return client.post(
        "/api/v1/model-versions/upload/", data=data, QUERY_STRING=f"name=poet&filename={filename}",
        content_type="application/octet-stream",
    )


@pytest.mark.parametrize("filename", ["../../etc/passwd.gguf", "/etc/passwd.sou", "..%5Cmodel.zip"])
def test_an_upload_named_by_a_path_is_refused(owner, api_client_for, filename):
    # when
    response = _upload(api_client_for(owner), filename)
    # then
    assert response.status_code == 400
    assert "plain file name" in response.json()["error"]["fields"]["filename"][0]
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("qtype", PATHS)
def test_an_export_type_is_one_of_the_known_types(owner, api_client_for, qtype):
    # given
    version = model_version(owner)
    # when
    response = api_client_for(owner).post(
        f"/api/v1/model-versions/{version.pk}/exports/", {"qtypes": [qtype]}, format="json"
    )
    # then
    assert response.status_code == 400
    assert any(field.startswith("qtypes") for field in response.json()["error"]["fields"])
    assert not ModelExport.objects.exists()


@pytest.mark.parametrize("kind", PATHS)
def test_an_evaluation_kind_is_one_of_the_known_kinds(owner, api_client_for, kind):
    # given
    version = model_version(owner)
    # when
    response = api_client_for(owner).post(
        f"/api/v1/model-versions/{version.pk}/evaluations/",
        {"dataset_version_id": _dataset_version(owner).pk, "kind": kind}, format="json",
    )
    # then
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]
    assert not Run.objects.exists()


def test_an_evaluation_on_another_users_dataset_is_not_found(owner, make_user, api_client_for):
    # given
    version = model_version(owner)
    theirs = _dataset_version(make_user())
    # when
    response = api_client_for(owner).post(
        f"/api/v1/model-versions/{version.pk}/evaluations/",
        {"dataset_version_id": theirs.pk, "kind": "perplexity"}, format="json",
    )
    # then
    assert response.status_code == 404
    assert not Run.objects.exists()


@pytest.mark.parametrize("checkpoint", PATHS)
def test_a_checkpoint_to_register_is_best_or_last(owner, api_client_for, checkpoint):
    # when
    response = api_client_for(owner).post(
        "/api/v1/model-versions/from-run/",
        {"training_run_id": 1, "name": "poet", "checkpoint": checkpoint}, format="json",
    )
    # then
    assert response.status_code == 400
    assert "checkpoint" in response.json()["error"]["fields"]


def test_a_failed_import_and_export_show_no_server_path(owner, api_client_for, settings):
    # given an upload that is not a model, and a ready version whose file went missing
    client = api_client_for(owner)
    broken = services.model_version_import(version_id=_upload(client, "model.sou", b"\0" * 64).json()["id"])
    missing = model_version(owner, name="gone", write_file=False)
    (export,) = services.model_export_create(user=owner, version_id=missing.pk, qtypes=["Q8_0"])
    services.model_export_run(export_id=export.pk)
    # when the owner looks at them
    shown = [client.get(f"/api/v1/model-versions/{v.pk}/").json() for v in (broken, missing)]
    # then each says it failed and why, naming no server directory
    assert shown[0]["status"] == "failed" and shown[0]["error"]
    assert shown[1]["exports"][0]["status"] == "failed" and "model.sou" in shown[1]["exports"][0]["error"]
    assert str(settings.MEDIA_ROOT) not in json.dumps(shown) and "/var/" not in json.dumps(shown)


def test_a_failed_evaluation_shows_no_server_path(owner, api_client_for, settings):
    # given an evaluation of a version whose file went missing
    client = api_client_for(owner)
    version = model_version(owner, write_file=False)
    created = client.post(
        f"/api/v1/model-versions/{version.pk}/evaluations/",
        {"dataset_version_id": _dataset_version(owner).pk, "kind": "perplexity"}, format="json",
    ).json()
    # when it runs
    status = model_evaluation_run(run_id=created["run"])
    shown = client.get(f"/api/v1/runs/{created['run']}/").json()
    # then its notes say why, naming no server directory
    assert status == "failed" and "model.sou" in shown["notes"]
    assert str(settings.MEDIA_ROOT) not in json.dumps(shown) and "/var/" not in json.dumps(shown)
