"""A dataset version's report says what kinds of records it holds (text, prompt/response,
chat, preference), so the portal can show which fine-tuning methods it suits."""

import json

import pytest

from apps.training.tests.factories import valid_dataset_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def test_a_version_counts_its_records_by_kind(owner, api_client_for):
    # given records of three kinds in one file
    records = [{"prompt": "Hi?", "response": "Hello."}] * 3 + [
        {"messages": [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]},
        {"prompt": "Hi?", "chosen": "Hello.", "rejected": "Go away."},
    ]
    text = "".join(json.dumps(record) + "\n" for record in records)
    # when it is uploaded and validated
    version = valid_dataset_version(owner, text=text, filename="mixed.jsonl")
    # then its report counts each kind
    report = api_client_for(owner).get(f"/api/v1/dataset-versions/{version.pk}/").json()["report"]
    assert report["kinds"] == {"pair": 3, "chat": 1, "preference": 1}
    assert version.status == "valid"
