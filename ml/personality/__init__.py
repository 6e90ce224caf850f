"""Personality: measurable style metrics on any text, and three ways to define who a model
is behind one interface (`Personality`): configured archetypes, personalities learned from
example texts, and a neural persona space trained with a contrastive loss."""

from ml.personality.base import Personality, PersonalityError, load_personality
from ml.personality.config import ARCHETYPES, ConfigPersonality
from ml.personality.learned import LearnedPersonality
from ml.personality.metrics import METRIC_NAMES, PersonalityProfile, TextMetrics, measure, profile
from ml.personality.neural import NeuralConfig, NeuralPersonality, NeuralPersonaSpace

__all__ = [
    "ARCHETYPES",
    "METRIC_NAMES",
    "ConfigPersonality",
    "LearnedPersonality",
    "NeuralConfig",
    "NeuralPersonaSpace",
    "NeuralPersonality",
    "Personality",
    "PersonalityError",
    "PersonalityProfile",
    "TextMetrics",
    "load_personality",
    "measure",
    "profile",
]
