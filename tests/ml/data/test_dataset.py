"""Tokenizers, the token cache, train/validation streams and batches."""

import json

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer

from ml.data import (
    IGNORE_INDEX,
    BaseTokenizer,
    DataConfig,
    DataFormatError,
    build_char_tokenizer,
    prepare_data,
    train_bpe_tokenizer,
)
from ml.data import cache as cache_module
from ml.data import records as records_module

TEXT = "".join(f"To be, or not to be: line {i}. That is the question!\n" for i in range(60))


def make_config(tmp_path, path, **fields):
    return DataConfig(path=str(path), cache_dir=str(tmp_path / "cache"), **fields)


def test_char_tokenizer_round_trips_through_tokenizer_json(tmp_path):
    # given a character tokenizer saved as tokenizer.json
    tokenizer = build_char_tokenizer([TEXT])
    tokenizer.save(str(tmp_path / "tokenizer.json"))

    # when loaded back with the plain tokenizers library
    loaded = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))

    # then it encodes one id per character and decodes to the same text
    sample = "To be!\nline 7"
    ids = loaded.encode(sample).ids
    assert len(ids) == len(sample)
    assert loaded.decode(ids) == sample
    assert loaded.get_vocab_size() == len(set(TEXT)) + 2  # + unknown + end of text


def test_bpe_tokenizer_has_the_chosen_vocabulary_and_round_trips():
    # given a BPE trained with a chosen vocabulary size
    tokenizer = train_bpe_tokenizer([TEXT], vocab_size=300)

    # when text (including unseen characters) is encoded
    sample = "That is the question! ünïcödé"
    ids = tokenizer.encode(sample).ids

    # then the size is as asked, merges shorten the text, and decoding is lossless
    assert tokenizer.get_vocab_size() == 300
    assert len(tokenizer.encode("That is the question").ids) < len("That is the question")
    assert Tokenizer.from_str(tokenizer.to_str()).decode(ids) == sample


def test_text_is_split_first_90_percent_train_last_10_validation(tmp_path):
    # given a text file and a character tokenizer
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)

    # when prepared
    data = prepare_data(make_config(tmp_path, path))

    # then the streams are the head and tail of the text
    n = len(TEXT)
    assert (len(data.train), len(data.val)) == (int(n * 0.9), n - int(n * 0.9))
    decoded = data.tokenizer.decode(data.val.tokens[data.val.start : data.val.stop].tolist())
    assert decoded == TEXT[int(n * 0.9) :]


def test_second_preparation_reuses_the_cache_and_new_content_does_not(tmp_path, monkeypatch):
    # given data prepared once
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    cfg = make_config(tmp_path, path)
    first = prepare_data(cfg)
    writes = []
    original = cache_module._write_entry
    monkeypatch.setattr(cache_module, "_write_entry", lambda *a: writes.append(1) or original(*a))

    # when prepared again, then tokenization is skipped
    again = prepare_data(cfg)
    assert writes == []
    assert np.array_equal(np.asarray(again.train.tokens), np.asarray(first.train.tokens))

    # when the content changes, then it is tokenized anew
    path.write_text(TEXT + "More words.\n")
    prepare_data(cfg)
    assert writes == [1]


def test_instruction_pairs_train_only_on_responses(tmp_path):
    # given prompt/response pairs
    path = tmp_path / "chat.jsonl"
    rows = [{"prompt": f"question {i}?", "response": f"answer {i}."} for i in range(40)]
    path.write_text("\n".join(json.dumps(r) for r in rows))

    # when prepared and batched
    data = prepare_data(make_config(tmp_path, path, val_fraction=0.2))
    x, y = data.train.batch(batch_size=8, block_size=64, seed=0, index=0)

    # then targets inside prompts are ignored and those inside answers are kept
    tokens = np.asarray(data.train.tokens)
    mask = np.asarray(data.train.mask)

    def text_of(keep: int) -> str:
        return data.tokenizer.decode(tokens[mask == keep][:200].tolist())

    assert "answer 0." in text_of(1) and "question" not in text_of(1)
    assert "question 0?" in text_of(0) and "answer" not in text_of(0)
    assert (y == IGNORE_INDEX).any() and (y != IGNORE_INDEX).any()
    assert torch.equal(x[:, 1:], torch.where(y[:, :-1] == IGNORE_INDEX, x[:, 1:], y[:, :-1]))


def test_base_tokenizer_and_its_chat_template_are_used(tmp_path):
    # given a base model's tokenizer and chat template
    base_tok = train_bpe_tokenizer([TEXT + "<s>[INST]"], vocab_size=300)
    template = "{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}"
    base = BaseTokenizer(base_tok, chat_template=template, eos_token_id=0)
    path = tmp_path / "chat.jsonl"
    path.write_text('{"prompt": "Hi", "response": "Hello"}\n' * 30)

    # when prepared with data.tokenizer = "base"
    data = prepare_data(make_config(tmp_path, path, tokenizer="base"), base)

    # then the text is the template's rendering in the base model's tokens
    assert data.tokenizer is base_tok
    assert data.tokenizer.decode(np.asarray(data.train.tokens[:40]).tolist()).startswith(
        "[user]Hi[assistant]Hello"
    )


@pytest.mark.parametrize("dtype", ["uint16", "uint32"])
def test_pretokenized_bin_is_memory_mapped(tmp_path, dtype):
    # given a nanoGPT-style .bin of token ids and a tokenizer.json
    tokenizer = build_char_tokenizer([TEXT])
    tokenizer.save(str(tmp_path / "tok.json"))
    ids = np.array(tokenizer.encode(TEXT).ids, dtype=dtype)
    ids.tofile(tmp_path / "train.bin")

    # when prepared
    cfg = make_config(
        tmp_path, tmp_path / "train.bin", tokenizer=str(tmp_path / "tok.json"), bin_dtype=dtype
    )
    data = prepare_data(cfg)

    # then the stream holds the same ids, without copying them into memory
    assert isinstance(data.train.tokens, np.memmap)
    assert np.array_equal(np.asarray(data.train.tokens[: len(data.train)]), ids[: len(data.train)])


def test_bin_with_ids_outside_the_vocabulary_is_rejected(tmp_path):
    # given a .bin holding an id the tokenizer does not have
    tokenizer = build_char_tokenizer(["abc"])
    tokenizer.save(str(tmp_path / "tok.json"))
    np.array([0, 1, 2, 999, 1], dtype=np.uint16).tofile(tmp_path / "bad.bin")
    cfg = make_config(tmp_path, tmp_path / "bad.bin", tokenizer=str(tmp_path / "tok.json"))

    # when prepared, then the error names the byte offset of the bad id and the file by its
    # name alone (not the server's directories)
    with pytest.raises(DataFormatError, match="token id 999 at byte 6") as error:
        prepare_data(cfg)
    assert error.value.file == "bad.bin" and str(tmp_path) not in str(error.value)


def test_bin_of_odd_size_is_named_without_its_directories(tmp_path):
    # given a .bin whose size is not a whole number of uint16 ids
    tokenizer = build_char_tokenizer(["abc"])
    tokenizer.save(str(tmp_path / "tok.json"))
    (tmp_path / "odd.bin").write_bytes(b"\x01\x00\x02")
    cfg = make_config(tmp_path, tmp_path / "odd.bin", tokenizer=str(tmp_path / "tok.json"))

    # when prepared, then the error says what is wrong with the file, named by its name
    with pytest.raises(DataFormatError, match="^odd.bin:0: size 3 is not a multiple"):
        prepare_data(cfg)


def test_batches_are_a_function_of_seed_and_index(tmp_path):
    # given prepared text
    path = tmp_path / "corpus.txt"
    path.write_text(TEXT)
    data = prepare_data(make_config(tmp_path, path))

    # when batch 5 is drawn twice and batch 6 once
    a = data.train.batch(4, 16, seed=1, index=5)
    b = data.train.batch(4, 16, seed=1, index=5)
    c = data.train.batch(4, 16, seed=1, index=6)

    # then equal indices give equal batches, targets are inputs shifted by one
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], c[0])
    assert a[0].shape == (4, 16) and a[0].dtype == torch.int64
    assert torch.equal(a[0][:, 1:], a[1][:, :-1])


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def chat(*turns):
    roles = ["user", "assistant"] * len(turns)
    return {"messages": [{"role": r, "content": c} for r, c in zip(roles, turns)]}


def decode(tokenizer, ids):
    return tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)


def test_loss_covers_exactly_the_assistant_turns_of_a_chat(tmp_path):
    # given two-turn chats (the second file validates)
    train = write_jsonl(tmp_path / "train.jsonl", [chat("Hi", "Hello", "Bye", "Later")] * 4)
    val = write_jsonl(tmp_path / "val.jsonl", [chat("Hi", "Hello", "Bye", "Later")])

    # when prepared with rows wider than one chat and not packed
    cfg = make_config(tmp_path, train, val_path=str(val), packing=False)
    data = prepare_data(cfg)
    x, y = data.val.batch(batch_size=1, block_size=80, seed=0, index=0)

    # then the targets are the assistant turns with their end-of-turn markup, nothing else
    targets = y[0][y[0] != IGNORE_INDEX]
    assert decode(data.tokenizer, targets) == "Hello<|endoftext|>\nLater<|endoftext|>\n"
    text = decode(data.tokenizer, x[0])
    assert text.startswith("<|user|>\nHi\n<|assistant|>\nHello<|endoftext|>\n<|user|>\nBye")


def test_packing_fills_rows_with_whole_examples_and_counts_the_cut_ones(tmp_path):
    # given chats of different lengths, one of them longer than a row
    rows = [chat("q", "a" * n) for n in (3, 10, 5, 8, 2, 6, 4, 7)] + [chat("q", "z" * 200)]
    path = write_jsonl(tmp_path / "chats.jsonl", rows)
    data = prepare_data(make_config(tmp_path, path, val_path=str(path)))

    # when packed into rows of 65 tokens and every row is drawn
    cut = data.pack(block_size=64)
    x, y = data.train.batch(batch_size=data.train.units, block_size=64, seed=3, index=0)

    # then the long chat is counted as cut (in both splits), rows hold several whole chats, and
    # no target lies in the padding or crosses into the next chat
    assert cut == data.cut_examples == 2
    assert data.train.units < len(rows) - 1  # several short chats share a row
    texts = [decode(data.tokenizer, row) for row in x]
    whole = [t for t in texts if "z" not in t]
    for text in whole:
        chats = text.split("<|user|>\n")[1:]
        assert all(c.endswith("<|endoftext|>\n") for c in chats[:-1])
    assert sum(len(t.split("<|user|>\n")) - 1 for t in whole) == len(rows) - 1  # each once
    targets = decode(data.tokenizer, y[y != IGNORE_INDEX])
    assert "q" not in targets and "<|user|>" not in targets
    # answers + end-of-turn markup of the short chats, and of the cut one what fits its row
    prompt = len("<|user|>\nq\n<|assistant|>\n")
    assert int((y != IGNORE_INDEX).sum()) == sum(n + 2 for n in (3, 10, 5, 8, 2, 6, 4, 7)) + (
        65 - prompt
    )


def test_text_beside_chats_trains_on_every_token_across_rows(tmp_path, monkeypatch):
    # given a directory of chats and a .txt file of digits read in several chunks, much longer
    # than a row
    monkeypatch.setattr(records_module, "TXT_CHUNK_CHARS", 1000)
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "chats.jsonl", [chat("q", "a" * n) for n in range(1, 11)])
    notes = "0123456789\n" * 500
    (tmp_path / "data" / "notes.txt").write_text(notes)
    path = tmp_path / "data"

    # when packed into rows of 65 tokens and every row is drawn
    data = prepare_data(make_config(tmp_path, path, val_path=str(path)))
    cut = data.pack(block_size=64)
    x, y = data.train.batch(batch_size=data.train.units, block_size=64, seed=0, index=0)

    # then every digit but the text's first is a target once, and nothing counts as cut
    digits = [data.tokenizer.token_to_id(d) for d in "0123456789"]
    assert int(torch.isin(y, torch.tensor(digits)).sum()) == 5000 - 1
    assert cut == 0
    # and the chats are still whole, their answers the only other targets besides newlines
    targets = decode(data.tokenizer, y[y != IGNORE_INDEX])
    assert targets.count("a") == sum(range(1, 11)) and "q" not in targets


def test_a_preference_prompt_longer_than_a_row_is_cut_from_the_left(tmp_path):
    # given a pair whose prompt alone fills a row, a short pair, and a pair whose response
    # cannot fit a row whatever the prompt
    rows = [
        {"prompt": "p" * 100 + "END", "chosen": "good", "rejected": "bad!"},
        {"prompt": "short", "chosen": "good", "rejected": "bad!"},
        {"prompt": "short", "chosen": "r" * 80, "rejected": "bad!"},
    ]
    path = write_jsonl(tmp_path / "prefs.jsonl", rows)
    data = prepare_data(make_config(tmp_path, path, val_path=str(path)), preference=True)

    # when packed into rows of 49 tokens and every pair is drawn
    cut = data.pack(block_size=48)
    x, y = data.train.batch(batch_size=data.train.units, block_size=48, seed=0, index=0)

    # then the long prompt keeps its end and both pairs keep their whole responses; the pair
    # whose response cannot fit is left out and counted apart from the cut ones (both splits)
    assert (cut, data.cut_examples, data.dropped_pairs) == (2, 2, 2)
    assert data.train.units == 2 and x.shape == (4, 48)
    chosen = [decode(data.tokenizer, row[row != IGNORE_INDEX]) for row in y[:2]]
    rejected = [decode(data.tokenizer, row[row != IGNORE_INDEX]) for row in y[2:]]
    assert chosen == ["good<|endoftext|>\n"] * 2 and rejected == ["bad!<|endoftext|>\n"] * 2
    long_rows = [decode(data.tokenizer, row) for row in x if "END" in decode(data.tokenizer, row)]
    assert len(long_rows) == 2 and all(row.startswith("p") for row in long_rows)
    assert all("END\n<|assistant|>\n" in row for row in long_rows)


def test_example_batches_are_a_function_of_seed_and_index(tmp_path):
    # given packed chats
    rows = [chat("q", f"answer {i}") for i in range(30)]
    data = prepare_data(make_config(tmp_path, write_jsonl(tmp_path / "c.jsonl", rows)))

    # when batch 4 is drawn twice (the second time by a fresh stream) and batch 5 once
    a = data.train.batch(3, 40, seed=1, index=4)
    again = prepare_data(make_config(tmp_path, tmp_path / "c.jsonl"))
    b = again.train.batch(3, 40, seed=1, index=4)
    c = data.train.batch(3, 40, seed=1, index=5)

    # then equal indices give equal batches
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_preference_pairs_batch_chosen_then_rejected_with_the_loss_on_the_response(tmp_path):
    # given preference records, one with a conversation as its prompt
    rows = [{"prompt": f"q{i}", "chosen": "good", "rejected": "bad!"} for i in range(5)]
    rows.append(
        {"prompt": [{"role": "user", "content": "q5"}], "chosen": "good", "rejected": "bad!"}
    )
    path = write_jsonl(tmp_path / "prefs.jsonl", rows)

    # when prepared for DPO and batched
    data = prepare_data(make_config(tmp_path, path, val_fraction=0.3), preference=True)
    data.pack(block_size=64)
    x, y = data.train.batch(batch_size=2, block_size=64, seed=0, index=0)

    # then rows are the B chosen then the B rejected, same prompts, targets the responses only
    assert x.shape[0] == 4 and (data.train.units, data.val.units) == (4, 2)
    chosen = [decode(data.tokenizer, row[row != IGNORE_INDEX]) for row in y[:2]]
    rejected = [decode(data.tokenizer, row[row != IGNORE_INDEX]) for row in y[2:]]
    assert chosen == ["good<|endoftext|>\n"] * 2 and rejected == ["bad!<|endoftext|>\n"] * 2
    assert torch.equal(x[:2, :8], x[2:, :8])


def test_records_of_the_wrong_kind_for_the_objective_name_their_line(tmp_path):
    # given chats with a preference record on line 2
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [chat("q", "a"), {"prompt": "q", "chosen": "a", "rejected": "b"}],
    )

    # when prepared for next-token training, or for DPO, then the first misfit is named
    with pytest.raises(DataFormatError, match="mixed.jsonl:2: a preference record"):
        prepare_data(make_config(tmp_path, path))
    with pytest.raises(DataFormatError, match="mixed.jsonl:1: a chat record cannot train with DPO"):
        prepare_data(make_config(tmp_path, path), preference=True)
