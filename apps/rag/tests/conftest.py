"""RAG test helpers: uploads land in a per-test media folder; factories for collections,
documents and chunks with chosen vectors."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_collection(db):
    from apps.rag.services import collection_create

    def make(user, name: str = "notes", **options):
        return collection_create(user=user, name=name, **options)

    return make


@pytest.fixture
def make_ready_document(db):
    """A ready document whose chunks have the given texts and vectors (embedded for real
    when vectors are not given)."""
    from apps.rag.models import Chunk, Document

    def make(collection, name: str, texts: list[str], vectors=None):
        if vectors is None:
            from ml.personality.embeddings import embed

            vectors = embed(texts)
        document = Document.objects.create(
            owner_id=collection.owner_id,
            collection=collection,
            name=name,
            format="txt",
            size_bytes=sum(map(len, texts)),
            sha256="0" * 64,
            text="\n\n".join(texts),
            status=Document.Status.READY,
            chunk_count=len(texts),
        )
        Chunk.objects.bulk_create(
            Chunk(
                owner_id=collection.owner_id,
                collection=collection,
                document=document,
                index=i,
                text=text,
                embedding=vector,
            )
            for i, (text, vector) in enumerate(zip(texts, vectors, strict=True))
        )
        return document

    return make


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` in Helvetica, with a correct cross-reference table."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>"
        ),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture(autouse=True)
def one_torch_thread():
    # Embedding a handful of short texts is fastest on one thread; more threads only
    # contend with the database and each other on a small CI machine.
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
