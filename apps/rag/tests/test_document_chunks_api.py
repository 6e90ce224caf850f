"""Reading a document at one place: a chunk's text with its neighbours' numbers, for the
owner and whoever may read the document, a 404 for anyone else and for a part it lacks."""

import pytest

pytestmark = pytest.mark.django_db
VECTOR = [1.0] + [0.0] * 383
TEXTS = ["Ada wrote the first program.", "Bluepeak Systems is headquartered in Lyon.", "Rain fell all week."]


def _chunk_url(document_id: int, index: int) -> str:
    return f"/api/v1/rag/documents/{document_id}/chunks/{index}/"


def test_a_chunk_reads_with_its_document_and_neighbours(make_user, api_client_for, make_collection,
                                                        make_ready_document):
    # given a document of three chunks
    user = make_user()
    collection = make_collection(user)
    document = make_ready_document(collection, "firms.txt", TEXTS, vectors=[VECTOR] * 3)
    client = api_client_for(user)
    # when its middle, first and last chunks are read
    middle = client.get(_chunk_url(document.pk, 1))
    first = client.get(_chunk_url(document.pk, 0)).json()
    last = client.get(_chunk_url(document.pk, 2)).json()
    # then each has its text and the way to the next and previous chunk, where there is one
    assert middle.status_code == 200
    assert middle.json() == {
        "document_id": document.pk,
        "document_name": "firms.txt",
        "collection_id": collection.pk,
        "chunk_count": 3,
        "index": 1,
        "text": "Bluepeak Systems is headquartered in Lyon.",
        "previous_index": 0,
        "next_index": 2,
    }
    assert (first["text"], first["previous_index"], first["next_index"]) == (TEXTS[0], None, 1)
    assert (last["text"], last["previous_index"], last["next_index"]) == (TEXTS[2], 1, None)


def test_a_part_the_document_lacks_is_a_404_naming_it(make_user, api_client_for, make_collection,
                                                      make_ready_document):
    # given a document of one chunk
    user = make_user()
    document = make_ready_document(make_collection(user), "notes.txt", TEXTS[:1], vectors=[VECTOR])
    # when a chunk past its end (and one past any integer column) is asked for
    past = api_client_for(user).get(_chunk_url(document.pk, 1))
    huge = api_client_for(user).get(_chunk_url(document.pk, 2**70))
    # then both are a 404, the first saying which part is missing
    assert past.status_code == 404
    assert past.json()["error"]["message"] == "notes.txt has no part 2."
    assert huge.status_code == 404


def test_another_users_document_is_not_found_and_its_text_not_shown(make_user, api_client_for, make_collection,
                                                                   make_ready_document):
    # given alice's document
    alice, bob = make_user(), make_user()
    document = make_ready_document(make_collection(alice), "alice-secret.txt", TEXTS[:1], vectors=[VECTOR])
    # when bob asks for its chunk
    response = api_client_for(bob).get(_chunk_url(document.pk, 0))
    # then it is a 404 that names neither the document nor its text
    assert response.status_code == 404
    assert "alice-secret" not in response.content.decode()
    assert TEXTS[0] not in response.content.decode()
