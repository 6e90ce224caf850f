"""On CPU the loader keeps embedding tables and the output head in their stored type: a tied
table is one copy of the file's bytes, serving both lookups and the head."""

from __future__ import annotations

import torch

from ml.infer.engine import Engine
from ml.infer.qembedding import QuantEmbedding
from ml.infer.qlinear import QuantLinear
from ml.sou import read_sou
from ml.sou.quant import dequantize
from tests.ml.infer.factories import sou_file


def test_a_tied_table_is_the_files_bytes_for_lookup_and_head(tmp_path):
    # given a tied model quantized to Q4_0 (the table is stored once, as the output head's Q8_0)
    path = sou_file(tmp_path, "llama", "Q4_0", tie_word_embeddings=True)
    # when it is loaded on CPU
    engine = Engine.load(path, device="cpu")
    embed, head = engine.model.model.embed_tokens, engine.model.lm_head
    # then lookup and head read the same stored bytes, and nothing holds a float copy
    assert isinstance(embed, QuantEmbedding) and isinstance(head, QuantLinear)
    assert embed.qtype == head.qtype == "Q8_0"
    assert embed.raw.data_ptr() == head.raw.data_ptr()
    assert engine.weights_bytes <= path.stat().st_size


def test_looked_up_rows_are_the_stored_rows(tmp_path):
    # given a model whose embedding is stored as Q8_0
    path = sou_file(tmp_path, "llama", "Q8_0", tie_word_embeddings=True)
    engine = Engine.load(path, device="cpu")
    with read_sou(path) as sou:
        type_name, shape, raw = sou.raw("model.embed_tokens.weight")
        table = dequantize(torch.from_numpy(raw.copy()), type_name, shape).float()
    ids = torch.tensor([[3, 0, 17], [17, 5, 1]])
    # when tokens are embedded
    rows = engine.model.model.embed_tokens(ids)
    # then each row is the dequantized stored row, in the engine's dtype
    assert rows.shape == (2, 3, shape[1]) and rows.dtype == torch.float32
    assert torch.equal(rows, table[ids])


def test_an_engine_keeps_rope_tables_for_its_window_only(tmp_path):
    # given a model with a 128-position context served through a 32-token window
    path = sou_file(tmp_path, "llama", "Q8_0")
    engine = Engine.load(path, device="cpu", max_seq_len=32)
    assert engine.config.block_size == 128
    # when it answers inside the window
    reply = engine.complete("The quick brown", max_tokens=8, temperature=0, ignore_eos=True)
    # then the rotary tables cover the window, not the whole context
    cos, sin = engine.model.rope(torch.device("cpu"))
    assert cos.shape[0] == sin.shape[0] == 32
    assert reply
