"""Pulling from a hub (tests/hub_stand_in.py stands in for huggingface.co): inspection shows
license, card, size and architecture and refuses what cannot be imported before any weight
byte; downloads resume after a cut; errors name what the user must do."""

import dataclasses
import hashlib
import json

import pytest
from gguf import GGUFReader

from ml.hub import HubError, RepoSpec, inspect_repo, pull_to_sou
from ml.hub.download import PARTIAL_DIR, download_files
from ml.hub.gguf_head import gguf_architecture, gguf_weight_count
from ml.hub.repo import GGUF_HEADER_MAX_BYTES
from ml.infer.engine import Engine
from ml.sou import read_sou
from tests.hub_stand_in import StandInRepo, hub_stand_in


def test_inspecting_an_hf_directory_shows_license_card_size_and_architecture(llama_repo_dir):
    # given a tiny LLaMA repo on the hub
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when it is inspected
        found = inspect_repo(RepoSpec("acme/tiny-llama", endpoint=hub.endpoint))

    # then the user sees what they would import, and no weight was fetched
    assert (found.kind, found.architecture, found.supported, found.problem) == ("hf", "llama", True, "")
    assert found.license == "apache-2.0" and found.card.startswith("# A model")
    names = {f.name for f in found.download}
    assert "model.safetensors" in names and "README.md" not in names
    assert found.total_bytes == sum(p.stat().st_size for p in llama_repo_dir.iterdir() if p.name in names)
    assert hub.weight_bytes_served() == 0


def test_an_unsupported_architecture_is_refused_at_inspection_before_any_weight_byte(llama_repo_dir, tmp_path):
    # given a repo whose config names an architecture we cannot import
    config = json.loads((llama_repo_dir / "config.json").read_text())
    (llama_repo_dir / "config.json").write_text(json.dumps({**config, "model_type": "bloom"}))
    with hub_stand_in(StandInRepo("acme/bloomish", llama_repo_dir)) as hub:
        spec = RepoSpec("acme/bloomish", endpoint=hub.endpoint)
        # when it is inspected and pulled
        found = inspect_repo(spec)
        with pytest.raises(HubError) as refused:
            pull_to_sou(spec, tmp_path / "m.sou", tmp_path / "work")

    # then both say so, and the hub served no weight bytes
    assert (found.supported, found.problem) == (False, "not supported: bloom")
    assert str(refused.value) == "not supported: bloom" and refused.value.code == "unsupported"
    assert hub.weight_bytes_served() == 0
    assert not (tmp_path / "m.sou").exists()


def test_a_converter_crash_on_a_repos_files_is_a_conversion_error_naming_the_repo(llama_repo_dir, tmp_path,
                                                                                  monkeypatch):
    # given a repo whose files make the converter fail in a way it did not foresee
    def broken(source, out, **kwargs):
        raise AttributeError("'str' object has no attribute 'get'")

    monkeypatch.setattr("ml.sou.convert.import_model", broken)
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when it is pulled
        with pytest.raises(HubError) as failed:
            pull_to_sou(RepoSpec("acme/tiny-llama", endpoint=hub.endpoint), tmp_path / "m.sou", tmp_path / "work")

    # then the pull fails in the user's terms
    assert failed.value.code == "conversion"
    assert str(failed.value).startswith("acme/tiny-llama could not be converted")


def test_an_hf_directory_pulls_into_a_sou_that_generates(llama_repo_dir, tmp_path):
    # given a tiny LLaMA repo on the hub
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        progress = []
        # when it is pulled
        found = pull_to_sou(RepoSpec("acme/tiny-llama", endpoint=hub.endpoint), tmp_path / "m.sou",
                            tmp_path / "work", on_progress=progress.append)

    # then the .sou loads and generates, and progress reached the total
    assert progress[-1].done == progress[-1].total == found.total_bytes
    with read_sou(tmp_path / "m.sou") as sou:
        assert sou.config["arch"] == "llama"
    assert Engine.load(tmp_path / "m.sou", "cpu").complete("Hello", max_tokens=3, temperature=0.0)


def test_unknown_repos_revisions_and_files_are_named(llama_repo_dir):
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when the user names a repo, revision or file that does not exist
        errors = {}
        for key, spec in {"repo": RepoSpec("acme/nothing", endpoint=hub.endpoint),
                          "revision": RepoSpec("acme/tiny-llama", revision="v9", endpoint=hub.endpoint),
                          "file": RepoSpec("acme/tiny-llama", filename="x.gguf", endpoint=hub.endpoint)}.items():
            with pytest.raises(HubError) as caught:
                inspect_repo(spec)
            errors[key] = caught.value

    # then each error says which
    assert errors["repo"].code == "not_found" and "repository acme/nothing was not found" in str(errors["repo"])
    assert "revision 'v9' was not found" in str(errors["revision"])
    assert errors["file"].code == "file_not_found" and "'x.gguf' is not in acme/tiny-llama" in str(errors["file"])


def test_a_gated_repo_needs_the_users_token(llama_repo_dir):
    # given a gated repo that one token may read
    with hub_stand_in(StandInRepo("acme/gated", llama_repo_dir, token="hf_right_token")) as hub:
        # when it is inspected without a token, with a wrong one, and with the right one
        with pytest.raises(HubError) as without:
            inspect_repo(RepoSpec("acme/gated", endpoint=hub.endpoint))
        with pytest.raises(HubError) as wrong:
            inspect_repo(RepoSpec("acme/gated", endpoint=hub.endpoint, token="hf_wrong_token"))
        found = inspect_repo(RepoSpec("acme/gated", endpoint=hub.endpoint, token="hf_right_token"))

    # then the errors name the token, and the right token was sent as a bearer token
    assert without.value.code == "gated" and "add your Hugging Face access token" in str(without.value)
    assert wrong.value.code == "token_refused" and "refused your access token" in str(wrong.value)
    assert found.supported and found.gated
    assert "Bearer hf_right_token" in hub.authorizations


def test_a_cut_download_continues_where_it_stopped(llama_repo_dir, tmp_path):
    # given a hub that cuts every response at byte 1000 of a file
    weights = llama_repo_dir / "model.safetensors"
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        spec = RepoSpec("acme/tiny-llama", endpoint=hub.endpoint)
        found = inspect_repo(spec)
        hub.cut_after = 1000
        # when the first pull fails and a second runs once the connection holds
        with pytest.raises(HubError) as cut:
            download_files(spec, found, tmp_path / "work")
        kept = (tmp_path / "work" / PARTIAL_DIR / "model.safetensors").stat().st_size
        hub.cut_after = None
        download_files(spec, found, tmp_path / "work")

    # then the first says where it was cut and the second asked only for the rest
    assert cut.value.code == "cut" and "model.safetensors was cut at 1000 of" in str(cut.value)
    assert kept == 1000 and "bytes=1000-" in hub.ranges
    assert hub.served["model.safetensors"] == weights.stat().st_size
    got = (tmp_path / "work" / "model.safetensors").read_bytes()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_a_download_larger_than_the_cap_is_refused_before_downloading(llama_repo_dir, tmp_path):
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        # when the cap is below the repo's size
        with pytest.raises(HubError) as refused:
            pull_to_sou(RepoSpec("acme/tiny-llama", endpoint=hub.endpoint), tmp_path / "m.sou",
                        tmp_path / "work", max_bytes=1000)

    # then
    assert refused.value.code == "too_large" and "the limit is 1000" in str(refused.value)
    assert hub.weight_bytes_served() == 0


@pytest.mark.slow
def test_the_starter_gguf_repo_pulls_and_answers(starter_repo_dir, tmp_path):
    # given the starter GGUF served as a hub repo
    with hub_stand_in(StandInRepo("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", starter_repo_dir)) as hub:
        spec = RepoSpec.parse("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF", endpoint=hub.endpoint)
        found = inspect_repo(spec)
        served_at_inspection = hub.weight_bytes_served()
        # when it is pulled
        pull_to_sou(spec, tmp_path / "m.sou", tmp_path / "work", inspection=found)

    # then inspection read only the header (counting the weights the import will hold at F32),
    # and the model answers
    gguf = GGUFReader(starter_repo_dir / found.filename)
    assert (found.kind, found.architecture, found.filename) == ("gguf", "llama", "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert served_at_inspection <= GGUF_HEADER_MAX_BYTES < found.total_bytes
    assert found.converted_bytes == 4 * sum(int(t.n_elements) for t in gguf.tensors)
    engine = Engine.load(tmp_path / "m.sou", "cpu", max_seq_len=256)
    reply = engine.complete([{"role": "user", "content": "What is the capital of France?"}], max_tokens=24,
                            temperature=0.0)
    assert "Paris" in reply


def test_a_file_longer_than_listed_is_stopped_at_the_listed_size_and_removed(llama_repo_dir, tmp_path):
    # given a repo whose weights the hub lists at 1000 bytes but serves whole
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir)) as hub:
        spec = RepoSpec("acme/tiny-llama", endpoint=hub.endpoint)
        found = inspect_repo(spec)
        found.download = [dataclasses.replace(f, size=1000, sha256="") if f.name == "model.safetensors" else f
                          for f in found.download]
        found.total_bytes = sum(f.size for f in found.download)
        progress = []
        # when it is downloaded
        with pytest.raises(HubError) as failed:
            download_files(spec, found, tmp_path / "work", on_progress=progress.append)

    # then the download stopped at the listed size, said so, and kept nothing of that file
    assert failed.value.code == "corrupt" and "larger than the 1000 bytes the hub listed" in str(failed.value)
    assert max(p.done for p in progress) <= found.total_bytes
    assert not list((tmp_path / "work").rglob("model.safetensors"))


def test_a_hub_that_does_not_name_the_commit_is_refused(llama_repo_dir):
    # given a mirror whose model info has no commit sha
    with hub_stand_in(StandInRepo("acme/tiny-llama", llama_repo_dir, names_commit=False)) as hub:
        # when the repo is inspected at a branch
        with pytest.raises(HubError) as refused:
            inspect_repo(RepoSpec("acme/tiny-llama", revision="main", endpoint=hub.endpoint))

    # then it says the hub did not name the commit, rather than pinning the branch name (a pull
    # records and fetches at a commit, never a branch that may move or be 200 characters long)
    assert refused.value.code == "hub_error" and "did not say which commit" in str(refused.value)


def test_errors_name_the_hubs_host_without_its_credentials():
    # given a hub address with credentials in it that cannot be reached
    spec = RepoSpec("acme/tiny-llama", endpoint="http://mirror-user:s3cret@127.0.0.1:9/internal/path")

    # when it is inspected
    with pytest.raises(HubError) as failed:
        inspect_repo(spec)

    # then the message names the host only
    assert failed.value.code == "unreachable" and "127.0.0.1:9" in str(failed.value)
    assert "s3cret" not in str(failed.value) and "mirror-user" not in str(failed.value)
    assert "/internal/path" not in str(failed.value)


def _gguf_header(tmp_path, shapes: dict[str, tuple[int, ...]]) -> bytes:
    """A GGUF file's header (key/values and tensor infos) for F32 tensors of these shapes."""
    import numpy as np
    from gguf import GGUFWriter

    path = tmp_path / "m.gguf"
    writer = GGUFWriter(path, "llama")
    writer.add_token_list([f"t{i}" for i in range(3000)])  # a long key/value section, like a tokenizer
    for name, shape in shapes.items():
        writer.add_tensor(name, np.zeros(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def test_a_gguf_header_counts_its_weights_and_refuses_malformed_lengths(tmp_path):
    # given a GGUF file with two tensors
    data = _gguf_header(tmp_path, {"a": (3, 4), "b": (5,)})
    # when its weights are counted from the whole header and from a prefix cut inside the
    # last tensor's info
    whole = gguf_weight_count(data, name="m.gguf")
    short = gguf_weight_count(data[:data.index(b"\x01\x00\x00\x00\x00\x00\x00\x00b") + 12], name="m.gguf")
    arch = gguf_architecture(data[:200], name="m.gguf")
    # then the count is exact, a short prefix asks for more, and the architecture was read first
    assert (whole, short, arch) == (17, None, "llama")
    with pytest.raises(HubError, match="not a GGUF file"):
        gguf_weight_count(b"GGML" + data[4:], name="m.gguf")


def test_a_gguf_header_with_an_impossible_tensor_is_refused(tmp_path):
    # given a header whose first tensor claims 9 dimensions
    data = bytearray(_gguf_header(tmp_path, {"a": (3, 4)}))
    at = data.index(b"\x01\x00\x00\x00\x00\x00\x00\x00a") + 9  # name length 1, "a", then n_dims
    data[at:at + 4] = (9).to_bytes(4, "little")
    # when its weights are counted
    with pytest.raises(HubError) as refused:
        gguf_weight_count(bytes(data), name="m.gguf")
    # then it is refused as invalid, naming the file
    assert refused.value.code == "invalid" and "m.gguf: a GGUF tensor has 9 dimensions" in str(refused.value)


def test_a_gguf_pull_reserves_four_bytes_per_weight(tmp_path):
    # given a GGUF repo
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "m.gguf").write_bytes(_gguf_header(tmp_path, {"a": (30, 40), "b": (50,)}))
    with hub_stand_in(StandInRepo("acme/tiny-gguf", folder)) as hub:
        # when it is inspected
        found = inspect_repo(RepoSpec("acme/tiny-gguf", endpoint=hub.endpoint))
    # then the converted size is what its weights take at F32
    assert found.converted_bytes == 4 * (30 * 40 + 50)
