"""Personality applications on a real Celery worker with a tiny model: steering, system
prompt and persona LoRA each make a new version of the same registered model whose lineage
names the base version and the personality version, evaluated on the chosen probes with a
report and a chart; and the registry gate's evaluation runs there too."""

import time

import pytest

from apps.personalities import evaluations
from apps.personalities.models import Personality, PersonalityApplication, PersonalityEvaluation
from apps.registry import storage as registry_storage
from apps.registry.models import ModelVersion
from ml.sou import read_sou

from .factories import tiny_model_version

pytestmark = [pytest.mark.slow, pytest.mark.worker]
URL = "/api/v1/personality-applications/"


def _settled(model, pk: int, timeout: float = 600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.status in ("ready", "failed"):
            return row
        time.sleep(0.5)
    raise AssertionError(f"{model.__name__} {pk} still {row.status} after {timeout} s")


def _apply(client, version, method: str, **options) -> dict:
    cheerful = Personality.objects.get(owner=None, archetype="cheerful enthusiast")
    response = client.post(URL, {"model_version_id": version.pk, "personality_id": cheerful.pk, "method": method,
                                 "options": {"probes": 3, "max_tokens": 8, **options}}, format="json")
    assert response.status_code == 201, response.json()
    _settled(PersonalityApplication, response.json()["id"])
    return client.get(f"{URL}{response.json()['id']}/").json()


def _lineage(client, application: dict) -> dict:
    return client.get(f"/api/v1/model-versions/{application['result_version']}/lineage/").json()


def test_steering_makes_a_steered_version_and_its_evaluation_report(celery_worker_process, make_user,
                                                                   api_client_for):
    # given
    user = make_user()
    client = api_client_for(user)
    base = tiny_model_version(user)
    # when
    application = _apply(client, base, "steering", contrast="answer", layers=[1])
    # then
    assert application["status"] == "ready", application["error"]
    assert application["result_version_label"] == "tiny:1.1.0"
    lineage = _lineage(client, application)
    assert lineage["base_version"] == base.pk and lineage["personality_name"] == "Cheerful Enthusiast"
    result = ModelVersion.objects.get(pk=application["result_version"])
    with read_sou(registry_storage.canonical_sou(user.pk, result.pk)) as sou:
        assert sorted(sou.steering_vectors()) == [1]
    report = client.get(f"{URL}{application['id']}/report/").json()
    assert report["served"] == "steering" and report["probes"] == 3
    assert set(report["conditions"]) == {"none", "system_prompt", "steering"}
    assert set(report["deltas"]["steering"]) == {"alignment", "vader_compound", "perplexity_ratio"}
    asked = [evaluations.probe_set()[i] for i in application["options"]["probe_ids"]]
    assert report["probe_ids"] == application["options"]["probe_ids"]
    assert [(a["category"], a["prompt"]) for a in report["answers"]] == [(p.category, p.prompt) for p in asked]
    assert all(isinstance(answer[condition], str) for answer in report["answers"] for condition in report["conditions"])
    chart = client.get(f"{URL}{application['id']}/chart/")
    assert chart.status_code == 200 and b"".join(chart.streaming_content).startswith(b"\x89PNG")


def test_a_system_prompt_application_carries_the_prompt_and_sampling_defaults(celery_worker_process, make_user,
                                                                             api_client_for):
    # given
    user = make_user()
    client = api_client_for(user)
    base = tiny_model_version(user)
    # when
    application = _apply(client, base, "prompt")
    # then
    assert application["status"] == "ready", application["error"]
    result = ModelVersion.objects.get(pk=application["result_version"])
    assert result.base_version_id == base.pk and result.source == "personality"
    with read_sou(registry_storage.canonical_sou(user.pk, result.pk)) as sou:
        assert sou.personality["system_prompt"].startswith("You are Cheerful Enthusiast")
        assert sou.generation["temperature"] == application["summary"]["generation_defaults"]["temperature"]
        assert not sou.steering_vectors()
    assert application["evaluation"]["served"] == "system_prompt"


def test_a_persona_lora_application_merges_a_distilled_lora(celery_worker_process, make_user, api_client_for):
    # given
    user = make_user()
    client = api_client_for(user)
    base = tiny_model_version(user)
    # when
    application = _apply(client, base, "lora", steps=2, rank=2, answer_tokens=8)
    # then
    assert application["status"] == "ready", application["error"]
    assert application["summary"]["steps"] == 2 and application["summary"]["pairs"] > 0
    with read_sou(registry_storage.canonical_sou(user.pk, application["result_version"])) as sou:
        assert sou.personality["method"] == "persona LoRA (context distillation)"
    report = client.get(f"{URL}{application['id']}/report/").json()
    assert report["served"] == "lora" and "lora" in report["conditions"]


def test_the_gate_evaluation_runs_on_the_worker_and_then_decides(celery_worker_process, make_user, api_client_for):
    # given a model whose gate asks for an alignment no random model reaches
    user = make_user()
    client = api_client_for(user)
    version = tiny_model_version(user)
    cheerful = Personality.objects.get(owner=None, archetype="cheerful enthusiast")
    client.patch(f"/api/v1/models/{version.registered_model_id}/", {
        "target_personality_version_id": cheerful.current_version_id, "min_alignment": 0.99}, format="json")
    stage_url = f"/api/v1/model-versions/{version.pk}/stage/"
    # when
    first = client.post(stage_url, {"stage": "production"}, format="json")
    evaluation = _settled(PersonalityEvaluation, PersonalityEvaluation.objects.get(model_version=version).pk)
    second = client.post(stage_url, {"stage": "production"}, format="json")
    # then
    assert first.json()["error"]["code"] == "personality_evaluation_running"
    assert evaluation.status == "ready", evaluation.error
    assert second.status_code == 409 and second.json()["error"]["code"] == "personality_gate_failed"
    assert "below the minimum 0.990" in second.json()["error"]["message"]
