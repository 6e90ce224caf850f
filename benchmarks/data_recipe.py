"""Data recipe throughput, memory and dedup quality against Hugging Face `datasets` +
`datasketch`. Prints one JSON line.

    python benchmarks/data_recipe.py [--size-mb 200] [--text ../shared/data/shakespeare.txt]

The corpus (JSON lines, built once and kept under --work) is documents of 10-30 random lines
of the plays (about 1 KB each), with injected records: exact copies of earlier documents (5%,
some with other case and spacing), near copies (5%: about one word in 80 replaced, a word
upper-cased, punctuation changed; Jaccard of word 3-grams about 0.92 and up), PII lines
(3%: e-mail, phone, IP, a Luhn-valid card), short documents (1%) and French/German/Spanish
ones (1%). Both sides run the same recipe: normalize -> length filter (>= 200 chars) ->
language filter (en) -> exact dedup -> near dedup (Jaccard 0.8, 128 permutations, word
3-grams) -> PII scrub -> split 90/5/5, writing JSON lines. Ours runs the record-by-record
steps at the start (normalize, length, language) in one worker process beside the one that
reads, deduplicates and writes (two processes for two cores, as the CLI runs it), and again
in a single process (workers=0, as the web app's worker runs a recipe), reported beside it as
`single_process_*`. The reference uses `datasets`
map/filter with num_proc=2 (the normalize and PII functions are ours, so only the framework
and the dedup differ), py3langid per record, datasketch MinHash + MinHashLSH. Each side runs
in its own process; peak RSS is the peak of that process's and its workers' summed RSS.
Goals: >= 1.5x the reference's MB/s, peak RSS <= 500 MB at any size, near-dup recall >= 0.95
at precision >= 0.95."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_TEXT = ROOT.parent / "shared" / "data" / "shakespeare.txt"
SPEED_GOAL, RSS_GOAL_MB, QUALITY_GOAL = 1.5, 500, 0.95
MIN_CHARS, LANGUAGES, THRESHOLD, NUM_PERM, NGRAM = 200, ["en"], 0.8, 128, 3
RECIPE = {
    "steps": [
        {"type": "normalize"},
        {"type": "length_filter", "unit": "chars", "min": MIN_CHARS},
        {"type": "language_filter", "languages": LANGUAGES},
        {"type": "dedup_exact"},
        {"type": "dedup_near", "threshold": THRESHOLD, "num_perm": NUM_PERM, "ngram": NGRAM},
        {"type": "pii_scrub"},
        {"type": "split", "train": 0.9, "validation": 0.05, "test": 0.05, "seed": 0},
    ]
}
FOREIGN = [
    "Le roi est mort, vive le roi, et toute la cour se rassemble dans la grande salle du château.",
    "Nous partirons demain matin avant le lever du soleil pour traverser la forêt et la rivière.",
    "Elle a toujours pensé que la vérité finirait par apparaître au grand jour malgré tout.",
    "Der König sitzt in seinem Schloss und wartet auf die Nachricht aus dem fernen Land.",
    "Wir haben lange darüber gesprochen, aber niemand wusste, was am nächsten Tag geschehen würde.",
    "Die Kinder spielten im Garten, während die Eltern in der Küche das Abendessen vorbereiteten.",
    "El caballero cabalgó durante toda la noche para llegar al castillo antes del amanecer.",
    "Nadie sabía por qué la reina había decidido abandonar la ciudad sin decir una palabra.",
    "Las campanas de la iglesia sonaron cuando el pueblo entero salió a las calles a celebrar.",
]


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in KiB."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(_tree_rss_kb(int(child)) for child in f.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


class PeakRss:
    """Samples the whole process tree (this process and its workers) every 0.1 s: the peak
    of their summed RSS, and the largest single process's peak (ru_maxrss) as a floor."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid()))

    def stop_mb(self) -> float:
        self._stop.set()
        self._thread.join()
        single = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        return max(self.peak_kb, single) / 1024


# --- the corpus --------------------------------------------------------------------------


def _card(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(15)]
    total = sum(
        d if i % 2 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits))
    )
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + 4] for i in range(0, 16, 4))


def _near_copy(text: str, vocab: list[str], rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(max(1, len(words) // 80)):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    j = rng.randrange(len(words))
    words[j] = words[j].upper()
    out = " ".join(words)
    return out.replace(",", ";", 1) if "," in out else out + "!"


def build_corpus(text_path: Path, size_mb: int, out: Path, seed: int = 0) -> None:
    rng = random.Random(seed)
    lines = [
        ln.strip()
        for ln in text_path.read_text(encoding="utf-8").splitlines()
        if len(ln.split()) >= 4
    ]
    vocab = sorted({w for ln in lines for w in ln.split() if w.isalpha() and len(w) > 3})
    originals: list[str] = []  # recent documents to copy from
    target = size_mb * 1_000_000
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        n = 0
        while written < target:
            roll = rng.random()
            if roll < 0.05 and originals:
                kind, text = "exact", rng.choice(originals)
                if rng.random() < 0.5:
                    text = "  " + text.upper() + "  "
            elif roll < 0.10 and originals:
                kind, text = "near", _near_copy(rng.choice(originals), vocab, rng)
            elif roll < 0.11:
                kind, text = "short", rng.choice(lines)[: MIN_CHARS - 10]
            elif roll < 0.12:
                kind, text = (
                    "foreign",
                    " ".join(rng.sample(FOREIGN[rng.randrange(3) * 3 :][:3], 3)) + f" {n}",
                )
            else:
                kind, text = "orig", "\n".join(rng.sample(lines, rng.randint(10, 30)))
                if rng.random() < 0.03:
                    pii = (
                        f"Write to user{n}@example.org or call +1 (555) {rng.randrange(100, 999)}-"
                        f"{rng.randrange(1000, 9999)}; host 10.{rng.randrange(256)}.{rng.randrange(256)}."
                        f"{rng.randrange(1, 255)}; card {_card(rng)}."
                    )
                    text += "\n" + pii
                originals.append(text)
                if len(originals) > 20_000:
                    originals[rng.randrange(len(originals))] = originals.pop()
            line = json.dumps({"id": n, "kind": kind, "text": text}, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode("utf-8"))
            n += 1


def injected(corpus: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.setdefault(r["kind"], set()).add(r["id"])
    return out


# --- the two implementations ---------------------------------------------------------------


def run_ours(corpus: Path, out_dir: Path, workers: int) -> dict:
    from ml.data.pipeline import RecipeInput, parse_recipe, run_recipe

    removed: dict[str, set[int]] = {}

    def on_drop(step: int, record: dict, reason: str) -> None:
        removed.setdefault(RECIPE["steps"][step]["type"], set()).add(record["id"])

    started = time.perf_counter()
    report = run_recipe(
        parse_recipe(RECIPE), [RecipeInput(corpus)], out_dir, on_drop=on_drop, workers=workers
    )
    seconds = time.perf_counter() - started
    near = report.steps[4].stats
    return {
        "seconds": seconds,
        "removed": {k: sorted(v) for k, v in removed.items()},
        "outputs": report.outputs,
        "clusters": near["clusters"],
        "bands": [near["bands"], near["rows"]],
    }


def _ref_steps():
    from datasketch import MinHash
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from ml.data.pipeline.minhash import shingles
    from ml.data.pipeline.ops_dedup import exact_key
    from ml.data.pipeline.ops_text import NormalizeOp, PiiScrubOp
    from ml.data.pipeline.recipe import Normalize, PiiScrub
    from ml.data.pipeline.report import ErrorLog, StepReport

    normalize = NormalizeOp(Normalize(), None).text
    scrub = PiiScrubOp(PiiScrub(), StepReport(0, "pii_scrub", ErrorLog())).text

    identify = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True).classify

    def language(batch):
        return [identify(t)[0] in LANGUAGES for t in batch["text"]]

    def minhash(batch):
        sigs = []
        for t in batch["text"]:
            m = MinHash(num_perm=NUM_PERM)
            m.update_batch(list(shingles(t, NGRAM)))
            sigs.append(m.hashvalues.tolist())
        return {"hv": sigs}

    return {
        "normalize": lambda b: {"text": [normalize(t) for t in b["text"]]},
        "length": lambda b: [len(t) >= MIN_CHARS for t in b["text"]],
        "language": language,
        "key": lambda b: {"key": [format(exact_key(t), "016x") for t in b["text"]]},
        "minhash": minhash,
        "pii": lambda b: {"text": [scrub(t) for t in b["text"]]},
    }


def run_reference(corpus: Path, out_dir: Path, cache: Path) -> dict:
    import datasets
    import numpy as np
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    datasets.disable_progress_bars()
    f = _ref_steps()
    started = time.perf_counter()
    ds = datasets.load_dataset("json", data_files=str(corpus), split="train", cache_dir=str(cache))
    ds = ds.map(f["normalize"], batched=True, num_proc=2)
    ds = ds.filter(f["length"], batched=True, num_proc=2)
    ds = ds.filter(f["language"], batched=True, num_proc=2)
    total = len(
        datasets.load_dataset("json", data_files=str(corpus), split="train", cache_dir=str(cache))
    )
    passed = np.zeros(total, dtype=bool)
    passed[np.asarray(ds["id"])] = True
    ds = ds.map(f["key"], batched=True, num_proc=2)
    seen: set[str] = set()
    keep = []
    removed = {"filters": np.flatnonzero(~passed).tolist(), "dedup_exact": [], "dedup_near": []}
    for batch in ds.select_columns(["id", "key"]).iter(batch_size=10_000):
        for rid, key in zip(batch["id"], batch["key"]):
            if key in seen:
                removed["dedup_exact"].append(rid)
                keep.append(False)
            else:
                seen.add(key)
                keep.append(True)
    ds = ds.select(np.flatnonzero(keep)).remove_columns("key").flatten_indices()
    ds = ds.map(f["minhash"], batched=True, num_proc=2)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    scheme = MinHash(num_perm=NUM_PERM).scheme
    keep = []
    for batch in ds.select_columns(["id", "hv"]).iter(batch_size=10_000):
        for rid, hv in zip(batch["id"], batch["hv"]):
            m = LeanMinHash(seed=1, hashvalues=np.array(hv, dtype=np.uint64), scheme=scheme)
            if lsh.query(m):
                removed["dedup_near"].append(rid)
                keep.append(False)
            else:
                lsh.insert(rid, m)
                keep.append(True)
    ds = ds.select(np.flatnonzero(keep)).remove_columns("hv").flatten_indices()
    ds = ds.map(f["pii"], batched=True, num_proc=2)
    first = ds.train_test_split(test_size=0.1, seed=0)
    second = first["test"].train_test_split(test_size=0.5, seed=0)
    parts = {"train": first["train"], "validation": second["train"], "test": second["test"]}
    for name, part in parts.items():
        part.to_json(str(out_dir / f"{name}.jsonl"), lines=True, force_ascii=False)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "removed": removed,
        "outputs": {k: len(v) for k, v in parts.items()},
    }


# --- measuring --------------------------------------------------------------------------


def quality(result: dict, kinds: dict[str, set[int]]) -> dict:
    removed = {k: set(v) for k, v in result["removed"].items()}
    filtered = (
        removed.get("length_filter", set())
        | removed.get("language_filter", set())
        | removed.get("filters", set())
    )
    dups = (kinds.get("exact", set()) | kinds.get("near", set())) - filtered
    near = kinds.get("near", set()) - filtered
    by_dedup = removed.get("dedup_exact", set()) | removed.get("dedup_near", set())
    by_near = removed.get("dedup_near", set())

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    return {
        "dedup_precision": ratio(len(by_dedup & dups), len(by_dedup)),
        "dedup_recall": ratio(len(by_dedup & dups), len(dups)),
        "near_precision": ratio(len(by_near & (dups | near)), len(by_near)),
        "near_recall": ratio(len(by_near & near), len(near - removed.get("dedup_exact", set()))),
    }


def child(args: argparse.Namespace) -> None:
    out = Path(tempfile.mkdtemp(prefix=f"recipe-{args.impl}-", dir=args.work))
    rss = PeakRss()
    try:
        if args.impl == "ours":
            result = run_ours(args.corpus, out, args.workers)
        else:
            result = run_reference(args.corpus, out, out / "cache")
        result["peak_rss_mb"] = rss.stop_mb()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT)
    parser.add_argument(
        "--work",
        type=Path,
        default=ROOT / "var" / "bench-recipe",
        help="where the corpus is kept and outputs are written (removed after)",
    )
    parser.add_argument("--skip-reference", action="store_true", help="measure ours only")
    parser.add_argument("--impl", choices=["ours", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.impl:
        return child(args)
    corpus = args.work / f"corpus-{args.size_mb}mb.jsonl"
    if not corpus.exists():
        build_corpus(args.text, args.size_mb, corpus.with_suffix(".partial"))
        corpus.with_suffix(".partial").rename(corpus)
    mb = corpus.stat().st_size / 1e6
    kinds = injected(corpus)

    def measure(impl: str, workers: int = 1) -> dict:
        cmd = [
            sys.executable,
            __file__,
            "--impl",
            impl,
            "--corpus",
            str(corpus),
            "--work",
            str(args.work),
            "--workers",
            str(workers),
        ]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    ours = measure("ours")
    single = measure("ours", workers=0)
    line = {
        "benchmark": "data_recipe",
        "input_mb": round(mb, 1),
        "records": sum(len(v) for v in kinds.values()),
        "mb_per_s": round(mb / ours["seconds"], 2),
        "peak_rss_mb": round(ours["peak_rss_mb"]),
        "single_process_mb_per_s": round(mb / single["seconds"], 2),
        "single_process_peak_rss_mb": round(single["peak_rss_mb"]),
        "clusters": ours["clusters"],
        **quality(ours, kinds),
        "outputs": ours["outputs"],
    }
    if not args.skip_reference:
        ref = measure("reference")
        ref_quality = quality(ref, kinds)
        line.update(
            {
                "ref_mb_per_s": round(mb / ref["seconds"], 2),
                "ref_peak_rss_mb": round(ref["peak_rss_mb"]),
                "speed_ratio": round(ref["seconds"] / ours["seconds"], 2),
                "single_process_speed_ratio": round(ref["seconds"] / single["seconds"], 2),
                **{f"ref_{k}": v for k, v in ref_quality.items()},
            }
        )
    line["goals"] = {
        "speed_ratio": SPEED_GOAL,
        "peak_rss_mb": RSS_GOAL_MB,
        "near_recall": QUALITY_GOAL,
        "near_precision": QUALITY_GOAL,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
