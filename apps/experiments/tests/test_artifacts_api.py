"""Artifacts: streamed multipart upload with sha256, names that try to escape refused,
downloads served as attachments that browsers will not sniff."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from .factories import make_artifact, make_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, run, content: bytes, **fields):
    data = {"file": SimpleUploadedFile("model.sou", content), **fields}
    return client.post(f"/api/v1/runs/{run.pk}/artifacts/", data, format="multipart")


def test_upload_records_sha256_and_size_and_downloads_safely(make_user, api_client_for):
    # given
    user = make_user()
    run = make_run(user)
    client = api_client_for(user)
    content = b"<html><script>alert(1)</script></html>" * 100
    # when
    uploaded = _upload(client, run, content, path="checkpoints//./best.html")
    artifact = uploaded.json()
    listed = client.get(f"/api/v1/runs/{run.pk}/artifacts/").json()["results"]
    download = client.get(f"/api/v1/runs/{run.pk}/artifacts/{artifact['id']}/download/")
    # then
    assert uploaded.status_code == 201
    assert artifact["path"] == "checkpoints/best.html"
    assert artifact["sha256"] == hashlib.sha256(content).hexdigest()
    assert artifact["size"] == len(content)
    assert [item["id"] for item in listed] == [artifact["id"]]
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="best.html"' in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    # and the bytes live under ids, not under the name the user chose
    stored = (
        Path(settings.MEDIA_ROOT) / "artifacts" / str(user.pk) / str(run.pk) / str(artifact["id"])
    )
    assert stored.read_bytes() == content


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a/../../b",
        "/etc/passwd",
        "C:/windows/x",
        "a\\..\\b",
        "bad\u0000name",
        "./",
        "",
    ],
)
def test_names_that_could_escape_are_refused(make_user, api_client_for, name):
    # given
    user = make_user()
    run = make_run(user)
    # when
    response = (
        _upload(api_client_for(user), run, b"x", path=name)
        if name
        else _upload(api_client_for(user), run, b"x", path=" ")
    )
    # then
    assert response.status_code == 400
    assert "path" in response.json()["error"]["fields"]
    assert not (Path(settings.MEDIA_ROOT) / "etc").exists()


def test_reupload_to_the_same_name_replaces_the_file(make_user, api_client_for):
    # given
    user = make_user()
    run = make_run(user)
    first = make_artifact(user, run, name="last.bin", content=b"one")
    client = api_client_for(user)
    # when
    second = _upload(client, run, b"two", path="last.bin").json()
    body = b"".join(
        client.get(f"/api/v1/runs/{run.pk}/artifacts/{first.pk}/download/").streaming_content
    )
    # then
    assert second["id"] == first.pk and second["sha256"] == hashlib.sha256(b"two").hexdigest()
    assert body == b"two"


def test_another_users_run_cannot_receive_or_serve_artifacts(make_user, api_client_for):
    # given
    owner, intruder = make_user(), make_user()
    run = make_run(owner)
    artifact = make_artifact(owner, run)
    client = api_client_for(intruder)
    # when
    upload = _upload(client, run, b"planted")
    download = client.get(f"/api/v1/runs/{run.pk}/artifacts/{artifact.pk}/download/")
    # then
    assert upload.status_code == 404 and download.status_code == 404
    assert list(run.artifacts.values_list("path", flat=True)) == ["weights.bin"]


def test_deleting_the_run_removes_its_files(
    make_user, api_client_for, django_capture_on_commit_callbacks
):
    # given
    user = make_user()
    run = make_run(user)
    make_artifact(user, run)
    folder = Path(settings.MEDIA_ROOT) / "artifacts" / str(user.pk) / str(run.pk)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(user).delete(f"/api/v1/runs/{run.pk}/")
    # then
    assert response.status_code == 204
    assert not folder.exists()
