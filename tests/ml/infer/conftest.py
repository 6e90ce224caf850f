"""Shared tiny `.sou` files: imports cost a second each, so each is made once per module."""

import pytest

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
