"""Evaluating a model version on a dataset version: perplexity, and BLEU/chrF/ROUGE of
generated answers against reference responses, recorded as a tracked run's metrics."""

import io

import pytest

from apps.datasets import services as dataset_services
from apps.experiments.models import MetricSeries, Run
from apps.registry.evaluation import model_evaluation_run

from .factories import ready_version, trained_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _dataset_version(user, filename: str, body: str):
    dataset = dataset_services.dataset_create(user=user, name=filename)
    data = body.encode()
    version, _ = dataset_services.dataset_version_upload(
        user=user, dataset_id=dataset.pk, stream=io.BytesIO(data), filename=filename, content_length=len(data)
    )
    return dataset_services.dataset_version_validate(version_id=version.pk)


def _metrics(run_id: int) -> dict[str, float]:
    return dict(MetricSeries.objects.filter(run_id=run_id).values_list("key", "last_value"))


def test_perplexity_and_generation_scores_become_run_metrics(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # a context long enough for the chat template around each prompt
    version = ready_version(owner, training_run=trained_run(owner, block_size=128))
    text = _dataset_version(owner, "held-out.txt", "To be, or not to be, that is the question.\n" * 20)
    pairs = _dataset_version(
        owner, "qa.jsonl",
        "".join('{"prompt": "To be, or", "response": "not to be"}\n' for _ in range(3)),
    )
    # when
    perplexity = client.post(f"/api/v1/model-versions/{version.pk}/evaluations/",
                             {"dataset_version_id": text.pk, "kind": "perplexity"}, format="json")
    generation = client.post(f"/api/v1/model-versions/{version.pk}/evaluations/",
                             {"dataset_version_id": pairs.pk, "kind": "generation", "max_tokens": 8},
                             format="json")
    statuses = [model_evaluation_run(run_id=r.json()["run"]) for r in (perplexity, generation)]
    # then
    assert perplexity.status_code == 202 and statuses == ["finished", "finished"]
    ppl = _metrics(perplexity.json()["run"])
    assert ppl["perplexity"] > 1 and ppl["eval_tokens"] > 0
    scores = _metrics(generation.json()["run"])
    assert {"bleu", "chrf", "rouge1", "rougeL"} <= set(scores)
    assert all(0 <= scores[k] <= 100 for k in ("bleu", "chrf", "rouge1"))
    assert Run.objects.get(pk=generation.json()["run"]).experiment.name == "evaluations"


def test_chats_and_preferences_are_references_for_generation_scores(owner, api_client_for):
    # given chats (the last assistant turn is the reference) and a preference (its chosen reply)
    client = api_client_for(owner)
    version = ready_version(owner, training_run=trained_run(owner, block_size=128))
    chat = ('{"messages": [{"role": "user", "content": "To be"}, {"role": "assistant", "content": "or"}, '
            '{"role": "user", "content": "To be, or"}, {"role": "assistant", "content": "not to be"}]}\n')
    preference = '{"prompt": "To be, or", "chosen": "not to be", "rejected": "maybe"}\n'
    talk = _dataset_version(owner, "talk.jsonl", chat * 2 + preference)
    # when
    run = client.post(f"/api/v1/model-versions/{version.pk}/evaluations/",
                      {"dataset_version_id": talk.pk, "kind": "generation", "max_tokens": 8},
                      format="json").json()
    status = model_evaluation_run(run_id=run["run"])
    # then the model's answers are scored against them
    assert status == "finished", Run.objects.get(pk=run["run"]).notes
    assert {"bleu", "chrf", "rouge1", "rougeL"} <= set(_metrics(run["run"]))


def test_a_generation_evaluation_needs_reference_pairs(owner, api_client_for):
    # given
    version = ready_version(owner)
    text = _dataset_version(owner, "plain.txt", "no pairs here\n" * 10)
    run = api_client_for(owner).post(f"/api/v1/model-versions/{version.pk}/evaluations/",
                                     {"dataset_version_id": text.pk, "kind": "generation"}, format="json").json()
    # when
    status = model_evaluation_run(run_id=run["run"])
    # then
    assert status == "failed"
    assert "no prompt/response records" in Run.objects.get(pk=run["run"]).notes
