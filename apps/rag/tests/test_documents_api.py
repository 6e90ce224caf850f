"""Collections and document uploads through the REST API: files are stored under the
owner's folder and their text extracted per format; bad files get a 4xx naming the reason;
deleting removes the file and the chunks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.rag.models import Chunk, Document
from apps.rag.storage import document_path

from .conftest import minimal_pdf

pytestmark = pytest.mark.django_db
COLLECTIONS = "/api/v1/rag/collections/"


def _upload(client, collection_id, name, content: bytes):
    return client.post(
        f"{COLLECTIONS}{collection_id}/documents/",
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_collection_crud(make_user, api_client_for):
    # given
    client = api_client_for(make_user())
    # when
    created = client.post(COLLECTIONS, {"name": "Papers", "chunk_size": 100}, format="json")
    collection_id = created.json()["id"]
    renamed = client.patch(f"{COLLECTIONS}{collection_id}/", {"name": "Reading"}, format="json")
    listed = client.get(COLLECTIONS).json()["results"]
    deleted = client.delete(f"{COLLECTIONS}{collection_id}/")
    # then
    assert created.status_code == 201
    assert created.json() | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "name": "Papers",
        "description": "",
        "chunk_size": 100,
        "chunk_overlap": 32,
        "document_count": 0,
        "created_at": "",
        "updated_at": "",
        "access_role": "owner",
    }
    assert renamed.json()["name"] == "Reading"
    assert [c["name"] for c in listed] == ["Reading"]
    assert deleted.status_code == 204
    assert client.get(f"{COLLECTIONS}{collection_id}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "This field is required."),
        ({"name": "x", "chunk_size": 0}, "chunk_size", "greater than or equal to 1"),
        ({"name": "x", "chunk_size": 5000}, "chunk_size", "less than or equal to 400"),
        (
            {"name": "x", "chunk_size": 50, "chunk_overlap": 50},
            "chunk_overlap",
            "less than chunk_size",
        ),
        ({"name": "dup"}, "name", "You already have a collection named 'dup'."),
    ],
)
def test_bad_collection_fields_are_named(
    make_user, api_client_for, make_collection, body, field, message
):
    # given
    user = make_user()
    make_collection(user, name="dup")
    # when
    response = api_client_for(user).post(COLLECTIONS, body, format="json")
    # then
    assert response.status_code == 400
    assert any(message in m for m in response.json()["error"]["fields"][field])


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"\xef\xbb\xbfPlain notes about tea.", "Plain notes about tea."),
        ("README.md", b"# Title\n\nSome *markdown* text.", "# Title\n\nSome *markdown* text."),
        (
            "page.html",
            (
                b"<html><head><title>T</title><script>alert('x')</script><style>p{}</style>"
                b"</head><body><p>Caf&eacute; opens at nine.</p><div>Closed on Mondays.</div>"
                b"</body></html>"
            ),
            "Caf\u00e9 opens at nine.",
        ),
        (
            "report.pdf",
            minimal_pdf("Quarterly revenue grew by four percent."),
            "Quarterly revenue grew by four percent.",
        ),
    ],
)
def test_upload_stores_the_file_and_extracts_text(
    make_user, api_client_for, make_collection, media_root, name, content, expected
):
    # given
    user = make_user()
    collection = make_collection(user)
    # when
    response = _upload(api_client_for(user), collection.pk, name, content)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["status"] == "pending" and body["name"] == name and body["size_bytes"] == len(content)
    )
    document = Document.objects.get(pk=body["id"])
    assert expected in document.text
    assert "alert" not in document.text and "p{}" not in document.text
    path = document_path(owner_id=user.pk, document_id=document.pk, fmt=document.format)
    assert path.read_bytes() == content
    assert path.parent == (media_root / "documents" / str(user.pk)).resolve()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.md", b"  \n\n \t", "the file contains no text"),
        ("tool.exe", b"MZ\x90\x00", "unsupported file type (.exe)"),
        ("noext", b"hello", "unsupported file type (no extension)"),
        ("binary.txt", b"abc\x00def", "NUL byte at offset 3"),
        ("latin.txt", b"caf\xe9 au lait", "not UTF-8 text: invalid byte at offset 3"),
        ("fake.pdf", b"just text pretending", "not a PDF file"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "could not read the PDF"),
        ("scripts.html", b"<script>var x = 1;</script>", "the file contains no text"),
    ],
)
def test_bad_files_are_refused_with_the_reason(
    make_user, api_client_for, make_collection, media_root, name, content, reason
):
    # given
    user = make_user()
    collection = make_collection(user)
    # when
    response = _upload(api_client_for(user), collection.pk, name, content)
    # then
    assert response.status_code == 400
    messages = response.json()["error"]["fields"]["file"]
    assert any(reason in m for m in messages), messages
    assert not Document.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_missing_file_field_is_a_400(make_user, api_client_for, make_collection):
    user = make_user()
    collection = make_collection(user)
    response = api_client_for(user).post(
        f"{COLLECTIONS}{collection.pk}/documents/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_oversize_upload_is_a_413(make_user, api_client_for, make_collection, settings, media_root):
    # given
    settings.RAG_MAX_UPLOAD_BYTES = 1000
    user = make_user()
    collection = make_collection(user)
    # when
    response = _upload(api_client_for(user), collection.pk, "big.txt", b"words " * 400)
    # then
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "file_too_large",
        "message": "the file is larger than the 1000-byte limit for documents",
    }
    assert not Document.objects.exists()


def test_document_list_get_and_delete_removes_file_and_chunks(
    make_user, api_client_for, make_collection, django_capture_on_commit_callbacks
):
    # given: an uploaded document with a chunk
    user = make_user()
    client = api_client_for(user)
    collection = make_collection(user, chunk_size=20, chunk_overlap=0)
    created = _upload(client, collection.pk, "a.txt", b"Alpha beta gamma. " * 20).json()
    document = Document.objects.get(pk=created["id"])
    Chunk.objects.create(
        owner=user,
        collection=collection,
        document=document,
        index=0,
        text="Alpha beta gamma.",
        embedding=[1.0] + [0.0] * 383,
    )
    path = document_path(owner_id=user.pk, document_id=document.pk, fmt="txt")
    # when
    listed = client.get(f"{COLLECTIONS}{collection.pk}/documents/").json()["results"]
    detail = client.get(f"/api/v1/rag/documents/{document.pk}/").json()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.delete(f"/api/v1/rag/documents/{document.pk}/")
    # then
    assert [d["id"] for d in listed] == [document.pk]
    assert detail["name"] == "a.txt" and detail["collection_id"] == collection.pk
    assert deleted.status_code == 204
    assert not path.exists()
    assert not Chunk.objects.exists()
    assert client.get(f"/api/v1/rag/documents/{document.pk}/").status_code == 404


def test_deleting_a_collection_removes_its_files(
    make_user, make_collection, django_capture_on_commit_callbacks, api_client_for
):
    # given
    from apps.rag.services import document_upload

    user = make_user()
    collection = make_collection(user)
    document = document_upload(
        user=user, collection_id=collection.pk, uploaded=SimpleUploadedFile("n.md", b"Some notes.")
    )
    path = document_path(owner_id=user.pk, document_id=document.pk, fmt="md")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(user).delete(f"{COLLECTIONS}{collection.pk}/")
    # then
    assert response.status_code == 204
    assert not Document.objects.exists()
    assert not path.exists()
