"""Models with SentencePiece-style tokenizers (BPE with byte fallback, as LLaMA 2, Mistral and
Gemma ship them) exported to GGUF: llama.cpp (llama-cpp-python) tokenizes text into our ids,
decodes them back and continues a prompt with our engine's greedy tokens; our GGUF import
reads the file's tokenizer back; what llama.cpp's vocabulary cannot hold is refused by name."""

import ctypes
import json
import re
from itertools import islice

import pytest
import torch
from gguf import GGUFReader, TokenType
from tokenizers import (
    AddedToken,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

from ml.infer.engine import Engine
from ml.model_map import load_gguf
from ml.models import build_model, config_from_dict
from ml.sou import read_sou, write_sou
from ml.sou.convert import import_gguf
from ml.sou.gguf_export import GGUFExportError, export_gguf
from ml.sou.requantize import quantize_file
from tests.ml.sou.factories import llama_cpp, needs_llama_cpp

SPACE = "\u2581"
CORPUS = [
    "The quick brown fox jumps over the lazy dog while the cat sleeps.",
    "Grüße aus Köln, Äpfel und Öl. 北京欢迎你。",
    "def add(a, b):\n    return a + b\n",
    "To be, or not to be, that is the question.",
]
# ASCII, leading and repeated spaces, newlines, characters the vocabulary lacks (emoji, "H",
# "!"), which fall back to bytes, and CJK.
TEXTS = ["The lazy cat", "  two leading spaces", "line one\nline two\n\n  indented",
         "Hi 😀 and 🎉!", "北京欢迎你, Köln", "def add(a, b):\n    return a + b"]
SPECIALS = {"llama": ["<unk>", "<s>", "</s>"], "gemma": ["<pad>", "<eos>", "<bos>", "<unk>"]}
CHAT_TEMPLATE = "{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}"
LLAMA_SHAPE = {"n_kv_head": 2, "intermediate_size": 96}
GEMMA_SHAPE = {"query_pre_attn_scalar": 16, "sliding_window": 4, "attn_logit_softcapping": 50.0,
               "final_logit_softcapping": 30.0, "layer_types": ["sliding_attention", "full_attention"]}


def spm_tokenizer(flavour: str, size: int = 200) -> Tokenizer:
    """A tiny byte-fallback BPE tokenizer laid out as real SentencePiece conversions are:
    special tokens, the 256 `<0xXX>` byte tokens, then pieces in merge order, with a merge for
    every pair of tokens that joins into one. "llama": LLaMA 2's Prepend + Replace normalizer;
    "metaspace": newer files' Metaspace pre-tokenizer; "gemma": spaces replaced, no prefix, and
    a run of two spaces as an added (user-defined) token matched after that replacement."""
    specials = SPECIALS["gemma" if flavour == "gemma" else "llama"]
    bos = specials[2] if flavour == "gemma" else specials[1]
    trainer = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    trainer.pre_tokenizer = pre_tokenizers.Metaspace(SPACE, prepend_scheme="always", split=True)
    trainer.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=size, special_tokens=specials, show_progress=False))
    data = json.loads(trainer.to_str())
    pieces = [text for text, _ in sorted(data["model"]["vocab"].items(), key=lambda kv: kv[1])
              if text not in specials]
    order = [*specials, *(f"<0x{byte:02X}>" for byte in range(256)), *pieces]
    vocab = {text: index for index, text in enumerate(order)}
    merges = sorted(((text[:cut], text[cut:]) for text in pieces for cut in range(1, len(text))
                     if text[:cut] in vocab and text[cut:] in vocab),
                    key=lambda pair: (vocab["".join(pair)], vocab[pair[0]], vocab[pair[1]]))
    data["model"].update(vocab=vocab, merges=[list(pair) for pair in merges])
    tokenizer = Tokenizer.from_str(json.dumps(data))
    tokenizer.pre_tokenizer = None
    strip = [decoders.Strip(" ", 1, 0)]
    if flavour == "llama":
        tokenizer.normalizer = normalizers.Sequence([normalizers.Prepend(SPACE),
                                                     normalizers.Replace(" ", SPACE)])
    elif flavour == "metaspace":
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(SPACE, prepend_scheme="always", split=False)
    else:
        tokenizer.normalizer, strip = normalizers.Replace(" ", SPACE), []
    tokenizer.decoder = decoders.Sequence([decoders.Replace(SPACE, " "), decoders.ByteFallback(),
                                           decoders.Fuse(), *strip])
    tokenizer.post_processor = processors.TemplateProcessing(single=f"{bos} $A",
                                                             special_tokens=[(bos, vocab[bos])])
    if flavour == "gemma":
        tokenizer.add_tokens([AddedToken(SPACE * 2, normalized=True)])
    return tokenizer


def spm_sou(flavour: str, arch: str, tmp_path, fields: dict | None = None):
    """A tiny random model of `arch` (normal(0, 0.2) weights) with the flavour's tokenizer."""
    tokenizer = spm_tokenizer(flavour)
    torch.manual_seed(0)
    config = config_from_dict({"arch": arch, "vocab_size": tokenizer.get_vocab_size(),
                               "block_size": 64, "n_layer": 2, "n_head": 4, "n_embd": 64,
                               **LLAMA_SHAPE, **(fields or {})})
    model = build_model(config).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.2)
    eos = tokenizer.token_to_id("<eos>" if flavour == "gemma" else "</s>")
    return tokenizer, write_sou(
        tmp_path / f"{flavour}.sou", config=config.to_dict(),
        tensors={name: p.detach() for name, p in model.named_parameters()},
        tokenizer_json=tokenizer.to_str(), chat_template=CHAT_TEMPLATE,
        generation={"eos_token_ids": [eos]}, provenance={})


def open_llama_cpp(path):
    return llama_cpp.Llama(str(path), n_ctx=64, n_threads=2, verbose=False)


def detokenize(llm, ids: list[int]) -> str:
    """Text of `ids` as llama.cpp's own detokenizer gives it (dropping the space the tokenizer
    puts before the text)."""
    buffer = ctypes.create_string_buffer(1024)
    array = (llama_cpp.llama_token * len(ids))(*ids)
    size = llama_cpp.llama_detokenize(llm._model.vocab, array, len(ids), buffer, len(buffer),
                                      True, False)
    return buffer.raw[:size].decode()


FLAVOURS = [("llama", "llama", {}), ("metaspace", "mistral", {"sliding_window": None}),
            ("gemma", "gemma2", GEMMA_SHAPE)]


@needs_llama_cpp
@pytest.mark.parametrize(("flavour", "arch", "fields"), FLAVOURS)
def test_llama_cpp_tokenizes_and_decodes_like_our_tokenizer(flavour, arch, fields, tmp_path):
    # given a tiny model whose tokenizer is BPE with byte fallback, as LLaMA 2, Mistral or
    # Gemma ship it
    tokenizer, source = spm_sou(flavour, arch, tmp_path, fields)

    # when it is exported to GGUF and opened in llama.cpp
    report = export_gguf(source, tmp_path / "m.gguf")
    llm = open_llama_cpp(report.path)
    texts = [text for text in TEXTS if flavour != "metaspace" or not text.startswith(" ")]
    tokenized = {text: llm.tokenize(text.encode()) for text in texts}
    decoded = {text: detokenize(llm, tokenizer.encode(text, add_special_tokens=False).ids)
               for text in texts}
    chat = "[INST] Hi [/INST]</s>[INST] there"
    chat_ids = llm.tokenize(chat.encode(), add_bos=False, special=True)
    metadata = llm.metadata
    llm.close()

    # then llama.cpp splits every text (BOS, prefix space, byte fallback included) into our
    # ids, and decodes our ids back to the text, special tokens of a chat prompt included
    assert tokenized == {text: tokenizer.encode(text).ids for text in texts}
    assert decoded == {text: text for text in texts}
    assert chat_ids == tokenizer.encode(chat, add_special_tokens=False).ids
    assert metadata["tokenizer.ggml.model"] == "llama"
    assert metadata["tokenizer.chat_template"] == CHAT_TEMPLATE
    # and a tokenizer that adds no "▁" before text already starting with a space says so
    assert any("starts with a space" in w for w in report.warnings) == (flavour == "metaspace")


def test_the_vocabulary_types_scores_and_special_ids_are_llama_cpps(tmp_path):
    # given a LLaMA 2-style tokenizer (<unk> <s> </s>, byte tokens, <s> added before text)
    tokenizer, source = spm_sou("llama", "llama", tmp_path)

    # when it is exported
    report = export_gguf(source, tmp_path / "m.gguf")

    # then tokens carry llama.cpp's types, merged tokens score by merge order, and the
    # special ids and BOS flag are those our tokenizer uses
    fields = GGUFReader(report.path).fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    types = fields["tokenizer.ggml.token_type"].contents()
    scores = fields["tokenizer.ggml.scores"].contents()
    by_text = dict(zip(tokens, zip(types, scores, strict=True), strict=True))
    assert [by_text[t][0] for t in ("<unk>", "<s>", "<0x0A>", "▁the")] == [
        TokenType.UNKNOWN, TokenType.CONTROL, TokenType.BYTE, TokenType.NORMAL]
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    first, later = "".join(merges[0]), "".join(merges[-1])
    assert by_text[first][1] == 0.0 and by_text[later][1] < by_text[first][1]
    assert fields["tokenizer.ggml.bos_token_id"].contents() == tokenizer.token_to_id("<s>")
    assert fields["tokenizer.ggml.eos_token_id"].contents() == tokenizer.token_to_id("</s>")
    assert fields["tokenizer.ggml.unknown_token_id"].contents() == tokenizer.token_to_id("<unk>")
    assert fields["tokenizer.ggml.add_bos_token"].contents() is True
    assert fields["tokenizer.ggml.add_space_prefix"].contents() is True
    assert "tokenizer.ggml.merges" not in fields


@needs_llama_cpp
@pytest.mark.parametrize("qtype", ["F32", "Q8_0"])
@pytest.mark.parametrize(("flavour", "arch", "fields"), [FLAVOURS[0], FLAVOURS[2]])
def test_llama_cpp_continues_a_prompt_with_our_engines_greedy_tokens(flavour, arch, fields, qtype,
                                                                    tmp_path):
    # given a tiny LLaMA or Gemma with a byte-fallback tokenizer, and our engine on it at the type
    _, source = spm_sou(flavour, arch, tmp_path, fields)
    same_type = tmp_path / f"{qtype}.sou"
    quantize_file(source, same_type, qtype)
    engine = Engine.load(same_type, "cpu")
    prompt = "The quick brown fox"
    ours = [delta.token_id for delta in engine.stream(
        prompt, temperature=0.0, repetition_penalty=1.0, max_tokens=8, ignore_eos=True)]

    # when it is exported at that type and llama.cpp continues the same prompt greedily
    report = export_gguf(source, tmp_path / "m.gguf", qtype)
    llm = open_llama_cpp(report.path)
    ids = llm.tokenize(prompt.encode())
    theirs = list(islice(llm.generate(ids, temp=0.0, repeat_penalty=1.0), 8))
    llm.close()

    # then the prompt tokens and the continuation are ours
    assert ids == engine.encode(prompt)
    assert theirs == ours


def test_our_gguf_import_reads_the_exported_tokenizer_back(tmp_path):
    # given a tiny LLaMA with a LLaMA 2-style tokenizer, exported to GGUF (no merges, scores)
    tokenizer, source = spm_sou("llama", "llama", tmp_path)
    report = export_gguf(source, tmp_path / "m.gguf")

    # when our GGUF import opens the file
    loaded = load_gguf(report.path)

    # then its tokenizer splits text without leading spaces into the same ids (transformers
    # rebuilds a Metaspace tokenizer, which adds no second ▁ before a leading space), and the
    # BOS the file asks for is known
    imported = Tokenizer.from_str(loaded.tokenizer_json)
    texts = [text for text in TEXTS if not text.startswith(" ")]
    assert ({t: imported.encode(t, add_special_tokens=False).ids for t in texts}
            == {t: tokenizer.encode(t, add_special_tokens=False).ids for t in texts})
    assert loaded.bos_token_id == tokenizer.token_to_id("<s>")
    assert imported.decode(tokenizer.encode(TEXTS[3]).ids) == TEXTS[3]
    assert loaded.chat_template == CHAT_TEMPLATE


@needs_llama_cpp
def test_an_imported_sentencepiece_gguf_prompts_with_bos_as_llama_cpp_does(tmp_path):
    # given a tiny LLaMA with a LLaMA 2-style tokenizer, exported to GGUF (llama.cpp adds BOS)
    _, source = spm_sou("llama", "llama", tmp_path)
    report = export_gguf(source, tmp_path / "m.gguf")

    # when our import turns the file back into a .sou and our engine encodes a prompt
    imported = import_gguf(report.path, tmp_path / "imported.sou")
    engine = Engine.load(imported.path, "cpu")
    llm = open_llama_cpp(report.path)
    theirs = llm.tokenize(b"The lazy cat")
    llm.close()

    # then the prompt starts with the BOS token, as in llama.cpp and the source model
    assert engine.encode("The lazy cat") == theirs == Engine.load(source, "cpu").encode("The lazy cat")


def _with_model(tokenizer: Tokenizer, **model) -> str:
    data = json.loads(tokenizer.to_str())
    data["model"].update(model)
    return json.dumps(data)


def _sou_with(tokenizer_json: str, tmp_path):
    _, source = spm_sou("llama", "llama", tmp_path)
    with read_sou(source) as sou:
        config, tensors = sou.config, {i.name: sou.tensor(i.name) for i in sou.tensor_infos}
    return write_sou(tmp_path / "odd.sou", config=config, tensors=tensors,
                     tokenizer_json=tokenizer_json, generation={}, provenance={})


def _unigram() -> str:
    tokenizer = Tokenizer(models.Unigram([("<unk>", 0.0), ("a", -1.0), ("b", -2.0)], 0))
    return tokenizer.to_str()


def _wordpiece() -> str:
    return Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1, "##b": 2}, unk_token="[UNK]")).to_str()


def _nfkc() -> str:
    tokenizer = spm_tokenizer("llama")
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" ", SPACE)])
    return tokenizer.to_str()


def _without_byte_tokens() -> str:
    tokenizer = spm_tokenizer("llama")
    vocab = json.loads(tokenizer.to_str())["model"]["vocab"]
    vocab = {text: i for i, text in enumerate(t for t in vocab if t != "<0xF0>")}
    return _with_model(tokenizer, vocab=vocab, merges=[])


def _a_long_token() -> str:
    tokenizer = spm_tokenizer("llama")
    data = json.loads(tokenizer.to_str())
    vocab = data["model"]["vocab"]
    last = max(vocab, key=vocab.__getitem__)  # a piece no merge makes from it: it joins nothing
    vocab["a" * 5000] = vocab.pop(last)
    merges = [pair for pair in data["model"]["merges"] if "".join(pair) != last]
    return _with_model(tokenizer, vocab=vocab, merges=merges)


@pytest.mark.parametrize(("tokenizer_json", "named"), [
    (_unigram, "this one is Unigram"),
    (_a_long_token, r"token \d+ is 5000 characters long; GGUF export takes tokens of at most 1024"),
    (_wordpiece, "this one is WordPiece"),
    (_nfkc, r"normalizer and pre-tokenizer \(\['NFKC', 'Replace'\]\)"),
    (_without_byte_tokens, r"lacks 1 of the 256 byte tokens \(<0xF0>"),
])
def test_a_tokenizer_llama_cpp_cannot_hold_is_refused_by_name(tokenizer_json, named, tmp_path):
    # given a model whose tokenizer llama.cpp's vocabularies cannot reproduce
    source = _sou_with(tokenizer_json(), tmp_path)

    # when it is exported, then the error says what, and nothing is written
    with pytest.raises(GGUFExportError, match=named):
        export_gguf(source, tmp_path / "m.gguf")
    assert not list(tmp_path.glob("*.gguf*")) and not list(tmp_path.glob(".*exporting"))


def _without_some_merges() -> str:
    tokenizer = spm_tokenizer("llama")
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    # The last token stays in the vocabulary, but no merge makes it.
    last = "".join(merges[-1])
    return _with_model(tokenizer, merges=[pair for pair in merges if "".join(pair) != last])


def _metaspace_first() -> str:
    tokenizer = spm_tokenizer("metaspace")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(SPACE, prepend_scheme="first", split=False)
    return tokenizer.to_str()


def _metaspace_split() -> str:
    tokenizer = spm_tokenizer("metaspace")
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(SPACE, prepend_scheme="always", split=True)
    return tokenizer.to_str()


@pytest.mark.parametrize(("tokenizer_json", "warning"), [
    (_metaspace_split, "splits text at every ▁ before joining pieces; llama.cpp does not"),
    (_without_some_merges, r"llama.cpp joins \d+ pairs of tokens this tokenizer's merges do not list"),
    (_metaspace_first, "adds one after each special token too"),
])
def test_a_tokenizer_llama_cpp_splits_differently_exports_with_a_warning(tokenizer_json, warning,
                                                                         tmp_path):
    # given a model whose tokenizer llama.cpp follows except on some texts
    source = _sou_with(tokenizer_json(), tmp_path)

    # when it is exported
    report = export_gguf(source, tmp_path / "m.gguf")

    # then the file is written, and the report says where llama.cpp tokenizes differently
    assert report.path.exists()
    assert any(re.search(warning, line) for line in report.warnings), report.warnings
