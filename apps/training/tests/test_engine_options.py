"""What a client may set of a training run: an allow-list of engine options, where no
option names a file, and another tokenizer only as one of the user's own model versions."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from apps.chat.tests.factories import model_version, tokenizer_json
from apps.training import services
from apps.training.models import TrainingRun

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _create(client, version, config=None, **extra):
    body = {"dataset_version_id": version.pk, "config": config or tiny_config(), **extra}
    return client.post(URL, body, format="json")


def _other_users_tokenizer_file(other) -> Path:
    """A tokenizer file as another user's finished run leaves it under MEDIA_ROOT."""
    path = Path(settings.MEDIA_ROOT) / "training" / str(other.pk) / "1" / "last" / "tokenizer.json"
    path.parent.mkdir(parents=True)
    path.write_text(tokenizer_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"data": {"tokenizer": "/etc/passwd"}}, "config.data.tokenizer"),
        ({"data": {"tokenizer": "../../x"}}, "config.data.tokenizer"),
        ({"data": {"tokenizer": "base"}}, "config.data.tokenizer"),
        ({"data": {"path": "/etc/passwd"}}, "config.data.path"),
        ({"data": {"val_path": "../../x"}}, "config.data.val_path"),
        ({"data": {"cache_dir": "/tmp"}}, "config.data.cache_dir"),
        ({"data": {"bin_dtype": "uint32"}}, "config.data.bin_dtype"),
        ({"model": {"base": "/etc"}}, "config.model.base"),
        ({"train": {"out_dir": "/etc"}}, "config.train.out_dir"),
        ({"train": {"device": "cuda:7"}}, "config.train.device"),
        ({"train": {"resume": True}}, "config.train.resume"),
        ({"model": "nanogpt-char"}, "config.model"),
    ],
)
def test_an_option_off_the_allow_list_is_refused_by_name(owner, api_client_for, options, field):
    # given engine options that name a server file, directory or device
    config = tiny_config()
    for section, values in options.items():
        config[section] = {**config.get(section, {}), **values} if isinstance(values, dict) else values
    # when a run is created with them
    response = _create(api_client_for(owner), valid_dataset_version(owner), config=config)
    # then it is refused naming the option, and nothing is queued to read it
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not TrainingRun.objects.exists()


def test_another_users_tokenizer_file_cannot_be_named(owner, make_user, api_client_for):
    # given another user's trained tokenizer on the server's disk
    path = _other_users_tokenizer_file(make_user())
    config = tiny_config()
    config["data"] = {"tokenizer": str(path)}
    # when the owner names it as their run's tokenizer
    response = _create(api_client_for(owner), valid_dataset_version(owner), config=config)
    # then it is refused and no run will read it
    assert response.status_code == 400
    assert "model version" in response.json()["error"]["fields"]["config.data.tokenizer"][0]
    assert not TrainingRun.objects.exists()


def test_another_users_model_version_tokenizer_is_not_found(owner, make_user, api_client_for):
    # given another user's ready model version
    theirs = model_version(make_user())
    # when the owner asks for its tokenizer
    response = _create(api_client_for(owner), valid_dataset_version(owner),
                       tokenizer_model_version_id=theirs.pk)
    # then it is as if it did not exist
    assert response.status_code == 404
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize(
    ("tokenizer", "with_version", "field"),
    [
        ("model_version", False, "tokenizer_model_version_id"),
        ("bpe", True, "config.data.tokenizer"),
    ],
)
def test_the_tokenizer_choice_and_the_model_version_must_agree(
    owner, api_client_for, tokenizer, with_version, field
):
    # given
    extra = {"tokenizer_model_version_id": model_version(owner).pk} if with_version else {}
    config = {**tiny_config(), "data": {"tokenizer": tokenizer}}
    # when
    response = _create(api_client_for(owner), valid_dataset_version(owner), config=config, **extra)
    # then
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_a_run_trains_with_its_owners_model_version_tokenizer_and_keeps_it(owner, api_client_for):
    # given a ready model version of the owner's, with a byte-level BPE tokenizer
    version = model_version(owner)
    client = api_client_for(owner)
    # when a run is created with that version's tokenizer and executed
    created = _create(client, valid_dataset_version(owner), config=tiny_config(max_iters=4),
                      tokenizer_model_version_id=version.pk).json()
    status = services.training_run_execute(training_run_id=created["id"], execution_id="e1")
    # then it trains with that tokenizer, and says so without any server path
    assert created["tokenizer_model_version"] == version.pk
    assert created["config"]["data"]["tokenizer"] == "model_version"
    training_run = TrainingRun.objects.get(pk=created["id"])
    assert status == "finished", training_run.error
    assert training_run.run.params["tokenizer_model_version"] == version.pk
    checkpoint_vocab = json.loads((Path(training_run.last_checkpoint) / "tokenizer.json").read_text())
    assert checkpoint_vocab["model"]["vocab"] == json.loads(tokenizer_json())["model"]["vocab"]
    # and when the version is deleted, the run resumes with the tokenizer it copied
    version.delete()
    client.post(f"{URL}{created['id']}/resume/", {"extra_steps": 2}, format="json")
    assert services.training_run_execute(training_run_id=created["id"], execution_id="e2") == "finished"


def test_a_model_version_that_is_not_ready_lends_no_tokenizer(owner, api_client_for):
    # given a version still importing
    version = model_version(owner, write_file=False)
    version.status = "importing"
    version.save()
    # when
    response = _create(api_client_for(owner), valid_dataset_version(owner),
                       tokenizer_model_version_id=version.pk)
    # then
    assert response.status_code == 400
    assert "not ready" in response.json()["error"]["fields"]["tokenizer_model_version_id"][0]


def test_a_run_stored_with_a_tokenizer_path_fails_without_reading_it(owner):
    # given a run stored before options were allow-listed, naming a server file
    training_run = services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner).pk, config=tiny_config(max_iters=2)
    )
    training_run.config["data"]["tokenizer"] = "/etc/passwd"
    training_run.save(update_fields=["config"])
    # when it executes
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="old")
    # then it fails saying why, and trained nothing
    training_run.refresh_from_db()
    assert status == "failed"
    assert "is not char, bpe or a model version's" in training_run.error
    assert training_run.step == 0


def test_a_failed_run_shows_no_server_path(owner, api_client_for, monkeypatch):
    # given a training failure whose message names a file the server keeps
    def fail(config, callbacks):
        raise OSError(f"[Errno 28] No space left on device: '{config.data.cache_dir}/ab12/tokens.bin'")

    monkeypatch.setattr("ml.train.train", fail)
    client = api_client_for(owner)
    created = _create(client, valid_dataset_version(owner)).json()
    # when it executes
    services.training_run_execute(training_run_id=created["id"], execution_id="x")
    # then its error and log say why, naming no server directory
    shown = client.get(f"{URL}{created['id']}/").json()
    log = client.get(f"{URL}{created['id']}/log/").json()
    assert shown["status"] == "failed"
    assert shown["error"] == "OSError: [Errno 28] No space left on device: 'tokens.bin'"
    assert str(settings.MEDIA_ROOT) not in json.dumps([shown, log])


def _stored_with(run: TrainingRun, section: str, key: str, value) -> None:
    """The run's stored config as a run queued before options were allow-listed kept it."""
    run.config[section][key] = value
    run.save(update_fields=["config"])


REMOVED_OPTIONS = [
    ("model", "base", "/srv/models/someone-elses"),
    ("train", "device", "cuda:7"),
    ("data", "cache_dir", "/tmp"),
    ("data", "bin_dtype", "uint32"),
    ("lora", "enabled", True),
]


@pytest.mark.parametrize(("section", "key", "value"), REMOVED_OPTIONS)
def test_a_stopped_run_stored_with_a_removed_option_is_not_resumed(owner, api_client_for,
                                                                    section, key, value):
    # given a cancelled run whose stored config carries an option users can no longer set
    client = api_client_for(owner)
    created = _create(client, valid_dataset_version(owner), config=tiny_config(max_iters=2)).json()
    client.post(f"{URL}{created['id']}/cancel/")
    _stored_with(TrainingRun.objects.get(pk=created["id"]), section, key, value)
    # when its owner resumes it
    response = client.post(f"{URL}{created['id']}/resume/", {"extra_steps": 2}, format="json")
    # then it is refused naming the option, and stays cancelled
    assert response.status_code == 400, response.json()
    assert f"config.{section}.{key}" in response.json()["error"]["fields"]
    assert client.get(f"{URL}{created['id']}/").json()["status"] == "cancelled"


@pytest.mark.parametrize(("section", "key", "value"), REMOVED_OPTIONS)
def test_a_queued_run_stored_with_a_removed_option_fails_naming_it(owner, section, key, value):
    # given a queued run whose stored config carries an option users can no longer set
    training_run = services.training_run_create(
        user=owner, dataset_version_id=valid_dataset_version(owner).pk, config=tiny_config(max_iters=2)
    )
    _stored_with(training_run, section, key, value)
    # when a worker executes it
    status = services.training_run_execute(training_run_id=training_run.pk, execution_id="old")
    # then it fails naming the option, before it made its folder or trained a step
    training_run.refresh_from_db()
    assert status == "failed"
    assert training_run.error.startswith(f"config.{section}.{key}: ")
    assert training_run.step == 0 and training_run.attempts == 0
    assert not services._run_dir(training_run).exists()


def test_a_run_from_scratch_cannot_use_lora_and_is_told_why(owner, api_client_for):
    # given a config asking for LoRA without naming a base model to adapt
    config = {**tiny_config(), "lora": {"enabled": True, "r": 4}}
    # when
    response = _create(api_client_for(owner), valid_dataset_version(owner), config=config)
    # then it is refused with what is missing, not with a step the user cannot take
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["config.lora"]
    assert "LoRA adapts a base model: give base_model_version_id and method lora or qlora" in message
    assert not TrainingRun.objects.exists()


def test_a_failed_run_shows_no_server_path_under_a_folder_with_a_space(owner, api_client_for,
                                                                        settings, tmp_path, monkeypatch):
    # given a server whose media folder lies under a home directory with a space in it
    settings.MEDIA_ROOT = tmp_path / "John Smith" / "sloughgpt" / "var" / "media"

    def fail(config, callbacks):
        raise OSError(f"[Errno 28] No space left on device: '{config.data.cache_dir}/ab12/tokens.bin'")

    monkeypatch.setattr("ml.train.train", fail)
    client = api_client_for(owner)
    created = _create(client, valid_dataset_version(owner)).json()
    # when it executes and fails
    services.training_run_execute(training_run_id=created["id"], execution_id="x")
    # then its error names the file only
    shown = client.get(f"{URL}{created['id']}/").json()
    assert shown["error"] == "OSError: [Errno 28] No space left on device: 'tokens.bin'"
    assert "John Smith" not in json.dumps(shown)
