"""Datasets through the API: streamed uploads, content addressing, validation reports with
file and line, safe zips, the storage quota, downloads and deletion."""

import hashlib

import pytest

from apps.datasets import services, storage
from apps.datasets.models import DatasetVersion
from apps.quotas.tests.factories import override

from .factories import jsonl, zip_of, zip_with_symlink

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _dataset(client) -> int:
    return client.post("/api/v1/datasets/", {"name": "poems"}, format="json").json()["id"]


def _upload(client, dataset_id, filename, data: bytes, **params):
    query = "&".join(f"{k}={v}" for k, v in {"filename": filename, **params}.items())
    return client.post(
        f"/api/v1/datasets/{dataset_id}/versions/?{query}", data=data,
        content_type="application/octet-stream",
    )


def _validated(version_id: int) -> DatasetVersion:
    return services.dataset_version_validate(version_id=version_id)


def test_upload_is_content_addressed_and_validated(client):
    # given
    body = b"To be, or not to be.\nThat is the question.\n"
    dataset_id = _dataset(client)
    # when
    response = _upload(client, dataset_id, "hamlet.txt", body)
    version = _validated(response.json()["id"])
    # then
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert response.json()["number"] == 1 and response.json()["status"] == "validating"
    assert version.status == "valid"
    assert version.report["characters"] > 0 and version.report["records"] >= 1
    assert "To be" in version.report["preview"][0]
    shown = client.get(f"/api/v1/dataset-versions/{version.pk}/").json()
    assert shown["status"] == "valid" and shown["report"]["estimated_tokens"] > 0


def test_the_same_content_twice_is_one_version_and_counted_once(client, owner):
    # given
    dataset_id = _dataset(client)
    _upload(client, dataset_id, "a.txt", b"same bytes\n")
    # when
    again = _upload(client, dataset_id, "b.txt", b"same bytes\n")
    other = _upload(client, dataset_id, "c.txt", b"other bytes\n")
    # then
    assert again.status_code == 200 and again.json()["number"] == 1
    assert other.status_code == 201 and other.json()["number"] == 2
    assert client.get("/api/v1/storage/").json()["used_bytes"] == len(b"same bytes\n") + len(b"other bytes\n")


def test_every_malformed_record_is_reported_with_file_and_line(client):
    # given
    body = jsonl([{"text": "fine"}]) + b"{not json\n" + jsonl([{"text": "also fine"}]) + b'{"text": 5}\n'
    # when
    version = _validated(_upload(client, _dataset(client), "data.jsonl", body).json()["id"])
    # then
    assert version.status == "invalid"
    lines = sorted(error["line"] for error in version.report["errors"])
    assert lines == [2, 4]
    assert all(error["file"].endswith("data.jsonl") for error in version.report["errors"])


def test_a_zip_of_text_files_is_extracted_and_validated(client):
    # given
    archive = zip_of({"a/one.txt": b"first file\n", "two.jsonl": jsonl([{"text": "second"}]), "skip.bin": b"\0"})
    # when
    version = _validated(_upload(client, _dataset(client), "corpus.zip", archive).json()["id"])
    # then
    assert version.status == "valid"
    assert version.report["records"] >= 2
    assert version.stored_bytes > version.size_bytes


@pytest.mark.parametrize(
    ("archive", "reason"),
    [
        (zip_of({"../escape.txt": b"x\n"}), "unsafe path"),
        (zip_of({"/etc/abs.txt": b"x\n"}), "unsafe path"),
        (zip_with_symlink("link.txt", "/etc/passwd"), "links are not allowed"),
        (zip_of({"only.bin": b"x"}), "the archive holds no"),
        (zip_of({"bomb.txt": b"0" * 5_000_000}), "compression ratio"),
        (b"PK\x03\x04 not really a zip", "not a valid zip"),
    ],
)
def test_unsafe_or_broken_archives_are_refused_with_the_reason(client, archive, reason, settings):
    # when
    version = _validated(_upload(client, _dataset(client), "bad.zip", archive).json()["id"])
    # then
    assert version.status == "invalid"
    assert reason in version.report["errors"][0]["message"]
    assert not (settings.MEDIA_ROOT / "escape.txt").exists()


@pytest.mark.parametrize(
    ("filename", "body", "field", "message"),
    [
        ("data.exe", b"x", "filename", "unsupported file type"),
        ("", b"x", "filename", "may not be blank"),
        ("empty.txt", b"", "body", "empty"),
    ],
)
def test_bad_uploads_are_400_naming_the_problem(client, filename, body, field, message):
    response = _upload(client, _dataset(client), filename, body)
    assert response.status_code == 400, response.json()
    assert any(message in m for m in response.json()["error"]["fields"][field])


def test_quota_is_enforced_and_deletion_frees_it(client, owner):
    # given
    override(user=owner, storage_bytes=30)
    dataset_id = _dataset(client)
    first = _upload(client, dataset_id, "a.txt", b"x" * 20).json()
    # when
    refused = _upload(client, dataset_id, "b.txt", b"y" * 20)
    # then
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "storage_quota_exceeded"
    assert "quota is 30 bytes and 20 are used; this file needs 20 more" in refused.json()["error"]["message"]
    assert DatasetVersion.objects.count() == 1
    # when the first version is deleted
    client.delete(f"/api/v1/dataset-versions/{first['id']}/")
    # then
    assert client.get("/api/v1/storage/").json()["used_bytes"] == 0
    assert _upload(client, dataset_id, "b.txt", b"y" * 20).status_code == 201


def test_download_is_an_attachment_with_nosniff(client):
    # given
    body = b"<script>alert(1)</script>\n"
    version_id = _upload(client, _dataset(client), "page.txt", body).json()["id"]
    # when
    response = client.get(f"/api/v1/dataset-versions/{version_id}/download/")
    # then
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == body


def test_deleting_a_dataset_removes_its_files(client, settings):
    # given
    dataset_id = _dataset(client)
    version_id = _upload(client, dataset_id, "a.txt", b"words\n").json()["id"]
    stored = storage.version_dir(DatasetVersion.objects.get(pk=version_id).owner_id, version_id)
    assert stored.exists()
    # when
    with_commit = client.delete(f"/api/v1/datasets/{dataset_id}/")
    # then
    assert with_commit.status_code == 204
    assert client.get(f"/api/v1/datasets/{dataset_id}/").status_code == 404
