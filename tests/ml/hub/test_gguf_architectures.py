"""Hub repos of GGUF files: every architecture the GGUF import reads passes inspection (read
from the file's header) and pulls to a working `.sou`; the rest are refused by name before the
weights are downloaded."""

import pytest
import torch

from ml.hub import HubError, RepoSpec, inspect_repo, pull_to_sou
from ml.model_map.base import build_empty, load_weights
from ml.models import config_from_dict
from ml.sou import read_sou
from tests.hub_stand_in import StandInRepo, hub_stand_in
from tests.ml.hub.conftest import CARD
from tests.ml.model_map.gguf_factories import random_gguf, rewrite_gguf


def gguf_repo(tmp_path, family: str, arch: str | None = None):
    """A repo folder holding one tiny GGUF file of `family` (named `arch` if given) and a card."""
    folder = tmp_path / "repo"
    folder.mkdir()
    model, gguf = random_gguf(family, tmp_path)
    target = folder / f"tiny-{family}.gguf"
    if arch is None:
        gguf.rename(target)
    else:
        rewrite_gguf(gguf, target, fields={"general.architecture": arch})
    (folder / "README.md").write_text(CARD)
    return model, folder


@pytest.mark.parametrize(("family", "arch"), [("gemma2", "gemma2"), ("gptneox", "gptneox"),
                                              ("mixtral", "llama")])
def test_a_gguf_repo_of_a_newly_read_architecture_is_inspected_as_supported_and_pulls(
        family, arch, tmp_path):
    # given a hub repo of one tiny GGUF file of the family
    model, folder = gguf_repo(tmp_path, family)
    with hub_stand_in(StandInRepo(f"acme/tiny-{family}-GGUF", folder)) as hub:
        spec = RepoSpec(f"acme/tiny-{family}-GGUF", endpoint=hub.endpoint)
        # when it is inspected and pulled
        found = inspect_repo(spec)
        pull_to_sou(spec, tmp_path / "m.sou", tmp_path / "work", inspection=found)

    # then inspection names its architecture as importable, and the pulled model is the original
    assert (found.kind, found.architecture, found.supported, found.problem) == ("gguf", arch, True, "")
    with read_sou(tmp_path / "m.sou") as sou:
        pulled = build_empty(config_from_dict(dict(sou.config)))
        load_weights(pulled, {i.name: sou.tensor(i.name, torch.float32).clone() for i in sou.tensor_infos})
    ids = torch.tensor([[5, 17, 42, 99, 3, 250, 7]])
    with torch.no_grad():
        torch.testing.assert_close(pulled.eval()(ids), model(ids), atol=1e-4, rtol=1e-4)


def test_a_gguf_repo_of_an_architecture_without_a_layout_here_is_refused_before_downloading(tmp_path):
    # given a hub repo of a GGUF file whose header names falcon
    _, folder = gguf_repo(tmp_path, "llama", arch="falcon")
    with hub_stand_in(StandInRepo("acme/tiny-falcon-GGUF", folder)) as hub:
        spec = RepoSpec("acme/tiny-falcon-GGUF", endpoint=hub.endpoint)
        # when it is inspected and pulled
        found = inspect_repo(spec)
        with pytest.raises(HubError) as refused:
            pull_to_sou(spec, tmp_path / "m.sou", tmp_path / "work")

    # then both say it is not supported, and the pull neither downloaded nor wrote a file
    assert (found.architecture, found.supported, found.problem) == ("falcon", False, "not supported: falcon")
    assert str(refused.value) == "not supported: falcon" and refused.value.code == "unsupported"
    assert not (tmp_path / "m.sou").exists() and not list(tmp_path.glob("work/**/*.gguf*"))
