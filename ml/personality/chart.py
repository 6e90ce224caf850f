"""The persona evaluation chart: one bar panel per headline measure (alignment, sentiment,
exclamations, perplexity ratio ...), one bar per condition, written as a PNG with matplotlib's
Agg backend (no display needed on servers and workers)."""

from __future__ import annotations

import os
from pathlib import Path

PANELS = (
    ("alignment", "alignment with the personality"),
    ("vader_compound", "VADER compound (sentiment)"),
    ("vader_pos", "VADER positive share"),
    ("exclamation_rate", "exclaiming sentences"),
    ("words", "words per answer"),
    ("perplexity_ratio", "answer perplexity / no personality"),
)


def plot_conditions(result: dict, path: str | os.PathLike) -> Path:
    """Bars of each panel's value per condition of a `persona_eval` result."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conditions = result["conditions"]
    names = list(conditions)
    figure, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    colours = [f"C{i}" for i in range(len(names))]
    for axis, (key, title) in zip(axes.flat, PANELS):
        values = [conditions[n].get(key, conditions[n]["metrics"].get(key, 0.0)) for n in names]
        axis.bar(names, values, color=colours)
        axis.set_title(title, fontsize=10)
        axis.tick_params(axis="x", labelrotation=20, labelsize=8)
        axis.axhline(0, color="black", linewidth=0.5)
    persona = result["personality"].get("name", "")
    figure.suptitle(f"{persona}: {result['probes']} probes, {Path(result['model']).name}")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
