"""Personality learned from a user's examples: at least `MIN_EXAMPLES` texts of the persona
against a background of ordinary texts. It keeps the persona's metric profile (to describe
the style in a system prompt) and a logistic-regression classifier over standardised metric
features and sentence embeddings; `score` is the classifier's probability that a text is the
persona. Stored as plain JSON numbers (never a pickle)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ml.personality.base import Personality, PersonalityError
from ml.personality.embeddings import embed
from ml.personality.metrics import PersonalityProfile, TextMetrics, as_matrix, measure, profile_of

MIN_EXAMPLES = 20  # fewer persona (or background) texts give an unstable classifier
PROMPT_EXAMPLES = 3  # short persona samples quoted in the system prompt
PROMPT_EXAMPLE_CHARS = 300  # only examples this short are quoted, to keep prompts small


def features(metrics: Sequence[TextMetrics], embeddings: np.ndarray) -> np.ndarray:
    """Classifier input, shape (N, n_metrics + 384): metrics then embedding."""
    return np.concatenate([as_matrix(metrics), embeddings.astype(np.float64)], axis=1)


class LearnedPersonality(Personality):
    """See the module docstring; build with `fit`."""

    kind = "learned"

    def __init__(self, name, profile, mean, scale, coef, intercept, examples=(), n_background=0):
        self.name = name
        self.profile: PersonalityProfile = profile
        self.mean = np.asarray(mean, dtype=np.float64)  # (F,)
        self.scale = np.asarray(scale, dtype=np.float64)  # (F,)
        self.coef = np.asarray(coef, dtype=np.float64)  # (F,)
        self.intercept = float(intercept)
        self.examples = list(examples)
        self.n_background = int(n_background)
        if not (self.mean.shape == self.scale.shape == self.coef.shape) or self.mean.ndim != 1:
            raise PersonalityError("learned personality: feature vectors differ in length")

    @classmethod
    def fit(cls, name: str, examples: Sequence[str], background: Sequence[str], *, c: float = 1.0):
        """Learn a persona from its example texts against background texts."""
        _check_count("example texts of the persona", examples)
        _check_count("background texts", background)
        ex_metrics, bg_metrics = measure(examples), measure(background)
        return cls.from_features(
            name,
            ex_metrics,
            embed(list(examples)),
            bg_metrics,
            embed(list(background)),
            examples=examples,
            c=c,
        )

    @classmethod
    def from_features(cls, name, ex_metrics, ex_emb, bg_metrics, bg_emb, *, examples=(), c=1.0):
        """`fit` on already measured and embedded texts (lets a caller reuse them)."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        x = np.concatenate([features(ex_metrics, ex_emb), features(bg_metrics, bg_emb)])
        y = np.r_[np.ones(len(ex_metrics)), np.zeros(len(bg_metrics))]
        scaler = StandardScaler().fit(x)
        # Balanced weights: a persona usually has far fewer texts than its background.
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        clf.fit(scaler.transform(x), y)
        short = sorted((t for t in examples if 0 < len(t.strip()) <= PROMPT_EXAMPLE_CHARS), key=len)
        return cls(
            name,
            profile_of(ex_metrics),
            scaler.mean_,
            scaler.scale_,
            clf.coef_[0],
            clf.intercept_[0],
            examples=[t.strip() for t in short[-PROMPT_EXAMPLES:]],
            n_background=len(bg_metrics),
        )

    def score_features(self, metrics: Sequence[TextMetrics], embeddings: np.ndarray) -> list[float]:
        z = (features(metrics, embeddings) - self.mean) / self.scale  # (N, F)
        logits = z @ self.coef + self.intercept  # (N,)
        probs = 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))
        return [0.0 if m.empty else float(p) for m, p in zip(metrics, probs)]

    def score(self, texts: Sequence[str]) -> list[float]:
        metrics = measure(texts)
        return self.score_features(metrics, embed(list(texts)))

    def system_prompt(self) -> str:
        m = self.profile.mean
        tone = (
            "positive"
            if m["vader_compound"] > 0.2
            else ("negative" if m["vader_compound"] < -0.2 else "neutral")
        )
        register = (
            "formal" if m["formality"] > 60 else ("casual" if m["formality"] < 45 else "plain")
        )
        lines = [
            f"You are {self.name}. Write in the style of the examples below:",
            f"about {m['words']:.0f} words per reply, a {tone} tone, {register} wording,",
            f"questions in {m['question_rate']:.0%} and exclamations in {m['exclamation_rate']:.0%} of sentences.",
        ]
        lines += [f"Example: {t}" for t in self.examples]
        return "\n".join(lines)

    def generation_defaults(self) -> dict[str, float]:
        # Roughly 1.4 tokens per English word, with room to finish a sentence.
        words = self.profile.mean["words"]
        return {
            "temperature": 0.8,
            "top_p": 0.92,
            "repetition_penalty": 1.1,
            "max_new_tokens": int(min(1024, max(32, math.ceil(words * 1.4) + 16))),
        }

    def _payload(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "profile": self.profile.to_dict(),
            "feature_mean": self.mean.tolist(),
            "feature_scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "examples": self.examples,
            "n_background": self.n_background,
        }

    @classmethod
    def _from_payload(cls, data: dict[str, Any], base_dir: Path | None) -> LearnedPersonality:
        return cls(
            data["name"],
            PersonalityProfile.from_dict(data["profile"]),
            data["feature_mean"],
            data["feature_scale"],
            data["coef"],
            data["intercept"],
            examples=data.get("examples", []),
            n_background=data.get("n_background", 0),
        )


def _check_count(what: str, texts: Sequence[str]) -> None:
    usable = sum(1 for t in texts if isinstance(t, str) and t.strip())
    if usable < MIN_EXAMPLES:
        raise PersonalityError(
            f"a learned personality needs at least {MIN_EXAMPLES} non-empty {what}; "
            f"got {usable} ({MIN_EXAMPLES - usable} more needed)"
        )
