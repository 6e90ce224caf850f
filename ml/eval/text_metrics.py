"""Scores of generated text against references: BLEU and chrF (sacrebleu, corpus level) and
ROUGE-1/2/L F-measures (rouge-score, averaged over pairs), all on a 0-100 scale."""

from __future__ import annotations

import sacrebleu
from rouge_score import rouge_scorer


def _check(predictions: list[str], references: list[str]) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions but {len(references)} references: "
            "they pair up one to one"
        )
    if not predictions:
        raise ValueError("no predictions to score")


def bleu(predictions: list[str], references: list[str]) -> float:
    _check(predictions, references)
    return sacrebleu.corpus_bleu(predictions, [references]).score


def chrf(predictions: list[str], references: list[str]) -> float:
    _check(predictions, references)
    return sacrebleu.corpus_chrf(predictions, [references]).score


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    _check(predictions, references)
    kinds = ("rouge1", "rouge2", "rougeL")
    scorer = rouge_scorer.RougeScorer(list(kinds), use_stemmer=True)
    totals = dict.fromkeys(kinds, 0.0)
    for prediction, reference in zip(predictions, references):
        for kind, score in scorer.score(reference, prediction).items():
            totals[kind] += score.fmeasure
    return {kind: 100.0 * total / len(predictions) for kind, total in totals.items()}


def text_scores(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Every text metric at once."""
    return {
        "bleu": bleu(predictions, references),
        "chrf": chrf(predictions, references),
        **rouge(predictions, references),
    }
