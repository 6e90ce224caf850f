"""Accuracy and F1 for models used as classifiers (labels compared as strings), via sklearn."""

from __future__ import annotations

from sklearn.metrics import accuracy_score, f1_score


def classification_scores(predicted: list[str], expected: list[str]) -> dict[str, float]:
    """accuracy, macro F1 (every class counts equally) and weighted F1 (by class frequency)."""
    if len(predicted) != len(expected):
        raise ValueError(f"{len(predicted)} predictions but {len(expected)} labels")
    if not expected:
        raise ValueError("no labels to score")
    return {
        "accuracy": float(accuracy_score(expected, predicted)),
        "f1_macro": float(f1_score(expected, predicted, average="macro", zero_division=0)),
        "f1_weighted": float(f1_score(expected, predicted, average="weighted", zero_division=0)),
    }
