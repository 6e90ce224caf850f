"""Persona classification benchmark on a real labelled set: speeches from the plays file,
labelled by speaker. Trains on the 12 speakers with the most lines and prints ONE JSON line
with top-1 accuracy on held-out speeches for: metrics only (logistic regression on the
personality metrics), learned (one `LearnedPersonality` per speaker, highest score wins),
neural (`NeuralPersonaSpace`, nearest centroid) and chance (1 / number of speakers).

    python benchmarks/persona_classify.py [--data PATH] [--speakers 12] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.personality.datasets import parse_speeches, stratified_split, top_speakers
from ml.personality.embeddings import embed
from ml.personality.learned import LearnedPersonality
from ml.personality.metrics import as_matrix, measure
from ml.personality.neural import NeuralPersonaSpace

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "shakespeare.txt"


def metrics_only_accuracy(train_m, train_y, test_m, test_y) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced")
    )
    clf.fit(as_matrix(train_m), train_y)
    return float(np.mean(clf.predict(as_matrix(test_m)) == np.array(test_y)))


def learned_accuracy(speakers, train_m, train_e, train_y, test_m, test_e, test_y) -> float:
    scores = []
    for speaker in speakers:
        mine = [i for i, y in enumerate(train_y) if y == speaker]
        rest = [i for i, y in enumerate(train_y) if y != speaker]
        persona = LearnedPersonality.from_features(
            speaker,
            [train_m[i] for i in mine],
            train_e[mine],
            [train_m[i] for i in rest],
            train_e[rest],
        )
        scores.append(persona.score_features(test_m, test_e))
    predicted = np.array(speakers)[np.array(scores).argmax(0)]
    return float(np.mean(predicted == np.array(test_y)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="plays file (NAME. / NAME: headings)"
    )
    parser.add_argument(
        "--speakers", type=int, default=12, help="how many top speakers to classify"
    )
    parser.add_argument(
        "--test-fraction", type=float, default=0.25, help="held-out share per speaker"
    )
    parser.add_argument("--seed", type=int, default=0, help="split and training seed")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    speeches = parse_speeches(args.data.read_text(encoding="utf-8"))
    speakers = top_speakers(speeches, args.speakers)
    chosen = [s for s in speeches if s.speaker in speakers]
    train_x, train_y, test_x, test_y = stratified_split(
        [s.text for s in chosen], [s.speaker for s in chosen], args.test_fraction, args.seed
    )
    train_m, test_m = measure(train_x), measure(test_x)
    train_e, test_e = embed(train_x), embed(test_x)
    featurised = time.perf_counter()

    result = {
        "benchmark": "persona_classify",
        "data": args.data.name,
        "speakers": len(speakers),
        "train_speeches": len(train_x),
        "test_speeches": len(test_x),
        "metrics_only": round(metrics_only_accuracy(train_m, train_y, test_m, test_y), 4),
        "learned": round(
            learned_accuracy(speakers, train_m, train_e, train_y, test_m, test_e, test_y), 4
        ),
    }
    space = NeuralPersonaSpace.fit_embeddings(train_e, train_y)
    sims = space.similarities_embeddings(test_e)
    predicted = np.array(space.labels)[sims.argmax(1)]
    result["neural"] = round(float(np.mean(predicted == np.array(test_y))), 4)
    result["chance"] = round(1.0 / len(speakers), 4)
    result["featurise_s"] = round(featurised - started, 1)
    result["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
