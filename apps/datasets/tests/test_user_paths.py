"""Datasets and the server's filesystem: an upload is named by a plain file name (a path is
refused, never followed), record field names are only keys, and validation reports name
the user's own files, never where the server keeps them."""

import json

import pytest

from apps.datasets import services
from apps.datasets.models import DatasetVersion

from .factories import jsonl, zip_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return make_user()


@pytest.fixture
def client(owner, api_client_for):
    return api_client_for(owner)


def _dataset(client) -> int:
    return client.post("/api/v1/datasets/", {"name": "poems"}, format="json").json()["id"]


def _upload(client, dataset_id, data: bytes, **params):
    return client.post(
        f"/api/v1/datasets/{dataset_id}/versions/", data=data, QUERY_STRING=_query(params),
        content_type="application/octet-stream",
    )


def _query(params: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def _shown(client, version_id: int) -> str:
    """The version as the API shows it, as text."""
    services.dataset_version_validate(version_id=version_id)
    return json.dumps(client.get(f"/api/v1/dataset-versions/{version_id}/").json())


@pytest.mark.parametrize(
    "filename", ["../../etc/passwd.txt", "/etc/passwd", "..\\..\\x.txt", "inner/data.txt", ".hidden.txt"]
)
def test_an_upload_named_by_a_path_is_refused(client, filename, settings):
    # when a file is uploaded under a path-like name
    response = _upload(client, _dataset(client), b"some text\n", filename=filename)
    # then it is refused naming the field, and nothing is stored
    assert response.status_code == 400, response.json()
    assert "plain file name" in response.json()["error"]["fields"]["filename"][0]
    assert not DatasetVersion.objects.exists()


@pytest.mark.parametrize("field", ["text_column", "prompt_column", "response_column"])
def test_a_record_field_name_is_a_key_and_never_a_file(client, field):
    # given a record field named like a server file
    body = jsonl([{"title": "no text here"}])
    # when the upload is validated
    created = _upload(client, _dataset(client), body, filename="data.jsonl", **{field: "/etc/passwd"})
    shown = _shown(client, created.json()["id"])
    # then only the uploaded records were read: the name is looked up as a key
    assert created.status_code == 201
    assert "root:" not in shown
    assert json.loads(shown)["status"] == "invalid"


def test_a_validation_report_names_the_uploaded_file_not_its_server_path(client, settings):
    # given
    body = jsonl([{"text": "fine"}]) + b"{broken\n"
    # when
    created = _upload(client, _dataset(client), body, filename="bad.jsonl")
    shown = _shown(client, created.json()["id"])
    # then
    (error,) = json.loads(shown)["report"]["errors"]
    assert (error["file"], error["line"]) == ("bad.jsonl", 2)
    assert str(settings.MEDIA_ROOT) not in shown and "/var/" not in shown


def test_a_report_names_a_file_inside_a_zip_by_its_place_in_the_zip(client, settings):
    # given
    archive = zip_of({"inner/bad.jsonl": jsonl([{"text": "fine"}]) + b"{broken\n"})
    # when
    created = _upload(client, _dataset(client), archive, filename="archive.zip")
    shown = _shown(client, created.json()["id"])
    # then
    (error,) = json.loads(shown)["report"]["errors"]
    assert (error["file"], error["line"]) == ("archive.zip/inner/bad.jsonl", 2)
    assert str(settings.MEDIA_ROOT) not in shown and "/var/" not in shown


def test_an_unexpected_validation_failure_shows_no_server_path(client, settings, monkeypatch):
    # given a failure whose message carries the server's path of the file
    def fail(path, columns):
        raise OSError(f"[Errno 5] Input/output error: '{path}'")

    monkeypatch.setattr("ml.data.inspect_dataset", fail)
    # when
    created = _upload(client, _dataset(client), b"some text\n", filename="notes.txt")
    shown = _shown(client, created.json()["id"])
    # then
    (error,) = json.loads(shown)["report"]["errors"]
    assert error["message"] == "validation failed: OSError: [Errno 5] Input/output error: 'notes.txt'"
    assert str(settings.MEDIA_ROOT) not in shown and "/var/" not in shown


def test_a_validation_failure_shows_no_server_path_under_a_folder_with_a_space(client, settings,
                                                                                tmp_path, monkeypatch):
    # given a server whose media folder lies under a home directory with a space in it
    settings.MEDIA_ROOT = tmp_path / "John Smith" / "sloughgpt" / "var" / "media"

    def fail(path, columns):
        raise OSError(f"[Errno 5] Input/output error: '{path}'")

    monkeypatch.setattr("ml.data.inspect_dataset", fail)
    # when an upload's validation fails naming its server path
    created = _upload(client, _dataset(client), b"some text\n", filename="notes.txt")
    shown = _shown(client, created.json()["id"])
    # then the report names the user's file only
    (error,) = json.loads(shown)["report"]["errors"]
    assert error["message"] == "validation failed: OSError: [Errno 5] Input/output error: 'notes.txt'"
    assert "John Smith" not in shown
