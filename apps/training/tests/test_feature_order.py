"""Training runs that validate on a dataset version of their own and order (a curriculum) or
weight their records by a feature materialized for their training version."""

import numpy as np
import pytest

import ml.train
from apps.pipelines import services as feature_services
from apps.pipelines.tests.factories import jsonl, materialization, valid_version
from apps.training import services
from apps.training.models import TrainingRun
from ml.data import read_scores

from .factories import TEXT, tiny_config

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"
LINES = [line for line in TEXT.splitlines() if line][:3]
# Lines of different lengths, so "chars" orders them.
RECORDS = [{"text": " ".join(LINES[: 1 + i % 3]) + f" ({i})"} for i in range(30)]


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _basic_features(user, version):
    done = materialization(user, version)
    assert feature_services.features_materialize(materialization_id=done.pk, execution_id="f") == "succeeded"


def _create(client, version, **extra):
    body = {"dataset_version_id": version.pk, "config": tiny_config(max_iters=4), **extra}
    return client.post(URL, body, format="json")


def test_ordering_by_a_feature_not_computed_for_the_version_is_400_naming_the_field(owner, api_client_for):
    # given a version whose basic features are computed, and one without any
    computed = valid_version(owner, jsonl(RECORDS))
    _basic_features(owner, computed)
    bare = valid_version(owner, jsonl(RECORDS), name="bare")
    client = api_client_for(owner)

    # when runs ask for a feature that is not there, not a number, or weights that go negative
    missing = _create(client, bare, curriculum={"feature": "chars"})
    personality = _create(client, computed, curriculum={"feature": "flesch_reading_ease", "order": "desc"})
    text_feature = _create(client, computed, weight_by={"feature": "language"})

    # then each is refused naming the field and what is computed
    for response, field in ((missing, "curriculum.feature"), (personality, "curriculum.feature"),
                            (text_feature, "weight_by.feature")):
        assert response.status_code == 400, response.json()
        message = response.json()["error"]["fields"][field][0]
        assert "is not a number feature computed for this dataset version" in message
    assert "chars" in personality.json()["error"]["fields"]["curriculum.feature"][0]
    assert TrainingRun.objects.count() == 0


def test_a_txt_version_cannot_be_ordered(owner, api_client_for):
    # given a plain-text version with its features computed
    version = valid_version(owner, TEXT.encode(), filename="hamlet.txt")
    _basic_features(owner, version)
    # when a run asks for a curriculum, then it is told why not
    response = _create(api_client_for(owner), version, curriculum={"feature": "chars"})
    assert response.status_code == 400
    assert ".jsonl or .csv" in response.json()["error"]["fields"]["curriculum.feature"][0]


def test_another_users_validation_version_is_not_found(owner, make_user, api_client_for):
    # given another user's version
    theirs = valid_version(make_user(), jsonl(RECORDS))
    # when named as the validation set, then it is not found
    response = _create(api_client_for(owner), valid_version(owner, jsonl(RECORDS)),
                       val_dataset_version_id=theirs.pk)
    assert response.status_code == 404


def test_a_run_trains_shortest_first_and_validates_on_its_validation_version(owner, api_client_for,
                                                                           monkeypatch):
    # given split parts (train and validation) with the training part's basic features computed
    train_part = valid_version(owner, jsonl(RECORDS), name="corpus train")
    val_part = valid_version(owner, jsonl(RECORDS[:8]), name="corpus validation")
    _basic_features(owner, train_part)
    seen = []
    real_train = ml.train.train
    monkeypatch.setattr(ml.train, "train", lambda config, callbacks: seen.append(config) or real_train(
        config, callbacks))

    # when a run orders by chars, validates on the other part, and executes
    created = _create(api_client_for(owner), train_part, val_dataset_version_id=val_part.pk,
                      curriculum={"feature": "chars"}, weight_by={"feature": "words"})
    assert created.status_code == 201, created.json()
    status = services.training_run_execute(training_run_id=created.json()["id"], execution_id="e")

    # then it shows its choices and trains to the end
    training_run = TrainingRun.objects.get(pk=created.json()["id"])
    assert status == "finished", training_run.error
    assert created.json()["val_dataset_version"] == val_part.pk
    assert created.json()["curriculum"] == {"feature": "chars", "order": "asc"}
    assert created.json()["weight_by"] == {"feature": "words"}
    assert training_run.best_val_loss is not None
    # and the engine read the validation part and each record's own length, in line order
    config = seen[0]
    assert config.data.val_path.endswith(f"/{val_part.pk}/data.jsonl")
    assert config.data.order == "asc"
    scores = read_scores(config.data.order_by)
    lengths = [scores.get("data.jsonl", line) for line in range(1, len(RECORDS) + 1)]
    assert lengths == [len(r["text"]) for r in RECORDS]
    assert not np.isnan(read_scores(config.data.weight_by).get("data.jsonl", 1))
