"""A fine-tune's result as a model version: lineage naming its base and dataset versions, the
canonical `.sou` holding the LoRA adapters merged into the base's weights (so chat, /v1 and
exports serve it like any version), and the adapter itself downloadable by its owner."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer

from apps.chat.tests.factories import CHAT_TEMPLATE, model_version, tokenizer_json
from apps.registry import services, storage
from apps.training import services as training_services
from apps.training.tests.factories import valid_dataset_version
from apps.training.tests.test_fine_tune import PAIRS, fine_tune_config
from ml.models import Llama, LlamaConfig
from ml.sou import read_sou
from ml.train.checkpoint import CheckpointMeta, model_weights, save_checkpoint
from ml.train.config import LoraSpec
from ml.train.lora import apply_lora, lora_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _lora_checkpoint(directory: Path, *, server_base: str, chat_template: str | None = CHAT_TEMPLATE
                     ) -> dict[str, torch.Tensor]:
    """A LoRA run's checkpoint as the trainer leaves it, with trained (non-zero) adapters on
    q_proj and v_proj; returns the merged weights the import must produce."""
    vocab = Tokenizer.from_str(tokenizer_json()).get_vocab_size()
    config = LlamaConfig(vocab_size=vocab, block_size=64, n_layer=1, n_head=4, n_kv_head=2, n_embd=32,
                         intermediate_size=64, tie_word_embeddings=True)
    torch.manual_seed(0)
    settings = lora_settings(LoraSpec(r=2, alpha=4, dropout=0.0, target_modules=["q_proj", "v_proj"]), "llama")
    model = apply_lora(Llama(config), settings)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.5)
    weights, adapter = model_weights(model)
    meta = CheckpointMeta(model_config=config, training={"model": {"base": server_base}}, lora=settings,
                          chat_template=chat_template)
    save_checkpoint(directory, weights=weights, meta=meta, tokenizer=Tokenizer.from_str(tokenizer_json()),
                    adapter=adapter)
    return {name: tensor.detach().clone() for name, tensor in model.merge_and_unload().state_dict().items()}


def _finished_lora_run(owner, base, tmp_path, **saved):
    """A LoRA fine-tune of `base` that finished with a checkpoint."""
    training_run = training_services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner, text=PAIRS, filename="pairs.jsonl").pk,
        config=fine_tune_config(), base_model_version_id=base.pk, method="lora")
    checkpoint = tmp_path / "run" / "best"
    merged = _lora_checkpoint(checkpoint, server_base=str(tmp_path / "media" / "training" / "base.sou"),
                              **saved)
    training_run.best_checkpoint = training_run.last_checkpoint = str(checkpoint)
    training_run.status = "finished"
    training_run.save()
    return training_run, merged


def test_a_lora_result_is_a_version_of_merged_weights_with_lineage_and_its_adapter(owner, api_client_for, tmp_path):
    # given a finished LoRA fine-tune of the owner's version
    base = model_version(owner, name="tiny")
    training_run, merged = _finished_lora_run(owner, base, tmp_path)
    client = api_client_for(owner)
    # when its result is registered and imported
    created = client.post("/api/v1/model-versions/from-run/", {"training_run_id": training_run.pk, "name": "tuned"},
                          format="json").json()
    version = services.model_version_import(version_id=created["id"])
    # then the version is ready, its lineage names the base, the dataset and the method
    assert version.status == "ready", version.error
    lineage = client.get(f"/api/v1/model-versions/{version.pk}/lineage/").json()
    assert lineage["base_version"] == base.pk and lineage["base_version_label"] == "tiny:1.0.0"
    assert lineage["dataset_version"] == training_run.dataset_version_id
    assert lineage["method"] == "lora" and lineage["has_adapter"] is True
    # and its canonical file holds the adapters merged into the weights, and names its base as
    # the owner knows it, not by the file the run read
    with read_sou(storage.canonical_sou(owner.pk, version.pk)) as sou:
        stored = {info.name: sou.tensor(info.name) for info in sou.tensor_infos}
        provenance = sou.provenance
    assert not any("lora" in name for name in stored)
    adapted = [name for name in merged if name.endswith(("q_proj.weight", "v_proj.weight"))]
    assert adapted and all(torch.allclose(stored[name], merged[name], atol=1e-6) for name in adapted)
    assert provenance["base_model"] == "tiny:1.0.0"
    # and the adapter downloads as an attachment, byte for byte
    response = client.get(f"/api/v1/model-versions/{version.pk}/adapter/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="tuned-1.0.0-adapter.safetensors"' == response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == (Path(training_run.best_checkpoint) / "adapter.safetensors").read_bytes()
    assert any("lora_B" in name for name in load_file(str(Path(training_run.best_checkpoint) / "adapter.safetensors")))


def test_a_fine_tuned_version_answers_with_its_bases_reply_settings_and_template(owner, api_client_for, tmp_path):
    # given a base set to greedy 8-token replies, and a fine-tune of it whose checkpoint has no
    # chat template
    base = model_version(owner, name="tiny", max_tokens=8)
    training_run, _ = _finished_lora_run(owner, base, tmp_path, chat_template=None)
    # when its result is registered and imported
    created = api_client_for(owner).post("/api/v1/model-versions/from-run/",
                                         {"training_run_id": training_run.pk, "name": "tuned"}, format="json").json()
    version = services.model_version_import(version_id=created["id"])
    # then the version answers as its base does, in the base's chat format
    assert version.status == "ready", version.error
    with read_sou(storage.canonical_sou(owner.pk, version.pk)) as sou:
        generation, chat_template = sou.generation, sou.chat_template
    assert (generation["temperature"], generation["max_tokens"], generation["repetition_penalty"]) == (0.0, 8, 1.0)
    assert chat_template == CHAT_TEMPLATE


def test_a_downloaded_version_and_its_export_name_no_server_path(owner, api_client_for, tmp_path, settings):
    # given a registered, imported fine-tune result and a Q8_0 export of it
    base = model_version(owner, name="tiny")
    training_run, _ = _finished_lora_run(owner, base, tmp_path)
    client = api_client_for(owner)
    created = client.post("/api/v1/model-versions/from-run/", {"training_run_id": training_run.pk, "name": "tuned"},
                          format="json").json()
    version = services.model_version_import(version_id=created["id"])
    (export,) = services.model_export_create(user=owner, version_id=version.pk, qtypes=["Q8_0"])
    assert services.model_export_run(export_id=export.pk).status == "ready"
    # when the owner downloads both
    files = [b"".join(client.get(url).streaming_content) for url in (
        f"/api/v1/model-versions/{version.pk}/download/", f"/api/v1/model-exports/{export.pk}/download/")]
    # then neither names where it lies on the server; the provenance names the source by its name
    for body in files:
        assert str(settings.MEDIA_ROOT).encode() not in body and str(tmp_path).encode() not in body
    downloaded = tmp_path / "downloaded.sou"
    downloaded.write_bytes(files[0])
    with read_sou(downloaded) as sou:
        assert sou.provenance["source"]["name"] == "checkpoint" and "path" not in sou.provenance["source"]


def test_a_version_without_an_adapter_has_none_to_download(owner, api_client_for):
    version = model_version(owner)
    response = api_client_for(owner).get(f"/api/v1/model-versions/{version.pk}/adapter/")
    assert response.status_code == 404
    assert "has no LoRA adapter" in response.json()["error"]["message"]
