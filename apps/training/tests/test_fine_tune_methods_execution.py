"""Fine-tunes beyond plain LoRA run to the end on a tiny version: LoRA over a packed (Q8_0,
Q4_0) base, and DPO with and without adapters; a qlora result registers as a version whose
merged file loads and answers."""

import json

import pytest
import torch

from apps.chat.tests.factories import model_version
from apps.registry import services as registry_services
from apps.registry import storage
from apps.training import services
from apps.training.models import TrainingRun
from ml.infer.engine import Engine
from ml.sou import read_sou
from ml.train.checkpoint import load_checkpoint
from ml.train.packed import sou_model

from .test_fine_tune import PREFERENCES, URL, _create, fine_tune_config, pairs_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _executed(client, dataset_version, base, method, config) -> TrainingRun:
    created = _create(client, dataset_version, base, method=method, config=config)
    assert created.status_code == 201, created.json()
    status = services.training_run_execute(training_run_id=created.json()["id"], execution_id="x1")
    training_run = TrainingRun.objects.get(pk=created.json()["id"])
    assert status == "finished", training_run.error
    return training_run


@pytest.mark.parametrize("base_type", ["Q8_0", "Q4_0"])
def test_a_qlora_run_finishes_and_its_result_is_a_merged_version_that_answers(owner, api_client_for, base_type):
    # given a ready version (64 wide: Q4_0 and Q8_0 pack 32-wide blocks) and instruction pairs
    base = model_version(owner, name="tiny")
    client = api_client_for(owner)
    # when a LoRA run over its packed weights executes
    training_run = _executed(client, pairs_version(owner), base, "qlora",
                             fine_tune_config(max_iters=3, lora={"r": 2, "base_type": base_type}))
    # then it trained to its last step
    assert training_run.step == 3 and training_run.config["lora"]["base_type"] == base_type
    # and its result registers as a version whose file holds the merged float model
    created = client.post("/api/v1/model-versions/from-run/", {"training_run_id": training_run.pk, "name": "q"},
                          format="json").json()
    version = registry_services.model_version_import(version_id=created["id"])
    assert version.status == "ready", version.error
    canonical = storage.canonical_sou(owner.pk, version.pk)
    with read_sou(canonical) as sou:
        assert not any("lora" in info.name for info in sou.tensor_infos)
        assert {info.type_name for info in sou.tensor_infos} == {"F32"}
    # and it predicts what the run trained: the packed base with its adapters on top
    trained, _, _ = load_checkpoint(training_run.best_checkpoint or training_run.last_checkpoint, merge_lora=False)
    merged, _ = sou_model(canonical)
    ids = torch.tensor([[1, 5, 9, 14, 3]])
    original, _ = sou_model(storage.canonical_sou(owner.pk, base.pk))
    with torch.no_grad():
        assert torch.allclose(merged.eval()(ids), trained.eval()(ids), atol=1e-4)
        assert not torch.allclose(merged(ids), original.eval()(ids), atol=1e-4)
    # and that model loads and answers a prompt
    reply = Engine.load(canonical, "cpu").complete("Say sea.", max_tokens=4)
    assert reply.strip()


@pytest.mark.parametrize("lora", [None, {"r": 2}])
def test_a_dpo_run_finishes_with_and_without_adapters(owner, api_client_for, lora):
    # given preference pairs and a ready version
    base = model_version(owner, name="tiny")
    sections = {"dpo": {"beta": 0.2}, **({"lora": lora} if lora else {})}
    # when a DPO run executes
    training_run = _executed(api_client_for(owner), pairs_version(owner, PREFERENCES, "prefs.jsonl"), base, "dpo",
                             fine_tune_config(max_iters=3, **sections))
    # then it trained to its last step and logged the DPO metrics
    assert training_run.step == 3
    keys = set(training_run.run.metric_series.values_list("key", flat=True))
    assert {"rewards/margin", "rewards/accuracy"} <= keys


def test_a_run_says_how_many_examples_it_cut_and_how_many_pairs_it_left_out(owner, api_client_for):
    # given preference pairs of which some have a prompt longer than the 32-token context and
    # one has a reply that cannot fit beside any prompt
    long_prompt = " ".join(["Tell me a story about the sea and the ships."] * 6)
    records = [{"prompt": long_prompt, "chosen": "A boat.", "rejected": "No."}] * 3
    records += [{"prompt": "Name a reef.", "chosen": " ".join(["the sailors who crossed it"] * 12), "rejected": "No."}]
    records += [{"prompt": f"Name a {thing}.", "chosen": f"A {thing}.", "rejected": "No."}
                for thing in ["boat", "wave", "gull", "reef"] * 6]
    text = "".join(json.dumps(record) + "\n" for record in records)
    client = api_client_for(owner)
    # when a DPO run on them executes
    training_run = _executed(client, pairs_version(owner, text, "prefs.jsonl"), model_version(owner), "dpo",
                             fine_tune_config(max_iters=2, dpo={"beta": 0.1}))
    # then the run shows what was cut and what was left out, against the context it trained with
    detail = client.get(f"{URL}{training_run.pk}/").json()
    assert detail["context_tokens"] == 32
    assert detail["cut_examples"] >= 3 and detail["dropped_pairs"] >= 1
    counts = (detail["cut_examples"], detail["dropped_pairs"])
    # and the training of a run that cut nothing says so with zeros
    plain = _executed(client, pairs_version(owner, PREFERENCES, "short.jsonl"), model_version(owner), "dpo",
                      fine_tune_config(max_iters=1, model={"block_size": 64}, dpo={"beta": 0.1}))
    plain_detail = client.get(f"{URL}{plain.pk}/").json()
    assert (plain_detail["cut_examples"], plain_detail["dropped_pairs"]) == (0, 0) != counts
