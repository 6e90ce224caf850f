"""GGUF files holding K-quants import into `.sou` with their blocks byte for byte (AS_STORED),
types `.sou` lacks are dequantized with a notice, the result runs with the GGUF's numbers, and a
cut-short K-quant file is refused without leaving a file behind."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import quantize as gguf_quantize

from ml.infer.engine import Engine
from ml.model_map import load_gguf
from ml.models import build_model
from ml.sou import read_sou
from ml.sou.convert import ConversionError, import_gguf
from ml.sou.quant import AS_STORED, quantize
from tests.ml.infer.factories import bpe_tokenizer_json
from tests.ml.model_map.test_gguf import gguf_name, llama_cpp_permute
from tests.ml.models.factories import tiny_llama

T = GGMLQuantizationType
# One type per matrix: every K-quant, plus Q5_0, which gguf-py reads but .sou does not store.
TYPES = {"q_proj": T.Q4_K, "k_proj": T.Q5_K, "v_proj": T.Q6_K, "o_proj": T.Q3_K,
         "gate_proj": T.Q2_K, "up_proj": T.Q5_0, "down_proj": T.Q6_K,
         "embed_tokens": T.Q4_K, "lm_head": T.Q6_K}


def matrix_bytes(array: np.ndarray, qtype: GGMLQuantizationType) -> np.ndarray:
    """(rows, cols) floats -> (rows, row bytes) as llama.cpp stores them."""
    if qtype.name in ("Q5_0",):
        return gguf_quantize(array, qtype)
    return quantize(torch.from_numpy(array), qtype.name).numpy().reshape(array.shape[0], -1)


def write_k_gguf(path: Path):
    """A tiny llama (rows of 256) in llama.cpp's layout with K-quant matrices; returns the
    model and the bytes written per tensor."""
    torch.manual_seed(0)
    tokenizer = json.loads(bpe_tokenizer_json())
    vocab = sorted(tokenizer["model"]["vocab"].items(), key=lambda item: item[1])
    model = build_model(tiny_llama(vocab_size=len(vocab), n_embd=256, intermediate_size=256))
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 2:
                param.normal_(0.0, 0.05)
    config = model.config
    writer = GGUFWriter(path, "llama")
    writer.add_context_length(config.block_size)
    writer.add_embedding_length(config.n_embd)
    writer.add_block_count(config.n_layer)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.n_head)
    writer.add_head_count_kv(config.n_kv_head)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_rope_freq_base(config.rope_theta)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([token for token, _ in vocab])
    writer.add_token_types([3 if token.startswith("<|") else 1 for token, _ in vocab])
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m)
                             for m in tokenizer["model"]["merges"]])
    writer.add_eos_token_id(2)
    written = {}
    for name, tensor in model.state_dict().items():
        array = tensor.numpy().astype(np.float32)
        if "q_proj" in name:
            array = llama_cpp_permute(array, config.n_head)
        elif "k_proj" in name:
            array = llama_cpp_permute(array, config.n_kv_head)
        if array.ndim == 2:
            qtype = next(t for key, t in TYPES.items() if key in name)
            written[name] = matrix_bytes(array, qtype)
            writer.add_tensor(gguf_name(name), written[name], raw_dtype=qtype)
        else:
            writer.add_tensor(gguf_name(name), array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return model, written


def test_a_k_quant_gguf_keeps_its_blocks_and_runs_with_the_files_numbers(tmp_path):
    # given a GGUF file with K-quant matrices and one Q5_0 matrix per layer
    model, written = write_k_gguf(tmp_path / "k.gguf")
    # when it is imported keeping what it stores
    with pytest.warns(UserWarning, match="Q5_0"):
        report = import_gguf(tmp_path / "k.gguf", tmp_path / "k.sou", AS_STORED)
    # then each K-quant tensor is the file's bytes (Q/K rows back in our order), Q5_0 became F16
    with read_sou(report.path) as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
        down = sou.raw("model.layers.0.mlp.down_proj.weight")[2]
        q_proj = sou.raw("model.layers.1.self_attn.q_proj.weight")[2]
    assert types["model.layers.0.self_attn.q_proj.weight"] == "Q4_K"
    assert types["model.layers.0.self_attn.o_proj.weight"] == "Q3_K"
    assert types["model.layers.0.mlp.gate_proj.weight"] == "Q2_K"
    assert types["model.layers.0.mlp.up_proj.weight"] == "F16"
    assert types["lm_head.weight"] == "Q6_K"
    assert np.array_equal(down, written["model.layers.0.mlp.down_proj.weight"].reshape(-1))
    original_q = model.state_dict()["model.layers.1.self_attn.q_proj.weight"]
    assert np.array_equal(q_proj, quantize(original_q, "Q4_K").numpy())
    assert any("Q5_0" in w and "F16" in w for w in report.warnings)
    # and the packed model computes what the GGUF's dequantized weights compute
    engine = Engine.load(report.path, "cpu")
    reference = load_gguf(tmp_path / "k.gguf").model
    idx = torch.arange(24).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(engine.model(idx), reference(idx), atol=2e-3, rtol=1e-3)


def test_a_cut_short_k_quant_gguf_is_refused_and_nothing_is_written(tmp_path):
    # given a K-quant GGUF file missing its last 1000 bytes
    write_k_gguf(tmp_path / "full.gguf")
    data = (tmp_path / "full.gguf").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(data[:-1000])
    # when / then
    with pytest.raises(ConversionError, match="cut.gguf"):
        import_gguf(tmp_path / "cut.gguf", tmp_path / "cut.sou", AS_STORED)
    assert list(tmp_path.glob("*.sou*")) == [] and list(tmp_path.glob(".*")) == []
