"""Shared fixtures: tiny `.sou` files (imports cost a second each, so each is made once per
module) and the choice between the native kernels and the PyTorch path."""

import pytest

from ml.infer import kernels
from tests.ml.infer.factories import hf_dir, sou_file


@pytest.fixture(scope="module")
def llama_sou(tmp_path_factory):
    return sou_file(tmp_path_factory.mktemp("llama"), "llama")


@pytest.fixture(scope="module")
def gpt2_sou(tmp_path_factory):
    return sou_file(tmp_path_factory.mktemp("gpt2"), "gpt2")


@pytest.fixture(scope="module")
def llama_hf(tmp_path_factory):
    return hf_dir(tmp_path_factory.mktemp("hf") / "llama", "llama")


@pytest.fixture
def path(monkeypatch):
    """Select the native kernels ("native") or the PyTorch path ("torch") for one test."""

    def select(name: str) -> None:
        kernels.load.cache_clear()
        monkeypatch.setenv(kernels.ENV_SWITCH, "torch" if name == "torch" else "native")
        if name == "native":
            assert kernels.load() is not None, "the native kernels did not build"

    yield select
    kernels.load.cache_clear()
