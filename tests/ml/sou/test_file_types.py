"""K-quant file types pick a type per tensor as llama.cpp's llama-quantize does for the file type
of the same name (llama-quant.cpp, llama_tensor_get_type_impl)."""

from __future__ import annotations

import pytest
import torch

from ml.sou import read_sou
from ml.sou.api import write_sou
from ml.sou.quant import QuantPolicy

N_LAYER = 16
WIDTH = 256  # one super-block per row: every matrix can take a K type
# use_more_bits(i, 16): the first and last eighth of the blocks and every third between
MORE_BITS = {0, 1, 4, 7, 10, 13, 14, 15}


def shapes(n_layer: int = N_LAYER, n_gqa: int = 3) -> dict[str, tuple[int, int]]:
    """A LLaMA's matrices in GGUF names, with value rows n_gqa times fewer than query rows."""
    heads = 12 * 64 // 3  # rows of a query matrix that 1, 2, 3, 4 and 6 divide
    layers = {}
    for i in range(n_layer):
        layers.update({f"blk.{i}.attn_q.weight": (heads, WIDTH),
                       f"blk.{i}.attn_k.weight": (heads // n_gqa, WIDTH),
                       f"blk.{i}.attn_v.weight": (heads // n_gqa, WIDTH),
                       f"blk.{i}.attn_output.weight": (WIDTH, WIDTH),
                       f"blk.{i}.ffn_up.weight": (WIDTH, WIDTH),
                       f"blk.{i}.ffn_down.weight": (WIDTH, WIDTH)})
    return {"token_embd.weight": (64, WIDTH), "output.weight": (64, WIDTH), **layers}


def chosen(file_type: str, n_gqa: int = 3) -> dict[str, str]:
    policy = QuantPolicy()
    return {name: policy.type_for(name, shape, file_type, N_LAYER, n_gqa)
            for name, shape in shapes(n_gqa=n_gqa).items()}


def by_layer(types: dict[str, str], role: str) -> list[str]:
    return [types[f"blk.{i}.{role}.weight"] for i in range(N_LAYER)]


@pytest.mark.parametrize("n_gqa,value", [(3, "Q3_K"), (4, "Q4_K")])
def test_q2_k_gives_values_ffn_down_and_attention_output_more_bits(n_gqa, value):
    # when
    types = chosen("Q2_K", n_gqa)
    # then: llama.cpp's Q2_K file is Q2_K only where nothing asks for more
    assert by_layer(types, "attn_v") == [value] * N_LAYER
    assert by_layer(types, "ffn_down") == ["Q3_K"] * N_LAYER
    assert by_layer(types, "attn_output") == ["Q3_K"] * N_LAYER
    assert by_layer(types, "attn_q") == by_layer(types, "ffn_up") == ["Q2_K"] * N_LAYER
    assert types["output.weight"] == "Q6_K"
    assert types["token_embd.weight"] == "Q2_K"


@pytest.mark.parametrize("file_type,base", [("Q3_K", "Q3_K"), ("Q5_K", "Q5_K"),
                                            ("Q6_K", "Q6_K")])
def test_small_file_types_are_their_type_but_for_a_q6_k_head(file_type, base):
    # when
    types = chosen(file_type)
    # then: Q3_K_S, Q5_K_S and Q6_K
    assert types.pop("output.weight") == "Q6_K"
    assert set(types.values()) == {base}


def test_q3_k_m_gives_the_first_values_and_ffn_down_most():
    # when
    types = chosen("Q3_K_M")
    # then
    assert by_layer(types, "attn_v") == ["Q5_K"] * 2 + ["Q4_K"] * (N_LAYER - 2)
    assert by_layer(types, "ffn_down") == ["Q5_K"] + ["Q4_K"] * (N_LAYER - 1)  # n_layer/16
    assert by_layer(types, "attn_output") == ["Q4_K"] * N_LAYER
    assert by_layer(types, "attn_q") == by_layer(types, "ffn_up") == ["Q3_K"] * N_LAYER
    assert types["output.weight"] == "Q6_K"


def test_q4_k_gives_the_first_values_and_the_first_eighth_of_ffn_down_q5_k():
    # when
    types = chosen("Q4_K")
    # then: llama.cpp's Q4_K_S
    assert by_layer(types, "attn_v") == ["Q5_K"] * 4 + ["Q4_K"] * (N_LAYER - 4)
    assert by_layer(types, "ffn_down") == ["Q5_K"] * 2 + ["Q4_K"] * (N_LAYER - 2)
    assert by_layer(types, "attn_output") == ["Q4_K"] * N_LAYER


@pytest.mark.parametrize("file_type,base", [("Q4_K_M", "Q4_K"), ("Q5_K_M", "Q5_K")])
def test_medium_file_types_give_q6_k_where_use_more_bits_picks(file_type, base):
    # when
    types = chosen(file_type)
    # then
    expected = ["Q6_K" if i in MORE_BITS else base for i in range(N_LAYER)]
    assert by_layer(types, "attn_v") == by_layer(types, "ffn_down") == expected
    assert by_layer(types, "attn_output") == [base] * N_LAYER


def test_fused_qkv_counts_as_a_value_matrix():
    # given: GPT-2's fused attention, as llama.cpp's attn_qkv
    policy = QuantPolicy()
    # when
    types = [policy.type_for(f"transformer.h.{i}.attn.c_attn.weight", (768, WIDTH), "Q4_K_M",
                             N_LAYER) for i in range(N_LAYER)]
    # then
    assert types == ["Q6_K" if i in MORE_BITS else "Q4_K" for i in range(N_LAYER)]


@pytest.mark.parametrize("file_type,fallback", [("Q2_K", "Q4_0"), ("Q3_K_M", "Q4_0"),
                                                ("Q4_K_M", "Q4_1"), ("Q5_K", "Q8_0"),
                                                ("Q6_K", "Q8_0")])
def test_rows_a_super_block_does_not_divide_take_the_nearest_32_block_type(file_type, fallback):
    # given: 576-wide rows, as in SmolLM2, and a head of them
    policy = QuantPolicy()
    # when
    up = policy.type_for("blk.2.ffn_up.weight", (1536, 576), file_type, N_LAYER)
    head = policy.type_for("output.weight", (49152, 576), file_type, N_LAYER)
    # then: llama.cpp's Q4_0 / Q5_0 / Q5_1 / Q8_0 where .sou has them, else the nearest
    assert up == fallback
    assert head == "Q8_0"


def test_a_q2_k_file_counts_heads_from_its_own_matrices(tmp_path):
    # given: a two-block model with four query heads per value head
    tensors = {name: torch.randn(shape) for name, shape in shapes(n_layer=2, n_gqa=4).items()}
    # when
    path = write_sou(tmp_path / "q2.sou", config={"arch": "llama"}, tensors=tensors,
                     generation={}, provenance={}, qtype="Q2_K")
    # then
    with read_sou(path) as sou:
        types = {info.name: info.type_name for info in sou.tensor_infos}
    assert types["blk.1.attn_v.weight"] == "Q4_K"
    assert types["blk.1.ffn_down.weight"] == "Q3_K"
    assert types["blk.1.ffn_up.weight"] == "Q2_K"
    assert types["output.weight"] == "Q6_K"
