"""Documents and the server's filesystem: a document's name is a display name (the stored
file is named by its id), a path in it is never followed, and an embedding failure tells
the owner what went wrong without the server's paths."""

import json

import pytest

from apps.rag import services
from apps.rag.models import Document

pytestmark = pytest.mark.django_db
COLLECTIONS = "/api/v1/rag/collections/"
BOUNDARY = "paths-boundary"


def _raw_upload(client, collection_id: int, filename: str, content: bytes):
    """A multipart upload whose file name is sent exactly as given, as a hostile client would."""
    body = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    return client.generic(
        "POST", f"{COLLECTIONS}{collection_id}/documents/", body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )


@pytest.mark.parametrize("filename", ["../../etc/passwd.txt", "/etc/passwd.txt"])
def test_a_document_named_by_a_path_is_stored_from_the_upload_never_read_from_the_path(
    make_user, api_client_for, make_collection, filename
):
    # given
    user = make_user()
    collection = make_collection(user)
    # when a document is uploaded under a path-like name
    response = _raw_upload(api_client_for(user), collection.pk, filename, b"my own notes")
    # then only its base name is kept, and its text is what was uploaded
    assert response.status_code == 201, response.json()
    document = Document.objects.get(pk=response.json()["id"])
    assert document.name == "passwd.txt"
    assert document.text == "my own notes"


@pytest.mark.parametrize("filename", ["../../x.txt", "inner/notes.txt", ".hidden.txt"])
def test_the_upload_service_refuses_a_path_as_a_document_name(make_user, make_collection, filename):
    # given a file object that kept a path in its name (a client other than the REST parser)
    class Uploaded:
        name = filename
        size = 5

        def chunks(self):
            yield b"notes"

    user = make_user()
    collection = make_collection(user)
    # when / then
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.document_upload(user=user, collection_id=collection.pk, uploaded=Uploaded())
    assert "plain file name" in str(refused.value.message_dict["file"])
    assert not Document.objects.exists()


def test_an_embedding_failure_shows_no_server_path(
    make_user, api_client_for, make_collection, media_root, monkeypatch
):
    # given a document whose embedding fails with an error naming a server file
    user = make_user()
    collection = make_collection(user)
    created = _raw_upload(api_client_for(user), collection.pk, "notes.txt", b"some notes")

    def fail(texts):
        raise OSError(f"[Errno 28] No space left on device: '{media_root}/cache/embeddings/model.bin'")

    monkeypatch.setattr("ml.personality.embeddings.embed", fail)
    # when the worker embeds it
    services.document_embed(document_id=created.json()["id"])
    shown = api_client_for(user).get(f"/api/v1/rag/documents/{created.json()['id']}/").json()
    # then the owner reads why, without where the server keeps its files
    assert shown["status"] == "failed"
    assert shown["error"] == "OSError: [Errno 28] No space left on device: 'model.bin'"
    assert str(media_root) not in json.dumps(shown)


def test_an_extraction_failure_shows_no_server_path(make_user, api_client_for, make_collection, monkeypatch):
    # given a PDF parser whose error names the stored file by its server path
    def fail(path):
        raise OSError(f"cannot map '{path}'")

    monkeypatch.setattr("pypdf.PdfReader", fail)
    user = make_user()
    # when a PDF is uploaded
    response = _raw_upload(api_client_for(user), make_collection(user).pk, "report.pdf", b"%PDF-1.4\n")
    # then the upload is refused saying why, naming the stored file only by its name
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["file"]
    assert message.startswith("report.pdf: could not read the PDF: cannot map '")
    assert "/" not in message.split("cannot map")[1]
