"""Tiny corpora and configs that train in a fraction of a second."""

import json
import random

from ml.train import load_train_config, train

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "seven",
    "wizards",
    "hum",
]


def write_corpus(path, lines=400, seed=0):
    rng = random.Random(seed)
    path.write_text("".join(" ".join(rng.choices(WORDS, k=8)) + ".\n" for _ in range(lines)))
    return path


def tiny_overrides(tmp_path, *overrides, data=None, shape=True):
    """`--set` strings for a 2-layer, 32-wide GPT on a generated corpus, then `overrides`.

    shape=False leaves the model's shape alone (a loaded base model has its own).
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    corpus = data or write_corpus(tmp_path / "corpus.txt")
    return [
        f"data.path='{corpus}'",
        f"data.cache_dir='{tmp_path / 'cache'}'",
        f"train.out_dir='{tmp_path / 'out'}'",
        *(["model.n_layer=2", "model.n_head=2", "model.n_embd=32"] if shape else []),
        "model.block_size=16",
        "train.batch_size=4",
        "train.max_iters=8",
        "train.eval_interval=4",
        "train.eval_iters=2",
        "train.log_interval=2",
        "optim.warmup_iters=2",
        *overrides,
    ]


def tiny_config(tmp_path, *overrides, data=None, shape=True):
    return load_train_config(None, tiny_overrides(tmp_path, *overrides, data=data, shape=shape))


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_preferences(path, pairs=40, seed=0):
    """Prompts of a few words whose preferred answer is always "yes" over "no"."""
    rng = random.Random(seed)
    rows = [
        {"prompt": " ".join(rng.choices(WORDS, k=2)), "chosen": "yes", "rejected": "no"}
        for _ in range(pairs)
    ]
    return write_jsonl(path, rows)


def trained_base(tmp_path, *overrides):
    """A tiny checkpoint that answered the prompts of `write_preferences` with "yes" and "no"
    alike, to fine-tune from (it has the chat markup and both answers in its vocabulary)."""
    rng = random.Random(1)
    rows = [
        {"prompt": " ".join(rng.choices(WORDS, k=2)), "response": answer}
        for _ in range(40)
        for answer in ("yes", "no")
    ]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    cfg = tiny_config(tmp_path, "model.block_size=48", "train.max_iters=20", *overrides, data=data)
    train(cfg)
    return tmp_path / "out" / "last"
