"""The model registry: versions from a training run and from uploads, semantic versions,
stages with one production version and history, lineage both ways, quantized exports with
a quality report, and downloads."""

import pytest

from apps.registry import services
from apps.registry.models import ModelVersion

from .factories import ready_version, trained_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def test_a_training_run_becomes_a_ready_version_with_lineage_both_ways(owner, api_client_for):
    # given
    client = api_client_for(owner)
    run = trained_run(owner)
    # when
    created = client.post("/api/v1/model-versions/from-run/", {"training_run_id": run.pk, "name": "poet"}, format="json")
    version = services.model_version_import(version_id=created.json()["id"])
    # then
    assert created.status_code == 201 and created.json()["version"] == "1.0.0"
    assert version.status == "ready", version.error
    assert version.architecture["arch"] == "gpt2" and version.parameters > 0
    lineage = client.get(f"/api/v1/model-versions/{version.pk}/lineage/").json()
    assert lineage["training_run"] == run.pk and lineage["dataset_version"] == run.dataset_version_id
    # and it names them as the user knows them: the run, its experiment, the dataset's "v1"
    dataset_version = run.dataset_version
    assert (lineage["run_name"], lineage["experiment_name"]) == (run.run.name, run.run.experiment.name)
    assert (lineage["dataset_name"], lineage["dataset_version_number"]) == (dataset_version.dataset.name, 1)
    derived = client.get(f"/api/v1/dataset-versions/{run.dataset_version_id}/models/").json()
    assert [v["id"] for v in derived["results"]] == [version.pk]


def test_versions_auto_increment_semantically(owner, api_client_for):
    # given
    client = api_client_for(owner)
    run = trained_run(owner)
    body = {"training_run_id": run.pk, "name": "poet"}
    # when
    versions = [
        client.post("/api/v1/model-versions/from-run/", body, format="json").json()["version"],
        client.post("/api/v1/model-versions/from-run/", body, format="json").json()["version"],
        client.post("/api/v1/model-versions/from-run/", {**body, "bump": "patch"}, format="json").json()["version"],
        client.post("/api/v1/model-versions/from-run/", {**body, "bump": "major"}, format="json").json()["version"],
    ]
    # then
    assert versions == ["1.0.0", "1.1.0", "1.1.1", "2.0.0"]


def test_one_production_version_and_a_history_of_who_moved_what(owner, api_client_for):
    # given
    client = api_client_for(owner)
    run = trained_run(owner)
    first = ready_version(owner, training_run=run)
    second = ready_version(owner, training_run=run)
    # when
    client.post(f"/api/v1/model-versions/{first.pk}/stage/", {"stage": "production"}, format="json")
    client.post(f"/api/v1/model-versions/{second.pk}/stage/", {"stage": "production", "note": "better"}, format="json")
    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == ("archived", "production")
    history = client.get(f"/api/v1/model-versions/{first.pk}/stage/").json()
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [
        ("production", "archived"), ("development", "production"), ("", "development")
    ]
    assert history[0]["user"] == owner.email and "replaced by" in history[0]["note"]


def test_a_version_that_is_not_ready_cannot_go_to_production(owner, api_client_for):
    version = services.model_version_create_from_training_run(
        user=owner, training_run_id=trained_run(owner).pk, name="poet"
    )
    response = api_client_for(owner).post(
        f"/api/v1/model-versions/{version.pk}/stage/", {"stage": "production"}, format="json"
    )
    assert response.status_code == 400
    assert "only a ready version" in response.json()["error"]["fields"]["stage"][0]


def test_export_quantizes_and_reports_quality_against_f32(owner, api_client_for):
    # given
    client = api_client_for(owner)
    version = ready_version(owner)
    # when
    queued = client.post(f"/api/v1/model-versions/{version.pk}/exports/", {"qtypes": ["Q8_0", "F16"]}, format="json")
    exports = [services.model_export_run(export_id=e["id"]) for e in queued.json()]
    # then
    assert queued.status_code == 202
    by_type = {e.qtype: e for e in exports}
    assert all(e.status == "ready" for e in exports), [e.error for e in exports]
    q8 = by_type["Q8_0"].report
    assert q8["size_bytes"] < q8["f32_size_bytes"]
    assert abs(q8["perplexity_delta_pct"]) < 5 and q8["kl_divergence"] >= 0
    assert q8["top1_agreement"] > 0.9 and q8["tokens_per_s"] > 0
    download = client.get(f"/api/v1/model-exports/{by_type['Q8_0'].pk}/download/")
    assert download["Content-Disposition"].endswith('-Q8_0.sou"')
    assert download["X-Content-Type-Options"] == "nosniff"


def test_unknown_export_types_are_refused(owner, api_client_for):
    version = ready_version(owner)
    response = api_client_for(owner).post(f"/api/v1/model-versions/{version.pk}/exports/", {"qtypes": ["Q3_Z"]}, format="json")
    assert response.status_code == 400
    assert "choose from" in response.json()["error"]["fields"]["qtypes"][0]


def test_an_uploaded_sou_is_validated_and_a_corrupt_one_fails_with_the_reason(owner, api_client_for):
    # given
    client = api_client_for(owner)
    good = ready_version(owner)
    from apps.registry import storage

    sou_bytes = storage.canonical_sou(owner.pk, good.pk).read_bytes()

    def upload(data: bytes):
        response = client.post(
            "/api/v1/model-versions/upload/?name=uploaded&filename=model.sou", data=data,
            content_type="application/octet-stream",
        )
        assert response.status_code == 201, response.json()
        return services.model_version_import(version_id=response.json()["id"])

    # when
    fine = upload(sou_bytes)
    broken = upload(sou_bytes[:100] + b"\xff" * 64 + sou_bytes[164:])
    # then
    assert fine.status == "ready" and fine.sha256 == good.sha256
    assert broken.status == "failed" and "SouFormatError" in broken.error


def test_uploads_of_other_file_types_are_400(owner, api_client_for):
    response = api_client_for(owner).post(
        "/api/v1/model-versions/upload/?name=x&filename=model.pkl", data=b"\x80\x04",
        content_type="application/octet-stream",
    )
    assert response.status_code == 400
    assert ".gguf" in response.json()["error"]["fields"]["filename"][0]


def test_a_zip_of_a_hugging_face_directory_imports(owner, api_client_for, tmp_path):
    # given: our own model saved as a Hugging Face directory, zipped
    from apps.datasets.tests.factories import zip_of
    from apps.registry import storage
    from ml.sou.convert import export_hf_dir

    good = ready_version(owner)
    export_hf_dir(storage.canonical_sou(owner.pk, good.pk), tmp_path / "hf")
    archive = zip_of({f"poet/{p.name}": p.read_bytes() for p in (tmp_path / "hf").iterdir()})
    # when
    response = api_client_for(owner).post(
        "/api/v1/model-versions/upload/?name=from-hf&filename=poet.zip", data=archive,
        content_type="application/octet-stream",
    )
    version = services.model_version_import(version_id=response.json()["id"])
    # then
    assert version.status == "ready", version.error
    assert version.source == ModelVersion.Source.HF_UPLOAD


def test_another_users_training_run_cannot_be_registered(owner, make_user, api_client_for):
    run = trained_run(make_user())
    response = api_client_for(owner).post(
        "/api/v1/model-versions/from-run/", {"training_run_id": run.pk, "name": "stolen"}, format="json"
    )
    assert response.status_code == 404


def test_chat_resolves_model_names_to_files(owner):
    # given
    from apps.registry.selectors import model_resolve

    version = ready_version(owner, name="poet")
    services.model_export_run(export_id=services.model_export_create(user=owner, version_id=version.pk, qtypes=["Q8_0"])[0].pk)
    # when / then
    assert model_resolve(user=owner, name="poet")[1].endswith("/exports/Q8_0.sou")
    assert model_resolve(user=owner, name="poet:1.0.0:F32")[1].endswith("/model.sou")
    with pytest.raises(Exception, match="no ready model"):
        model_resolve(user=owner, name="nobody")


def test_the_model_list_shows_the_most_recently_updated_first(owner, api_client_for):
    # given three models, the first of them touched last
    from apps.registry.models import RegisteredModel

    first, second, third = (RegisteredModel.objects.create(owner=owner, name=name)
                            for name in ("alpha", "beta", "gamma"))
    first.save()  # updated_at moves to now
    # when
    listed = api_client_for(owner).get("/api/v1/models/").json()
    # then the order is stable across pages: newest change first
    names = [m["name"] for m in listed["results"]]
    assert names == ["alpha", "gamma", "beta"]
