"""GGUF files of every architecture our models run, as llama.cpp lays them out (written by our
export): imported to `.sou`, they compute the original model's logits with its tokenizer,
keep their quantized blocks, agree with transformers' own GGUF loader, and a file with a
missing or odd field or a tensor of the wrong shape is refused by name with nothing written.
Stacked and joined tensors are read a part at a time."""

import re
import tracemalloc

import numpy as np
import pytest
import torch
import transformers
from gguf import GGMLQuantizationType, GGUFReader
from gguf import GGUFValueType as V
from tokenizers import Tokenizer

from ml.model_map import load_gguf
from ml.sou import read_sou
from ml.sou.convert import ConversionError, import_gguf
from ml.sou.gguf_export import export_gguf
from ml.sou.quant import AS_STORED
from ml.sou.requantize import quantize_file
from tests.ml.infer.factories import bpe_tokenizer_json
from tests.ml.model_map.gguf_factories import alias_tensors, random_gguf, random_sou, rewrite_gguf
from tests.ml.sou.factories import float_model

PROMPT = "The quick brown fox jumps over the lazy dog. Grüße aus Köln, 北京!"
# The config arch each GGUF file comes back as (llama.cpp writes Mistral as a plain llama).
IMPORTED_ARCH = {"qwen2": "llama", "mistral": "llama", "gptneox": "gpt_neox"}


def logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0]  # (T, vocab)


def prompt_ids() -> list[int]:
    return Tokenizer.from_str(bpe_tokenizer_json()).encode(PROMPT).ids


@pytest.mark.parametrize("family", ["llama", "qwen2", "mistral", "mixtral", "qwen3", "phi3",
                                    "gemma2", "gemma3", "gpt2", "gptneox"])
def test_a_gguf_file_of_each_architecture_imports_to_the_same_logits(family, tmp_path):
    # given a tiny random model of the family exported to an F32 GGUF file
    model, gguf = random_gguf(family, tmp_path)

    # when the GGUF file is imported to .sou
    report = import_gguf(gguf, tmp_path / "back.sou", "F32")

    # then the imported model is of that architecture and scores every position as the
    # original does, with the same tokenizer
    ids = prompt_ids()
    imported = float_model(report.path)
    assert imported.config.arch == IMPORTED_ARCH.get(family, model.config.arch)
    torch.testing.assert_close(logits(imported, ids), logits(model, ids), atol=1e-4, rtol=1e-4)
    with read_sou(report.path) as sou:
        assert Tokenizer.from_str(sou.tokenizer_json).encode(PROMPT).ids == ids


@pytest.mark.parametrize(("family", "qtype", "overrides"), [
    ("mixtral", "Q8_0", {}),
    ("phi3", "Q8_0", {}),
    ("gptneox", "Q8_0", {}),
    ("gemma2", "Q8_0", {}),
    ("qwen3", "Q4_K", {"n_embd": 256, "intermediate_size": 256, "head_dim": 64}),
])
def test_a_quantized_gguf_file_keeps_its_blocks_and_their_numbers(family, qtype, overrides, tmp_path):
    # given a tiny model's float .sou, the same model at the type, and its GGUF export at it
    _, source = random_sou(family, tmp_path / "m.sou", **overrides)
    same_type = tmp_path / "same-type.sou"
    quantize_file(source, same_type, qtype)
    gguf = export_gguf(source, tmp_path / "m.gguf", qtype).path

    # when the GGUF file is imported keeping its tensors' types
    report = import_gguf(gguf, tmp_path / "back.sou", AS_STORED)

    # then every matrix holds the same blocks as the .sou at that type (Phi-3's joined gate
    # and up, Mixtral's stacked experts and NeoX's regrouped qkv taken apart row by row),
    # and the model scores as that .sou does
    with read_sou(same_type) as want, read_sou(report.path) as got:
        matrices = [info.name for info in want.tensor_infos if len(info.shape) == 2]
        assert {want.info(name).type_name for name in matrices} >= {qtype}
        for name in matrices:
            assert got.raw(name)[0] == want.raw(name)[0], name
            assert got.raw(name)[2].tobytes() == want.raw(name)[2].tobytes(), name
    ids = prompt_ids()
    torch.testing.assert_close(logits(float_model(report.path), ids), logits(float_model(same_type), ids),
                               atol=1e-4, rtol=1e-4)


def transformers_logits(gguf, ids: list[int], **settings) -> torch.Tensor:
    """Logits (T, vocab) of transformers' own GGUF loader on the file."""
    model = transformers.AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                              **settings).eval()
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0]


# transformers' GGUF loader takes some sizes from its own defaults, not the file: tiny models
# of those sizes (Qwen3's head width, GPT-2's positions).
@pytest.mark.parametrize(("family", "overrides"), [
    ("qwen3", {"head_dim": 128}),
    ("gpt2", {"block_size": 1024}),
])
def test_transformers_reads_the_same_gguf_file_to_the_same_logits(family, overrides, tmp_path):
    # given a tiny random model's F32 GGUF file
    _, gguf = random_gguf(family, tmp_path, **overrides)

    # when both transformers' GGUF loader and ours load it
    ours = load_gguf(gguf).model

    # then both score every position alike
    ids = prompt_ids()
    torch.testing.assert_close(logits(ours, ids), transformers_logits(gguf, ids), atol=1e-4, rtol=1e-4)


def test_a_hub_phi3_file_with_fused_qkv_imports_to_the_same_logits(tmp_path):
    # given a Phi-3 GGUF file holding q, k and v in one attn_qkv tensor per block, as
    # llama.cpp's converter writes Hugging Face's Phi-3 checkpoints
    model, gguf = random_gguf("phi3", tmp_path)
    fused = rewrite_gguf(gguf, tmp_path / "fused.gguf", joined={
        f"blk.{layer}.attn_qkv.weight": [f"blk.{layer}.attn_{part}.weight" for part in "qkv"]
        for layer in range(2)})

    # when it is imported
    report = import_gguf(fused, tmp_path / "back.sou", "F32")

    # then the model scores as the original, and as transformers' loader reads the file (its
    # Phi-3 default padding id lies outside the tiny vocabulary, so it is given one inside)
    assert "blk.0.attn_qkv.weight" in {t.name for t in GGUFReader(fused).tensors}
    ids = prompt_ids()
    ours = logits(float_model(report.path), ids)
    torch.testing.assert_close(ours, logits(model, ids), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ours, transformers_logits(fused, ids, pad_token_id=0),
                               atol=1e-4, rtol=1e-4)


def test_an_older_mixtral_file_with_a_tensor_per_expert_imports_to_the_same_logits(tmp_path):
    # given a Mixtral GGUF file with each expert's matrices in their own ffn_*.<expert> tensors,
    # as llama.cpp's converter wrote them before it stacked them
    model, gguf = random_gguf("mixtral", tmp_path)
    older = rewrite_gguf(gguf, tmp_path / "older.gguf", split={
        f"blk.{layer}.ffn_{kind}_exps.weight": [f"blk.{layer}.ffn_{kind}.{e}.weight" for e in range(4)]
        for layer in range(2) for kind in ("gate", "up", "down")})

    # when it is imported
    report = import_gguf(older, tmp_path / "back.sou", "F32")

    # then the model scores as the original
    assert "blk.1.ffn_down.3.weight" in {t.name for t in GGUFReader(older).tensors}
    ids = prompt_ids()
    torch.testing.assert_close(logits(float_model(report.path), ids), logits(model, ids),
                               atol=1e-4, rtol=1e-4)


def test_a_gpt2_file_with_its_embedding_copied_as_output_head_imports_and_a_different_head_is_refused(
        tmp_path):
    # given GPT-2 files carrying an output head: a copy of the embedding (as llama.cpp's
    # converter writes GPT-2), and one that differs from it
    model, gguf = random_gguf("gpt2", tmp_path)
    embedding = np.array(next(t for t in GGUFReader(gguf).tensors if t.name == "token_embd.weight").data)
    copied = rewrite_gguf(gguf, tmp_path / "copied.gguf", extra={"output.weight": embedding})
    other = rewrite_gguf(gguf, tmp_path / "other.gguf", extra={"output.weight": embedding * 2})

    # when both are imported
    report = import_gguf(copied, tmp_path / "copied.sou", "F32")
    with pytest.raises(ConversionError, match="'output.weight' differs from 'token_embd.weight'"):
        import_gguf(other, tmp_path / "other.sou", "F32")

    # then the copy gives the original model, and the other is refused without a file
    ids = prompt_ids()
    torch.testing.assert_close(logits(float_model(report.path), ids), logits(model, ids),
                               atol=1e-4, rtol=1e-4)
    assert not list(tmp_path.glob("*other.sou*"))


@pytest.mark.parametrize(("family", "change", "named"), [
    ("qwen3", {"drop": "qwen3.feed_forward_length"},
     "metadata field 'qwen3.feed_forward_length' is missing"),
    ("qwen3", {"fields": {"qwen3.block_count": 1000}},
     "'qwen3.block_count' is 1000, the file has tensors for 2 blocks"),
    ("phi3", {"cut": "blk.1.ffn_up.weight"},
     "tensor 'blk.1.ffn_up.weight' has shape (191, 64), expected (192, 64)"),
    ("mixtral", {"fields": {"llama.expert_count": 1000}}, "'llama.expert_count' is 1000"),
    ("mixtral", {"cut": "blk.0.ffn_down_exps.weight"},
     "tensor 'blk.0.ffn_down_exps.weight' has shape (3, 64, 96), expected (4, 64, 96)"),
    ("gemma2", {"fields": {"gemma2.attention.sliding_window_pattern": [True, False, True]}},
     "'gemma2.attention.sliding_window_pattern' is [True, False, True], expected 2 true/false"),
    ("gemma3", {"drop": "gemma3.embedding_length"},
     "metadata field 'gemma3.embedding_length' is missing"),
    ("gemma3", {"cut": "blk.0.attn_q_norm.weight"},
     "tensor 'blk.0.attn_q_norm.weight' has shape (31,), expected (32,)"),
    ("gpt2", {"cut": "position_embd.weight"},
     "tensor 'position_embd.weight' has shape (63, 64), expected (64, 64)"),
    ("gptneox", {"fields": {"gptneox.rope.dimension_count": 99}},
     "'gptneox.rope.dimension_count' is 99, expected an even width of at most the head size 16"),
    # a count far beyond the tensors must be refused without counting to it
    ("qwen3", {"typed": {"qwen3.block_count": (2**40, V.UINT64, None)}},
     "'qwen3.block_count' is 1099511627776"),
    ("llama", {"typed": {"llama.vocab_size": (2**62, V.UINT64, None)}},
     "'llama.vocab_size' is 4611686018427387904, expected the 320 rows"),
    ("llama", {"typed": {"llama.feed_forward_length": (2**62, V.UINT64, None)}},
     "the metadata describe no valid llama model"),
    ("llama", {"typed": {"llama.attention.key_length": (15, V.UINT32, None)},
               "drop": "llama.rope.dimension_count"},
     "'llama.attention.key_length' is 15, expected an even head size"),
    ("llama", {"typed": {"tokenizer.ggml.bos_token_id": (10**6, V.UINT32, None),
                         "tokenizer.ggml.add_bos_token": (True, V.BOOL, None)}},
     "'tokenizer.ggml.bos_token_id' is 1000000, expected a token id below 320"),
    ("llama", {"typed": {"tokenizer.ggml.bos_token_id": ("x", V.STRING, None)}},
     "'tokenizer.ggml.bos_token_id' is 'x'"),
    ("llama", {"typed": {"tokenizer.ggml.bos_token_id": ([1], V.ARRAY, V.UINT32)}},
     "'tokenizer.ggml.bos_token_id' is [1]"),
    ("llama", {"typed": {"tokenizer.ggml.eos_token_id": ([2], V.ARRAY, V.UINT32)}},
     "'tokenizer.ggml.eos_token_id' is [2]"),
    ("llama", {"typed": {"tokenizer.ggml.add_bos_token": ("false", V.STRING, None)}},
     "'tokenizer.ggml.add_bos_token' is 'false', expected true or false"),
    ("llama", {"typed": {"tokenizer.ggml.merges": (["zzz qqq"], V.ARRAY, V.STRING)}},
     "tokenizer metadata cannot be converted"),
    ("llama", {"typed": {"tokenizer.ggml.merges": ([1, 2], V.ARRAY, V.UINT32)}},
     "tokenizer metadata cannot be converted"),
    ("llama", {"typed": {"tokenizer.chat_template": (5, V.UINT32, None)}},
     "'tokenizer.chat_template' is 5, expected text"),
    ("llama", {"typed": {"general.name": (b"\xff\xfe", V.STRING, None)}},
     "'general.name' is not UTF-8 text"),
    ("llama", {"fields": {"general.architecture": b"\xffllama"}},
     "'general.architecture' is not UTF-8 text"),
])
def test_a_hostile_gguf_file_is_refused_naming_the_field_or_tensor_with_nothing_written(
        family, change, named, tmp_path):
    # given a tiny model's GGUF file with a field missing or odd, or a tensor one row short
    _, gguf = random_gguf(family, tmp_path)
    odd = rewrite_gguf(gguf, tmp_path / "odd.gguf", **change)
    out = tmp_path / "out"
    out.mkdir()

    # when it is imported, then the error names what is wrong and no file is left behind
    with pytest.raises(ConversionError, match=re.escape(named)):
        import_gguf(odd, out / "m.sou", "F32")
    assert list(out.iterdir()) == []


def _more_tokens_than_rows(tokens: list[str], types: list[int]) -> dict:
    return {"tokenizer.ggml.tokens": [*tokens, *(f"<extra{i}>" for i in range(100))],
            "tokenizer.ggml.token_type": [*types, *[4] * 100]}  # USER_DEFINED


def _a_long_token(tokens: list[str], types: list[int]) -> dict:
    return {"tokenizer.ggml.tokens": [*tokens[:5], "a" * 5000, *tokens[6:]]}


@pytest.mark.parametrize(("change", "named"), [
    (_more_tokens_than_rows, "'tokenizer.ggml.tokens' lists 420 tokens, more than the 320 rows "
                             "of tensor 'token_embd.weight'"),
    (_a_long_token, "'tokenizer.ggml.tokens': token 5 is 5000 characters long"),
])
def test_a_gguf_vocabulary_the_model_cannot_use_is_refused_by_name(change, named, tmp_path):
    # given a llama GGUF file whose token list has tokens past its 320 embedding rows (prompts
    # with them would fail), or a token of 5000 characters
    _, gguf = random_gguf("llama", tmp_path)
    fields = GGUFReader(gguf).fields
    tokens, types = (fields[f"tokenizer.ggml.{key}"].contents() for key in ("tokens", "token_type"))
    odd = rewrite_gguf(gguf, tmp_path / "odd.gguf", fields=change(tokens, types))
    out = tmp_path / "out"
    out.mkdir()

    # when it is imported, then the error names the token list and nothing is written
    with pytest.raises(ConversionError, match=re.escape(named)):
        import_gguf(odd, out / "m.sou", "F32")
    assert list(out.iterdir()) == []


def test_a_gguf_file_whose_tensors_share_bytes_is_refused(tmp_path):
    # given a llama GGUF file whose tensors all point at the same bytes (a small file that
    # would import to a model many times its size)
    _, gguf = random_gguf("llama", tmp_path)
    aliased = alias_tensors(gguf, tmp_path / "aliased.gguf")
    out = tmp_path / "out"
    out.mkdir()

    # when it is imported, then it is refused naming the overlap, and nothing is written
    with pytest.raises(ConversionError, match=r"tensor '[^']+' overlaps tensor '[^']+' at byte"):
        import_gguf(aliased, out / "m.sou", "F32")
    assert list(out.iterdir()) == []


def test_a_gemma2_file_without_soft_caps_or_window_gets_llama_cpps_defaults(tmp_path):
    # given a Gemma 2 model (soft-caps 50 and 30, as every Gemma 2) exported to GGUF, and the
    # file rewritten without its soft-cap keys, as older conversions were, and without them
    # and its window
    model, gguf = random_gguf("gemma2", tmp_path)
    caps = ("gemma2.attn_logit_softcapping", "gemma2.final_logit_softcapping")
    uncapped = rewrite_gguf(gguf, tmp_path / "uncapped.gguf", drop=caps)
    windowless = rewrite_gguf(gguf, tmp_path / "windowless.gguf", drop=(
        *caps, "gemma2.attention.sliding_window", "gemma2.attention.sliding_window_pattern"))

    # when they are imported
    capped = import_gguf(uncapped, tmp_path / "uncapped.sou", "F32")
    cycled = import_gguf(windowless, tmp_path / "windowless.sou", "F32")

    # then the first computes the original model's logits (llama.cpp caps at 50 and 30 when
    # the keys are missing), and the second slides llama.cpp's 4096-token window on every
    # other layer
    ids = prompt_ids()
    torch.testing.assert_close(logits(float_model(capped.path), ids), logits(model, ids),
                               atol=1e-4, rtol=1e-4)
    with read_sou(cycled.path) as sou:
        assert sou.config["sliding_window"] == 4096
        assert sou.config["layer_types"] == ["sliding_attention", "full_attention"]
        assert (sou.config["attn_logit_softcapping"], sou.config["final_logit_softcapping"]) == (50, 30)


def test_a_phi3_file_with_a_sliding_window_attends_in_full_as_llama_cpp_does(tmp_path):
    # given a Phi-3 model (no window) exported to GGUF with a 4-token sliding window added to
    # the file, as llama.cpp's converter writes Phi-3 mini's 2047
    model, gguf = random_gguf("phi3", tmp_path)
    windowed = rewrite_gguf(gguf, tmp_path / "windowed.gguf",
                            typed={"phi3.attention.sliding_window": (4, V.UINT32, None)})

    # when it is imported
    report = import_gguf(windowed, tmp_path / "back.sou", "F32")

    # then a prompt far longer than the window scores as in the model attending in full
    ids = prompt_ids()
    assert len(ids) > 4
    torch.testing.assert_close(logits(float_model(report.path), ids), logits(model, ids),
                               atol=1e-4, rtol=1e-4)


def test_a_gguf_file_with_a_quantized_norm_imports_with_its_blocks_kept(tmp_path):
    # given a llama GGUF file whose first norm (a vector) is stored as Q8_0 blocks
    model, gguf = random_gguf("llama", tmp_path)
    odd = rewrite_gguf(gguf, tmp_path / "odd.gguf",
                       quantized={"blk.0.attn_norm.weight": GGMLQuantizationType.Q8_0})

    # when it is imported keeping the stored blocks
    report = import_gguf(odd, tmp_path / "back.sou", AS_STORED)

    # then it imports, and its model scores as the original up to Q8_0's rounding of the norm
    ids = prompt_ids()
    torch.testing.assert_close(logits(float_model(report.path), ids), logits(model, ids),
                               atol=0.1, rtol=0.05)


@pytest.mark.parametrize("arch", ["falcon", "qwen2moe"])
def test_an_architecture_without_a_layout_here_is_not_supported_by_name(arch, tmp_path):
    # given a GGUF file naming an architecture we have no modules for
    _, gguf = random_gguf("llama", tmp_path)
    odd = rewrite_gguf(gguf, tmp_path / "odd.gguf", fields={"general.architecture": arch})

    # when it is imported, then it is refused by name
    with pytest.raises(ConversionError, match=f"not supported: {arch}"):
        import_gguf(odd, tmp_path / "m.sou", "F32")
    assert not list(tmp_path.glob("m.sou*")) and not list(tmp_path.glob(".m.sou*"))


def test_a_mixtral_import_holds_one_expert_at_a_time_not_a_layers_stacked_experts(tmp_path):
    # given a Q8_0 Mixtral GGUF file whose 16 experts per layer are stacked in one tensor per
    # kind, and the importer's libraries loaded by an import of a small file
    _, small = random_gguf("mixtral", tmp_path)
    import_gguf(small, tmp_path / "small.sou", "F32")
    _, source = random_sou("mixtral", tmp_path / "big.sou", n_embd=256, intermediate_size=512,
                           n_experts=16)
    gguf = export_gguf(source, tmp_path / "big.gguf", "Q8_0").path
    stacked = next(t for t in GGUFReader(gguf).tensors if t.name == "blk.0.ffn_up_exps.weight")

    # when it is imported as F32 with the process's allocations traced
    tracemalloc.start()
    try:
        import_gguf(gguf, tmp_path / "big-back.sou", "F32")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then it never held as much as one stacked tensor in F32 (each expert's rows are read alone)
    assert peak < 4 * int(stacked.n_elements) / 2
