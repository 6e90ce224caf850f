"""Synthetic persona texts for tests: each persona has its own vocabulary, punctuation and
length, so a working model can tell them apart and a broken one cannot."""

from __future__ import annotations

import random

_PERSONAS = {
    "pirate": (
        "Arr, me hearties! {a} the {n} be ours, so hoist the sails and swab the deck, ye scallywags!",
        ["Blimey,", "Shiver me timbers,", "Yo ho,", "Avast,"],
        ["treasure", "rum", "galleon", "parrot", "plank", "cutlass"],
    ),
    "corporate": (
        "{a} we will leverage the {n} to align stakeholders and drive synergies across the organization.",
        ["Going forward,", "Per our discussion,", "As a next step,", "In this quarter,"],
        ["roadmap", "deliverables", "framework", "pipeline", "initiative", "bandwidth"],
    ),
    "cheerful": (
        "{a} I just LOVE the {n}!!! It makes me so happy 😀🎉 You are amazing!",
        ["Yay!", "Wow!", "Oh my gosh!", "Hooray!"],
        ["sunshine", "puppies", "cupcakes", "rainbow", "party", "music"],
    ),
}


def persona_texts(persona: str, n: int, seed: int = 0) -> list[str]:
    template, openers, nouns = _PERSONAS[persona]
    rng = random.Random(f"{persona}-{seed}")
    return [template.format(a=rng.choice(openers), n=rng.choice(nouns)) for _ in range(n)]


def neutral_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(f"neutral-{seed}")
    subjects = [
        "The library",
        "The train",
        "A small shop",
        "The weather",
        "The river",
        "Our garden",
    ]
    verbs = [
        "opens at nine",
        "was late today",
        "sells bread",
        "turned cold",
        "flooded last year",
        "needs water",
    ]
    tails = ["according to the notice.", "as usual.", "this week.", "in the morning.", "again."]
    return [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(tails)}" for _ in range(n)]


PERSONAS = tuple(_PERSONAS)
