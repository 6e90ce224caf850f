"""Model files kept in S3 (a real moto server): a trained run's checkpoint, the version's
`.sou` and its exports go to the bucket; a worker with none of them on its disk registers,
exports and serves from the bucket; a download is a redirect to a short-lived link; an
upload the bucket breaks off leaves nothing; a stored file that arrives damaged is fetched
once more and then fails the import naming the file; a worker reads a checkpoint and an
export's model through its bounded cache, and keeps them there while it reads them."""

from __future__ import annotations

import hashlib
import io
import urllib.request

import pytest
from botocore.exceptions import ClientError

import ml.sou.convert
from apps.core import file_cache
from apps.core import storage as core_storage
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.registry import services
from apps.registry.models import ModelVersion
from apps.registry.selectors import version_sou_path

from .factories import ready_version, trained_run

# Committed transactions: training on S3 stores checkpoints (and charges them) from a thread
# with a database connection of its own.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner(make_user, settings, tmp_path, s3_storage):
    settings.MEDIA_ROOT = tmp_path / "trainer" / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "trainer" / "cache")
    return make_user()


def _another_host(settings, tmp_path, name: str) -> None:
    """This process now stands for a host with an empty disk of its own."""
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")


def _files(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_version_is_made_exported_and_served_from_the_bucket_by_hosts_without_its_files(
        owner, s3_storage, settings, tmp_path, api_client_for):
    # given a version trained and imported on one host
    version = ready_version(owner)
    # when another host exports it and a third serves it
    _another_host(settings, tmp_path, "exporter")
    export = services.model_export_run(export_id=services.model_export_create(
        user=owner, version_id=version.pk, qtypes=["Q8_0"])[0].pk)
    _another_host(settings, tmp_path, "server")
    served = version_sou_path(version, "Q8_0")
    # then each read the bucket: the export is stored there, and the server's copy is its own
    assert export.status == "ready", export.error
    keys = s3_storage.keys()
    assert {f"registry/{owner.pk}/{version.pk}/model.sou", f"registry/{owner.pk}/{version.pk}/exports/Q8_0.sou"} <= set(keys)
    assert any(key.startswith(f"training/{owner.pk}/{version.training_run_id}/best/") for key in keys)
    assert served.is_relative_to(tmp_path / "server" / "cache")
    assert hashlib.sha256(served.read_bytes()).hexdigest() == export.sha256
    assert _files(tmp_path / "exporter" / "media") == [] and _files(tmp_path / "server" / "media") == []
    # and the quota counts what the bucket holds for the model
    stored = sum(s3_storage.server.client().head_object(Bucket=s3_storage.name, Key=key)["ContentLength"]
                 for key in keys if key.startswith(f"registry/{owner.pk}/{version.pk}/"))
    assert storage_used(account_for_user(owner)) >= stored > 0
    # when the export is downloaded
    download = api_client_for(owner).get(f"/api/v1/model-exports/{export.pk}/download/")
    # then it is a redirect to a link that serves the file
    assert download.status_code == 302
    with urllib.request.urlopen(download["Location"]) as link:  # noqa: S310 (the test's moto server)
        assert hashlib.sha256(link.read()).hexdigest() == export.sha256


class _FailingParts:
    """Makes the bucket answer the second part of every multipart upload with an error."""

    def __init__(self):
        self.parts = 0

    def __call__(self, **kwargs):
        self.parts += 1
        if self.parts == 2:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "We encountered an internal error"}},
                              "UploadPart")


def test_a_model_upload_the_bucket_breaks_off_leaves_no_object_no_version_and_no_charge(
        owner, s3_storage, settings):
    # given uploads go up in 5 MiB parts, and a bucket that fails the second part
    settings.SLOUGHGPT_S3_MULTIPART_BYTES = 5 * 1024 * 1024
    failing = _FailingParts()
    core_storage.backend().connection.meta.client.meta.events.register("before-call.s3.UploadPart", failing)
    body = b"GGUF" + b"\0" * (12 * 1024 * 1024)
    # when
    with pytest.raises(ClientError, match="internal error"):
        services.model_version_upload(user=owner, filename="model.gguf", stream=io.BytesIO(body),
                                      content_length=len(body), name="uploaded")
    # then
    assert failing.parts == 2
    assert s3_storage.keys() == [] and s3_storage.multipart_uploads() == []
    assert not ModelVersion.objects.exists()
    assert storage_used(account_for_user(owner)) == 0


def test_an_upload_that_arrives_damaged_is_fetched_once_more_then_fails_the_import_naming_it(
        owner, s3_storage, settings, tmp_path, monkeypatch):
    # given an uploaded .sou whose stored object no longer matches what was received
    version = ready_version(owner)
    sou = core_storage.open_blob(f"registry/{owner.pk}/{version.pk}/model.sou").read()
    uploaded = services.model_version_upload(user=owner, filename="model.sou", stream=io.BytesIO(sou),
                                             content_length=len(sou), name="uploaded")
    key = f"registry/{owner.pk}/{uploaded.pk}/source/upload.sou"
    core_storage.put_bytes(key, sou[:-8] + b"damaged!")
    opened, downloads = core_storage.open_blob, []
    monkeypatch.setattr(core_storage, "open_blob", lambda k: downloads.append(k) or opened(k))
    _another_host(settings, tmp_path, "importer")
    # when
    imported = services.model_version_import(version_id=uploaded.pk)
    # then it was fetched twice, and the version failed saying which file and why
    assert downloads.count(key) == 2
    assert imported.status == "failed"
    assert "upload.sou" in imported.error and "does not match its checksum" in imported.error
    assert str(tmp_path) not in imported.error


def test_an_export_keeps_its_model_file_while_another_task_fills_the_cache(
        owner, s3_storage, settings, tmp_path, monkeypatch):
    # given a version, and an exporting host whose cache has room for its model and little
    # more, where another task fetches a file as big while the export measures its quality
    version = ready_version(owner)
    _another_host(settings, tmp_path, "exporter")
    settings.SLOUGHGPT_WORKER_CACHE_BYTES = version.size_bytes + 1000
    other_key, other_sha256, _ = core_storage.store_blob(io.BytesIO(b"o" * version.size_bytes))
    measure = services._quality_report

    def measure_while_another_task_fetches(canonical, quantized, measured_version):
        file_cache.fetch(other_key, other_sha256)
        return measure(canonical, quantized, measured_version)

    monkeypatch.setattr(services, "_quality_report", measure_while_another_task_fetches)
    # when
    export = services.model_export_run(export_id=services.model_export_create(
        user=owner, version_id=version.pk, qtypes=["Q8_0"])[0].pk)
    # then the export's model file stayed for it
    assert export.status == "ready", export.error
    assert export.sha256 and export.report["f32_size_bytes"] == version.size_bytes


def test_a_checkpoint_is_imported_from_the_workers_bounded_cache(owner, s3_storage, settings, tmp_path, monkeypatch):
    # given a trained run registered as a version, imported on a host with none of its files
    run = trained_run(owner)
    version = services.model_version_create_from_training_run(user=owner, training_run_id=run.pk, name="poet")
    _another_host(settings, tmp_path, "importer")
    read_from, import_model = [], ml.sou.convert.import_model
    monkeypatch.setattr(ml.sou.convert, "import_model",
                        lambda source, *args, **kwargs: read_from.append(source) or import_model(source, *args, **kwargs))
    # when
    imported = services.model_version_import(version_id=version.pk)
    # then the checkpoint was read from the worker's cache (bounded, its copies reused by
    # later tasks), and nothing of it was left on the host's disk outside the cache
    assert imported.status == "ready", imported.error
    assert read_from and read_from[0].is_relative_to(tmp_path / "importer" / "cache")
    assert _files(tmp_path / "importer" / "cache" / "entries")
    assert _files(tmp_path / "importer" / "cache" / "views") == []
    assert _files(tmp_path / "importer" / "media") == []
