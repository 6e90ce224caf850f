"""Evaluation: perplexity on texts and datasets, BLEU/chrF/ROUGE of generations against
references, accuracy/F1 for classifiers, and plain generation to produce what is scored.

Names are imported on first use: sacrebleu, rouge-score and scikit-learn are slow to load
and most callers need only one of them."""

from importlib import import_module

_HOMES = {
    "classification_scores": "ml.eval.classification",
    "generate_ids": "ml.eval.generation",
    "PerplexityResult": "ml.eval.perplexity",
    "perplexity_of_dataset": "ml.eval.perplexity",
    "perplexity_of_stream": "ml.eval.perplexity",
    "perplexity_of_text": "ml.eval.perplexity",
    "bleu": "ml.eval.text_metrics",
    "chrf": "ml.eval.text_metrics",
    "rouge": "ml.eval.text_metrics",
    "text_scores": "ml.eval.text_metrics",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'ml.eval' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
