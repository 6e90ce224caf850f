"""Fine-tuning one of the user's model versions through the API: the base must be the user's
and ready, the method's options are checked against the base (LoRA targets) and the dataset
(records that fit), the server alone names the base's file, and a stored run keeps to it."""

import json

import pytest

from apps.chat.tests.factories import model_version
from apps.training import services
from apps.training.models import TrainingRun

from .factories import valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"
PAIRS = "".join(json.dumps({"prompt": f"Say {word}.", "response": f"{word} {word}."}) + "\n"
                for word in ["sea", "ship", "sail", "storm", "wind", "tide"] * 8)
PREFERENCES = "".join(json.dumps({"prompt": f"Name a {thing}.", "chosen": f"A {thing}.", "rejected": "No."}) + "\n"
                      for thing in ["boat", "wave", "gull", "reef"] * 8)


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def fine_tune_config(max_iters: int = 4, **sections) -> dict:
    return {"model": {"block_size": 32},
            "optim": {"warmup_iters": 1},
            "train": {"max_iters": max_iters, "batch_size": 2, "eval_interval": 2, "eval_iters": 1,
                      "log_interval": 1},
            **sections}


def pairs_version(user, text: str = PAIRS, filename: str = "pairs.jsonl"):
    return valid_dataset_version(user, text=text, filename=filename)


def _create(client, dataset_version, base, method="lora", config=None, **extra):
    body = {"dataset_version_id": dataset_version.pk, "base_model_version_id": base.pk, "method": method,
            "config": config or fine_tune_config(), **extra}
    return client.post(URL, body, format="json")


def test_a_lora_run_fine_tunes_the_users_ready_version_with_its_tokenizer(owner, api_client_for):
    # given a ready model version and instruction pairs of the owner's
    base = model_version(owner, name="tiny")
    # when a LoRA run is created from them
    response = _create(api_client_for(owner), pairs_version(owner), base,
                       config=fine_tune_config(lora={"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}))
    # then it is queued as a LoRA fine-tune of that version, naming no file
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["method"] == "lora"
    assert body["base_model_version"] == {"id": base.pk, "registered_model": base.registered_model_id,
                                          "model_name": "tiny", "version": "1.0.0", "architecture": "llama"}
    assert body["config"]["lora"]["enabled"] is True and body["config"]["lora"]["r"] == 4
    assert body["config"]["data"]["tokenizer"] == "base" and body["config"]["model"]["base"] == ""
    assert body["name"] == "lora of tiny:1.0.0 on hamlet v1"


def test_another_users_base_is_not_found(owner, make_user, api_client_for):
    # given another user's ready version
    theirs = model_version(make_user())
    # when the owner fine-tunes it
    response = _create(api_client_for(owner), pairs_version(owner), theirs)
    # then it is as if it did not exist, and nothing is queued
    assert response.status_code == 404
    assert not TrainingRun.objects.exists()


def test_another_users_dataset_is_not_found_for_a_fine_tune(owner, make_user, api_client_for):
    response = _create(api_client_for(owner), pairs_version(make_user()), model_version(owner))
    assert response.status_code == 404


def test_a_base_that_is_not_ready_is_a_conflict_saying_so(owner, api_client_for):
    # given a version still importing
    base = model_version(owner, write_file=False)
    base.status = "importing"
    base.save()
    # when
    response = _create(api_client_for(owner), pairs_version(owner), base)
    # then
    assert response.status_code == 409
    assert "is importing; it can be fine-tuned once it is ready" in response.json()["error"]["message"]


def test_a_lora_target_the_architecture_lacks_is_refused_listing_the_valid_ones(owner, api_client_for):
    config = fine_tune_config(lora={"target_modules": ["q_proj", "c_attn"]})
    response = _create(api_client_for(owner), pairs_version(owner), model_version(owner), config=config)
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["config.lora.target_modules"][0]
    assert "'c_attn': not a layer of this llama model" in message
    valid = message.partition("valid: ")[2].split(", ")
    assert {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"} <= set(valid)
    assert "c_attn" not in valid


def test_the_portal_refuses_a_lora_target_in_the_engines_words(owner, api_client_for):
    # given the engine's refusal of a GPT-2 layer name on a llama model (what the CLI prints)
    from ml.train.lora import check_targets

    with pytest.raises(ValueError) as engine_error:
        check_targets(["c_fc"], "llama")
    # when the same target is asked of the portal
    config = fine_tune_config(lora={"target_modules": ["c_fc"]})
    response = _create(api_client_for(owner), pairs_version(owner), model_version(owner), config=config)
    # then it is refused with the same message, under the targets field
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["config.lora.target_modules"] == [str(engine_error.value)]


def test_sft_on_records_without_responses_names_the_first_bad_lines(owner, api_client_for):
    # given a dataset of plain text records
    texts = "".join(json.dumps({"text": f"line {n}"}) + "\n" for n in range(20))
    response = _create(api_client_for(owner), pairs_version(owner, texts, "texts.jsonl"), model_version(owner))
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["dataset_version_id"][0]
    assert message.startswith("records do not fit a lora run: texts.jsonl line 1: a text record does not fit SFT")


def test_dpo_without_preference_records_is_refused(owner, api_client_for):
    response = _create(api_client_for(owner), pairs_version(owner), model_version(owner), method="dpo",
                       config=fine_tune_config(dpo={"beta": 0.2}))
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["dataset_version_id"][0]
    assert message.startswith("records do not fit a dpo run: pairs.jsonl line 1: a pair record does not fit DPO")
    assert "pairs.jsonl line 5" in message and "line 6" not in message


def test_dpo_on_preference_records_is_queued_with_its_beta(owner, api_client_for):
    response = _create(api_client_for(owner), pairs_version(owner, PREFERENCES, "prefs.jsonl"), model_version(owner),
                       method="dpo", config=fine_tune_config(dpo={"beta": 0.2}))
    assert response.status_code == 201, response.json()
    config = response.json()["config"]
    assert config["dpo"] == {"enabled": True, "beta": 0.2} and config["lora"]["enabled"] is False


@pytest.mark.parametrize(
    ("method", "config", "field"),
    [
        ("full", {"lora": {"r": 4}}, "config.lora"),
        ("lora", {"dpo": {"beta": 0.1}}, "config.dpo"),
        ("lora", {"lora": {"base_type": "Q8_0"}}, "config.lora.base_type"),
        ("qlora", {"lora": {"base_type": "F16"}}, "config.lora.base_type"),
        ("lora", {"model": {"n_layer": 8}}, "config.model.n_layer"),
        ("lora", {"data": {"tokenizer": "char"}}, "config.data.tokenizer"),
        ("lora", {"lora": {"enabled": False}}, "config.lora.enabled"),
        ("lora", {"model": {"base": "/srv/models/x.sou"}}, "config.model.base"),
        ("scratch", {}, "method"),
    ],
)
def test_options_that_do_not_fit_the_method_are_refused_by_name(owner, api_client_for, method, config, field):
    response = _create(api_client_for(owner), pairs_version(owner), model_version(owner), method=method,
                       config=fine_tune_config(**config))
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]


def test_a_fine_tune_method_without_a_base_asks_for_one(owner, api_client_for):
    body = {"dataset_version_id": pairs_version(owner).pk, "method": "lora", "config": fine_tune_config()}
    response = api_client_for(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert "base_model_version_id" in response.json()["error"]["fields"]


def test_a_qlora_run_keeps_the_base_packed_as_q8_0_unless_told(owner, api_client_for):
    response = _create(api_client_for(owner), pairs_version(owner), model_version(owner), method="qlora")
    assert response.status_code == 201, response.json()
    assert response.json()["config"]["lora"]["base_type"] == "Q8_0"


@pytest.mark.parametrize(("key", "value"), [("model", "base"), ("dpo", "enabled")])
def test_a_stored_fine_tune_naming_a_path_or_another_method_fails_without_reading_it(owner, key, value):
    # given a LoRA run whose stored config was changed to name a server file or turn on DPO
    training_run = services.training_run_create(
        user=owner, dataset_version_id=pairs_version(owner).pk, config=fine_tune_config(),
        base_model_version_id=model_version(owner).pk, method="lora")
    training_run.config[key][value] = "/srv/models/someone-elses.sou" if value == "base" else True
    training_run.save(update_fields=["config"])
    # when it executes
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="old")
    # then it fails naming the option, having trained nothing
    training_run.refresh_from_db()
    assert status == "failed" and f"config.{key}.{value}" in training_run.error
    assert training_run.step == 0

