"""/v1/chat/completions grounded in collections through the `sloughgpt` extension field:
the reply's sources come back as citations with the sentences the graph used; another
user's collection is a 404 and a bad field a 400, both in OpenAI's error shape."""

import pytest

from apps.accounts.services import api_token_create
from apps.chat import completions
from apps.chat.generation import completion_generate
from apps.chat.tests.factories import model_version

pytestmark = pytest.mark.django_db(transaction=True)  # /v1 reads from threads of its own
URL = "/v1/chat/completions"
QUESTION = "In which city is the company that Noah Keller works for headquartered?"


@pytest.fixture
def v1_client(api_client_for):
    def client_for(user):
        client = api_client_for()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='v1').secret}")
        return client

    return client_for


class _Inline:
    """The inference worker, run in the request's own start thread."""

    @staticmethod
    def delay(payload):
        completion_generate(payload=payload)


def _body(collection_ids, mode="hybrid+graph") -> dict:
    return {"model": "tiny", "max_tokens": 2, "messages": [{"role": "user", "content": QUESTION}],
            "sloughgpt": {"collections": collection_ids, "retrieval_mode": mode}}


def test_a_grounded_completion_cites_the_sentences_the_graph_used(
        make_user, make_collection, make_graph_document, v1_client, monkeypatch):
    # given
    monkeypatch.setattr(completions, "completion_inference_task", _Inline)
    user = make_user()
    model_version(user, name="tiny")
    collection = make_collection(user)
    make_graph_document(collection, "people.txt", ["Noah Keller works at Bluepeak Systems."])
    make_graph_document(collection, "firms.txt", ["Bluepeak Systems is headquartered in Lyon."])
    # when
    answer = v1_client(user).post(URL, _body([collection.pk]), format="json")
    # then
    assert answer.status_code == 200, answer.content
    citations = answer.json()["sloughgpt"]["citations"]
    cited = {c["document_name"]: [s["text"] for s in c.get("sentences", [])] for c in citations}
    assert cited["firms.txt"] == ["Bluepeak Systems is headquartered in Lyon."]
    assert "people.txt" in cited


def test_another_users_collection_is_a_404_and_a_bad_mode_a_400(
        make_user, make_collection, v1_client, monkeypatch):
    # given
    monkeypatch.setattr(completions, "completion_inference_task", _Inline)
    owner, other = make_user(), make_user()
    theirs = make_collection(owner)
    model_version(other, name="tiny", write_file=False)
    client = v1_client(other)
    # when
    foreign = client.post(URL, _body([theirs.pk]), format="json")
    bad = client.post(URL, _body([theirs.pk], mode="psychic"), format="json")
    # then
    assert foreign.status_code == 404
    assert foreign.json()["error"]["param"] == "sloughgpt.collections"
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "sloughgpt.retrieval_mode"
