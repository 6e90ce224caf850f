"""GGUF files: weights written the way llama.cpp writes them load back to the same model, and
the starter chat model answers a question."""

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import quantize
from tokenizers import Tokenizer

from ml.model_map import ModelMapError, load_gguf
from ml.models import build_model
from tests.ml.models.factories import tiny_llama

TOKENS = ["a", "b", "c", "ab", "<eos>", "<bos>"]
TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
GGUF_NAMES = {
    "model.embed_tokens": "token_embd",
    "model.norm": "output_norm",
    "lm_head": "output",
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def llama_cpp_permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """convert_hf_to_gguf.py's LlamaModel.permute, copied: rotate-half rows -> interleaved pairs."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def gguf_name(name: str) -> str:
    stem, suffix = name.rsplit(".", 1)
    if stem in GGUF_NAMES:
        return f"{GGUF_NAMES[stem]}.{suffix}"
    _, _, layer, rest = stem.split(".", 3)
    return f"blk.{layer}.{GGUF_NAMES[rest]}.{suffix}"


def write_gguf(model, path, quant: GGMLQuantizationType = GGMLQuantizationType.F32) -> None:
    """A GGUF file laid out as llama.cpp's converter lays out a Llama checkpoint."""
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
    writer.add_rope_dimension_count(config.head_dim)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(TOKENS)
    writer.add_token_types([1, 1, 1, 1, 3, 3])
    writer.add_token_merges(["a b"])
    writer.add_eos_token_id(4)
    writer.add_bos_token_id(5)
    writer.add_chat_template(TEMPLATE)
    state = model.state_dict()
    if config.tie_word_embeddings:
        state.pop("lm_head.weight")
    for name, tensor in state.items():
        array = tensor.numpy().astype(np.float32)
        if "q_proj" in name:
            array = llama_cpp_permute(array, config.n_head)
        elif "k_proj" in name:
            array = llama_cpp_permute(array, config.n_kv_head)
        if array.ndim == 2 and quant != GGMLQuantizationType.F32:
            writer.add_tensor(gguf_name(name), quantize(array, quant), raw_dtype=quant)
        else:
            writer.add_tensor(gguf_name(name), array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def random_llama(**overrides):
    torch.manual_seed(0)
    model = build_model(tiny_llama(vocab_size=len(TOKENS), intermediate_size=64, **overrides))
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.3)
    return model.eval()


@pytest.mark.parametrize("tied", [False, True], ids=["untied", "tied"])
def test_gguf_in_llama_cpp_layout_loads_to_the_same_model(tied, tmp_path):
    # given a llama written to GGUF with llama.cpp's Q/K permutation
    model = random_llama(tie_word_embeddings=tied)
    write_gguf(model, tmp_path / "tiny.gguf")
    idx = torch.randint(0, len(TOKENS), (2, 12), generator=torch.Generator().manual_seed(1))

    # when it is loaded
    loaded = load_gguf(tmp_path / "tiny.gguf")

    # then it computes the original logits and carries the config and metadata
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(idx), model(idx), atol=1e-5, rtol=1e-5)
    assert loaded.config == model.config
    assert loaded.chat_template == TEMPLATE
    assert (loaded.eos_token_ids, loaded.bos_token_id) == ([4], 5)
    assert Tokenizer.from_str(loaded.tokenizer_json).encode("abc").ids == [3, 2]


def test_quantized_gguf_is_dequantized_close_to_the_original(tmp_path):
    # given a llama written with Q8_0 matrices
    model = random_llama()
    write_gguf(model, tmp_path / "q8.gguf", GGMLQuantizationType.Q8_0)
    idx = torch.randint(0, len(TOKENS), (1, 12), generator=torch.Generator().manual_seed(1))

    # when it is loaded
    loaded = load_gguf(tmp_path / "q8.gguf")

    # then its logits are within 8-bit rounding of the original's
    with torch.no_grad():
        expected, got = model(idx), loaded.model(idx)
    assert (got - expected).abs().max() < 0.05 * expected.abs().max()
    assert "Q8_0" in loaded.source["tensor_types"]


def test_truncated_file_is_refused_with_its_path(tmp_path):
    # given a GGUF file cut short
    write_gguf(random_llama(), tmp_path / "full.gguf")
    data = (tmp_path / "full.gguf").read_bytes()
    (tmp_path / "cut.gguf").write_bytes(data[: len(data) // 2])

    # when it is loaded, then one clear error names the file
    with pytest.raises(ModelMapError, match="cut.gguf"):
        load_gguf(tmp_path / "cut.gguf")
