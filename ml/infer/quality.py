"""How much a quantized `.sou` loses against its full-precision source: perplexity of both
on a text, the mean KL divergence of the candidate's next-token distribution from the
reference's, and the candidate's greedy decode speed. Used by the registry's export report."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tokenizers import Tokenizer

from ml.infer.loader import load_model
from ml.sou import read_sou

# Tokens per scored window: long enough for context, short enough for small models.
MAX_WINDOW = 256
MAX_TOKENS_SCORED = 2048


@dataclass
class QualityReport:
    perplexity_reference: float
    perplexity: float
    perplexity_delta_pct: float  # (candidate / reference - 1) * 100
    kl_divergence: float  # mean KL(reference || candidate) in nats per token
    top1_agreement: float  # share of positions where both predict the same next token
    tokens_scored: int
    tokens_per_s: float  # greedy decode speed of the candidate through the engine

    def to_dict(self) -> dict:
        return asdict(self)


def _token_ids(path: Path, text: str) -> list[int]:
    with read_sou(path) as sou:
        if sou.tokenizer_json is None:
            raise ValueError(f"{path}: the file has no tokenizer")
        return Tokenizer.from_str(sou.tokenizer_json).encode(text).ids[:MAX_TOKENS_SCORED]


@torch.inference_mode()
def _window_logits(path: Path, ids: list[int], window: int) -> list[torch.Tensor]:
    sou = read_sou(path)
    try:
        model = load_model(sou, torch.device("cpu"), torch.float32)
        chunks = [ids[i:i + window + 1] for i in range(0, len(ids) - 1, window)]
        return [model(torch.tensor([chunk[:-1]]))[0].float() for chunk in chunks if len(chunk) > 1]
    finally:
        del sou


def _decode_speed(path: Path, tokens: int = 32) -> float:
    from ml.infer.engine import Engine

    engine = Engine.load(path, device="cpu", max_batch=1)
    prompt = "The"
    # Small models have small contexts: generate what fits after the prompt.
    tokens = max(1, min(tokens, engine.context_length - len(engine.encode(prompt))))
    started = time.perf_counter()
    produced = sum(1 for _ in engine.stream(prompt, max_tokens=tokens, temperature=0.0, ignore_eos=True))
    return produced / (time.perf_counter() - started)


def compare_quality(*, reference: str | Path, candidate: str | Path, text: str) -> QualityReport:
    reference, candidate = Path(reference), Path(candidate)
    ids = _token_ids(reference, text)
    if len(ids) < 2:
        raise ValueError("the evaluation text is shorter than two tokens")
    with read_sou(reference) as sou:
        window = min(MAX_WINDOW, int(sou.config.get("block_size", MAX_WINDOW)))
    ref_logits = _window_logits(reference, ids, window)
    cand_logits = _window_logits(candidate, ids, window)
    nll_ref = nll_cand = kl = agree = 0.0
    count = 0
    for index, (ref, cand) in enumerate(zip(ref_logits, cand_logits, strict=True)):
        targets = torch.tensor(ids[index * window + 1: index * window + 1 + ref.shape[0]])
        ref_logp, cand_logp = F.log_softmax(ref, -1), F.log_softmax(cand, -1)
        nll_ref += float(F.nll_loss(ref_logp, targets, reduction="sum"))
        nll_cand += float(F.nll_loss(cand_logp, targets, reduction="sum"))
        kl += float((ref_logp.exp() * (ref_logp - cand_logp)).sum())
        agree += float((ref.argmax(-1) == cand.argmax(-1)).sum())
        count += targets.numel()
    ppl_ref, ppl = math.exp(nll_ref / count), math.exp(nll_cand / count)
    return QualityReport(
        perplexity_reference=ppl_ref,
        perplexity=ppl,
        perplexity_delta_pct=(ppl / ppl_ref - 1.0) * 100.0,
        kl_divergence=kl / count,
        top1_agreement=agree / count,
        tokens_scored=count,
        tokens_per_s=_decode_speed(candidate),
    )
