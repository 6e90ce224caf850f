"""Personality: measurable style metrics on any text, and three ways to define who a model
is behind one interface (`Personality`): configured archetypes, personalities learned from
example texts, and a neural persona space trained with a contrastive loss."""

import importlib

# Each name's module, imported on first use (PEP 562): the metrics, learned and neural parts load
# textstat, nltk, scipy and scikit-learn, seconds that a caller wanting only an archetype's
# prompt should not pay.
_EXPORTS = {
    "Personality": "base", "PersonalityError": "base", "load_personality": "base",
    "chat_settings": "base",
    "ARCHETYPES": "config", "ConfigPersonality": "config",
    "LearnedPersonality": "learned",
    "METRIC_NAMES": "metrics", "PersonalityProfile": "metrics", "TextMetrics": "metrics",
    "measure": "metrics", "profile": "metrics",
    "NeuralConfig": "neural", "NeuralPersonality": "neural", "NeuralPersonaSpace": "neural",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


__all__ = sorted(_EXPORTS)
