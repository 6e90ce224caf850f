"""Personality by configuration: an archetype is a set of trait values in [0, 1] (warmth,
formality, enthusiasm, humour, verbosity, confidence, creativity). Traits map to a system
prompt, sampling defaults and target ranges on measurable metrics; `score` says how well each
text's metrics fall inside those ranges. Instant and deterministic: no training, no model."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml.personality.base import Personality, PersonalityError

if TYPE_CHECKING:
    from ml.personality.metrics import TextMetrics

TRAITS = ("warmth", "formality", "enthusiasm", "humour", "verbosity", "confidence", "creativity")


@dataclasses.dataclass(frozen=True)
class MetricTarget:
    """How one trait moves one metric's target range."""

    trait: str
    metric: str
    at_zero: float  # range centre when the trait is 0
    at_one: float  # range centre when the trait is 1
    half_width: float  # the range is centre +- half_width
    tolerance: float  # how fast closeness decays outside the range (metric units)
    weight: float = 1.0  # share of this target in the score
    log: bool = False  # compare in log(1 + value): word counts span orders of magnitude


# Anchors are calibrated on plain chat-style English: e.g. a formality of 35 reads like
# chat, 70 like a report; 8 words is a terse reply, 200 a long explanation.
TARGETS = (
    MetricTarget("warmth", "vader_compound", -0.1, 0.8, 0.3, 0.3),
    MetricTarget("warmth", "second_person_rate", 0.0, 0.06, 0.03, 0.03, weight=0.5),
    MetricTarget("formality", "formality", 35.0, 70.0, 8.0, 10.0),
    MetricTarget("formality", "flesch_kincaid_grade", 3.0, 12.0, 3.0, 3.0, weight=0.5),
    MetricTarget("enthusiasm", "exclamation_rate", 0.0, 0.5, 0.15, 0.2),
    MetricTarget("enthusiasm", "vader_pos", 0.05, 0.4, 0.1, 0.1, weight=0.5),
    MetricTarget("humour", "emoji_density", 0.0, 0.04, 0.02, 0.03, weight=0.5),
    MetricTarget("verbosity", "words", math.log1p(8), math.log1p(200), 0.7, 0.7, log=True),
    MetricTarget("confidence", "lm_uncertainty", 0.04, 0.0, 0.015, 0.02),
    MetricTarget("confidence", "question_rate", 0.4, 0.0, 0.15, 0.2, weight=0.5),
)

# Low / middle / high wording of each trait in the system prompt.
_PHRASES = {
    "warmth": ("cool and matter-of-fact", "friendly", "warm and caring"),
    "formality": (
        "casual, everyday language",
        "clear, neutral language",
        "formal, precise language",
    ),
    "enthusiasm": ("calm and measured", "engaged", "enthusiastic and energetic"),
    "humour": ("serious", "lightly humorous when it fits", "playful and funny"),
    "confidence": ("humble, open about uncertainty", "balanced", "confident and decisive"),
    "creativity": ("conventional", "practical", "imaginative"),
    "verbosity": (
        "Keep answers short.",
        "Answer in a few sentences.",
        "Give full, detailed answers.",
    ),
}


def _level(value: float) -> int:
    return 0 if value < 0.34 else (2 if value > 0.66 else 1)


@dataclasses.dataclass(frozen=True)
class Archetype:
    name: str
    description: str
    traits: dict[str, float]


# Name, description, then trait values in TRAITS order:
# warmth, formality, enthusiasm, humour, verbosity, confidence, creativity.
_TABLE = (
    (
        "Sage",
        "a wise teacher who seeks and explains the truth",
        (0.5, 0.8, 0.3, 0.2, 0.7, 0.8, 0.5),
    ),
    (
        "Hero",
        "a courageous champion who helps people rise to a challenge",
        (0.6, 0.5, 0.8, 0.2, 0.4, 0.95, 0.4),
    ),
    (
        "Caregiver",
        "a compassionate helper who protects and supports others",
        (0.95, 0.4, 0.5, 0.3, 0.5, 0.5, 0.4),
    ),
    (
        "Jester",
        "a witty entertainer who lightens every moment",
        (0.7, 0.1, 0.8, 0.95, 0.4, 0.7, 0.8),
    ),
    (
        "Explorer",
        "a curious adventurer who seeks new ideas and places",
        (0.6, 0.3, 0.7, 0.4, 0.5, 0.6, 0.85),
    ),
    (
        "Creator",
        "an inventive maker who imagines and builds new things",
        (0.6, 0.4, 0.7, 0.4, 0.6, 0.6, 0.95),
    ),
    (
        "Ruler",
        "a decisive leader who brings order and takes responsibility",
        (0.3, 0.9, 0.3, 0.1, 0.5, 0.95, 0.3),
    ),
    (
        "Innocent",
        "an optimistic, trusting soul who sees the good in everything",
        (0.85, 0.3, 0.7, 0.4, 0.3, 0.5, 0.5),
    ),
    ("Rebel", "a bold outsider who challenges the rules", (0.3, 0.1, 0.7, 0.5, 0.4, 0.9, 0.8)),
    (
        "Magician",
        "a visionary who makes transformation feel possible",
        (0.6, 0.6, 0.6, 0.3, 0.6, 0.85, 0.9),
    ),
    (
        "Lover",
        "a passionate, devoted companion who values closeness",
        (0.95, 0.3, 0.7, 0.4, 0.5, 0.6, 0.6),
    ),
    ("Everyman", "a down-to-earth friend who speaks plainly", (0.7, 0.2, 0.4, 0.5, 0.3, 0.5, 0.4)),
    (
        "Cheerful Enthusiast",
        "an upbeat fan who loves everything about the topic",
        (0.9, 0.1, 0.95, 0.6, 0.4, 0.7, 0.6),
    ),
)
ARCHETYPES = {
    name.lower(): Archetype(name, description, dict(zip(TRAITS, values)))
    for name, description, values in _TABLE
}


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").lower().split())


class ConfigPersonality(Personality):
    """A personality defined by trait values; see the module docstring."""

    kind = "config"

    def __init__(self, name: str, traits: dict[str, float], description: str = ""):
        unknown = sorted(set(traits) - set(TRAITS))
        if unknown:
            raise PersonalityError(f"unknown trait(s) {unknown}; known: {', '.join(TRAITS)}")
        for trait, value in traits.items():
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise PersonalityError(
                    f"trait {trait!r}: expected a number in [0, 1], got {value!r}"
                )
        self.name = name
        self.description = description
        # Unset traits sit at the middle of the scale.
        self.traits = {t: float(traits.get(t, 0.5)) for t in TRAITS}

    @classmethod
    def from_archetype(cls, name: str) -> ConfigPersonality:
        archetype = ARCHETYPES.get(_key(name))
        if archetype is None:
            known = ", ".join(a.name for a in ARCHETYPES.values())
            raise PersonalityError(f"unknown archetype {name!r}; known: {known}")
        return cls(archetype.name, archetype.traits, archetype.description)

    def target_ranges(self) -> dict[str, tuple[float, float]]:
        """Metric -> (low, high) this personality aims for, in the metric's own units."""
        ranges = {}
        for target in TARGETS:
            lo, hi = self._range(target)
            lo, hi = (math.expm1(lo), math.expm1(hi)) if target.log else (lo, hi)
            ranges[target.metric] = (round(lo, 4), round(hi, 4))
        return ranges

    def _range(self, target: MetricTarget) -> tuple[float, float]:
        t = self.traits[target.trait]
        centre = target.at_zero + (target.at_one - target.at_zero) * t
        return centre - target.half_width, centre + target.half_width

    def _closeness(self, metrics: TextMetrics) -> float:
        if metrics.empty:
            return 0.0
        total = weight = 0.0
        for target in TARGETS:
            value = metrics.values[target.metric]
            value = math.log1p(max(value, 0.0)) if target.log else value
            lo, hi = self._range(target)
            distance = max(lo - value, 0.0, value - hi)
            total += target.weight * math.exp(-distance / target.tolerance)
            weight += target.weight
        return total / weight

    def score(self, texts: Sequence[str]) -> list[float]:
        # Imported here: the metrics load textstat (and with it nltk and scipy), seconds that a
        # chat only wanting an archetype's prompt and sampling defaults should not wait.
        from ml.personality.metrics import measure

        return self.score_metrics(measure(texts))

    def score_metrics(self, metrics: Sequence[TextMetrics]) -> list[float]:
        """`score` on texts already measured (lets a caller that also shows the metrics
        measure each text once)."""
        return [self._closeness(m) for m in metrics]

    def system_prompt(self) -> str:
        lv = {t: _PHRASES[t][_level(v)] for t, v in self.traits.items()}
        who = (
            f"You are {self.name}, {self.description}."
            if self.description
            else f"You are {self.name}."
        )
        return (
            f"{who} Your manner is {lv['warmth']}, {lv['enthusiasm']} and {lv['confidence']}; "
            f"your tone is {lv['humour']} and your ideas are {lv['creativity']}. "
            f"Use {lv['formality']}. {lv['verbosity']}"
        )

    def generation_defaults(self) -> dict[str, float]:
        tr = self.traits
        return {
            # Creative and playful personas need more randomness; decisive ones less.
            "temperature": round(min(1.2, 0.5 + 0.5 * tr["creativity"] + 0.2 * tr["humour"]), 3),
            "top_p": round(0.85 + 0.1 * tr["creativity"], 3),
            "repetition_penalty": 1.1,
            "max_new_tokens": int(64 + 448 * tr["verbosity"]),
        }

    def _payload(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "traits": dict(self.traits)}

    @classmethod
    def _from_payload(cls, data: dict[str, Any], base_dir: Path | None) -> ConfigPersonality:
        return cls(data["name"], dict(data["traits"]), data.get("description", ""))
