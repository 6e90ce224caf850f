"""Entity and relation extraction throughput (`ml.knowledge.extract`, spaCy's small English
pipeline with `nlp.pipe` batches) on the shared Shakespeare text, cut into chunks the way
documents are (about 160 words). Prints one JSON line: sentences/s, chunks/s and what was
found. Needs no database.

    python benchmarks/graph_extract.py [--data PATH] [--chars N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "shakespeare.txt"
CHUNK_WORDS = 160  # a collection's default chunk size


def chunks(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[i:i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--chars", type=int, default=300_000, help="how much of the text to read")
    parser.add_argument("--threads", type=int, default=1, help="torch/numpy threads")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    from ml.knowledge.extract import extract, nlp

    texts = chunks(args.data.read_text(encoding="utf-8")[:args.chars])
    nlp()  # loading is not extraction
    extract(texts[:4])
    started = time.perf_counter()
    found = extract(texts)
    seconds = time.perf_counter() - started
    sentences = sum(len(f.sentences) for f in found)
    print(json.dumps({
        "benchmark": "graph_extract", "chars": args.chars, "chunks": len(texts), "sentences": sentences,
        "entities": sum(len(f.entities) for f in found), "relations": sum(len(f.relations) for f in found),
        "seconds": round(seconds, 2), "sentences_per_s": round(sentences / seconds, 1),
        "chunks_per_s": round(len(texts) / seconds, 1), "load_average": round(os.getloadavg()[0], 1),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
