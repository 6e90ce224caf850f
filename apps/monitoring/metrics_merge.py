"""Adding up the multi-process metrics folder for /metrics, fast enough for many model versions
and worker processes (benchmarks/monitoring_overhead.py scrapes 100 versions x 10 processes).

prometheus-client's MultiProcessCollector parses every file from scratch at each scrape (each
entry's JSON key, one Sample per process and series, then sums them): about 300,000 entries for
that benchmark. Its files only grow, by appending entries (a value never moves once written),
so `FolderMerge` keeps, per file, the series of each entry and where its value lies, parses only
what was appended since the last scrape, and adds the processes' values up with numpy. It gives
the families MultiProcessCollector gives for counters, summaries and histograms (histogram
buckets made cumulative, `_count` from them); gauge files, a few entries per process whose
modes keep pids or pick one value, still go through MultiProcessCollector.

The file layout read here is prometheus_client.mmap_dict's: a 4-byte count of bytes used, 4 bytes
of padding, then entries of a 4-byte key length, the UTF-8 key padded to 8 bytes, and the value
and its timestamp as two doubles."""

from __future__ import annotations

import glob
import json
import os
import struct
import threading
from dataclasses import dataclass, field

import numpy as np
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

_INT = struct.Struct("i")
HEADER_BYTES = 8
DOUBLE_BYTES = 8


class CorruptMetricsFile(RuntimeError):
    """An entry runs past the bytes its file says are used."""


def _entries(data: bytes, start: int, used: int):
    """(key, index of its value in doubles) of each entry in data[start:used]."""
    pos = start
    while pos < used:
        length = _INT.unpack_from(data, pos)[0]
        if length < 0 or pos + 4 + length + 2 * DOUBLE_BYTES > used:
            raise CorruptMetricsFile(f"entry at byte {pos} runs past the {used} bytes used")
        key = data[pos + 4:pos + 4 + length].decode("utf-8")
        pos += 4 + length + (8 - (length + 4) % 8)
        yield key, pos // DOUBLE_BYTES
        pos += 2 * DOUBLE_BYTES


@dataclass
class _File:
    """What is known of one process's file: its series and value places, up to `parsed` bytes."""

    inode: int
    parsed: int = HEADER_BYTES
    series: list[int] = field(default_factory=list)
    places: list[int] = field(default_factory=list)
    arrays: tuple[np.ndarray, np.ndarray] | None = None  # (series, places), rebuilt as it grows


@dataclass(frozen=True)
class _Series:
    kind: str  # the file's type: counter, summary or histogram
    family: str
    sample: str
    labels: tuple[tuple[str, str], ...]  # sorted
    help: str


@dataclass
class _Plan:
    """How the summed series become families; rebuilt only when a new series appears."""

    series_count: int
    buckets: np.ndarray  # series index of every histogram bucket, grouped by series, le ascending
    ends: np.ndarray  # index in `buckets` after each group's last bucket
    families: list[tuple[str, str, str, list[tuple[str, dict[str, str]]]]]  # name, help, type, samples
    indexes: np.ndarray  # every sample's index into the value vector, in family order
    sources: np.ndarray  # every sample's series (a bucket's; a count's last bucket's)


def _plan(table: list[_Series]) -> _Plan:
    """Families in name order; a histogram's series each as its buckets (le ascending, made
    cumulative), `_count` (all of them) and `_sum`. The value vector a scrape fills is
    [the series' totals, the cumulative buckets, the histograms' counts]."""
    by_family: dict[str, list[int]] = {}
    for index, series in enumerate(table):
        by_family.setdefault(series.family, []).append(index)
    buckets: list[int] = []
    ends: list[int] = []
    layouts = []  # (name, help, type, [(sample name, labels, ("total" | "bucket" | "count", i))])
    for name in sorted(by_family):
        first = table[by_family[name][0]]
        if first.kind != "histogram":
            samples = [(table[i].sample, dict(table[i].labels), ("total", i)) for i in by_family[name]]
            layouts.append((name, first.help, first.kind, samples))
            continue
        groups: dict[tuple, list[tuple[float, int]]] = {}
        others: dict[tuple, list[int]] = {}
        for i in by_family[name]:
            labels = dict(table[i].labels)
            if "le" in labels:
                le = float(labels.pop("le"))
                groups.setdefault(tuple(sorted(labels.items())), []).append((le, i))
            else:
                others.setdefault(table[i].labels, []).append(i)
        samples = []
        for labels in sorted(set(groups) | set(others)):
            for le, i in sorted(groups.get(labels, [])):
                samples.append((f"{name}_bucket", {**dict(labels), "le": floatToGoString(le)},
                                ("bucket", len(buckets))))
                buckets.append(i)
            if labels in groups:
                samples.append((f"{name}_count", dict(labels), ("count", len(ends))))
                ends.append(len(buckets))
            samples.extend((table[i].sample, dict(labels), ("total", i)) for i in others.get(labels, []))
        layouts.append((name, first.help, first.kind, samples))
    offsets = {"total": 0, "bucket": len(table), "count": len(table) + len(buckets)}
    families, indexes, sources = [], [], []
    for name, help_text, kind, samples in layouts:
        families.append((name, help_text, kind, [(sample, labels) for sample, labels, _ in samples]))
        for _, _, (part, i) in samples:
            indexes.append(offsets[part] + i)
            sources.append(i if part == "total" else buckets[i] if part == "bucket" else buckets[ends[i] - 1])
    return _Plan(len(table), np.array(buckets, dtype=np.int64), np.array(ends, dtype=np.int64),
                 families, np.array(indexes, dtype=np.int64), np.array(sources, dtype=np.int64))


def _cumulative(totals: np.ndarray, plan: _Plan) -> tuple[np.ndarray, np.ndarray]:
    """(every histogram bucket's cumulative count, each histogram series' count): one running
    sum over all buckets, less what the groups before each group added up to."""
    running = np.cumsum(totals[plan.buckets])
    if not len(plan.ends):
        return running, np.zeros(0)
    starts = np.concatenate(([0], plan.ends[:-1]))
    before = np.concatenate(([0.0], running[plan.ends[:-1] - 1]))
    cumulative = running - np.repeat(before, plan.ends - starts)
    return cumulative, cumulative[plan.ends - 1]


class FolderMerge:
    """The collector /metrics scrapes for one PROMETHEUS_MULTIPROC_DIR; kept between scrapes."""

    def __init__(self, path: str):
        self.path = path
        self.files: dict[str, _File] = {}
        self.index: dict[str, int] = {}  # the JSON key of a series -> its place in `table`
        self.table: list[_Series] = []
        self.plan: _Plan | None = None
        self.lock = threading.Lock()

    def collect(self):
        with self.lock:
            paths = glob.glob(os.path.join(self.path, "*.db"))
            gauges = [path for path in paths if os.path.basename(path).startswith("gauge_")]
            families = self._summed(sorted(set(paths) - set(gauges)))
        yield from families
        yield from MultiProcessCollector.merge(gauges, accumulate=True)

    def _read(self, path: str) -> tuple[_File, bytes] | None:
        try:
            with open(path, "rb") as file:
                inode = os.fstat(file.fileno()).st_ino
                data = file.read(HEADER_BYTES)
                used = _INT.unpack_from(data, 0)[0] if len(data) == HEADER_BYTES else 0
                data += file.read(max(used - len(data), 0))
        except FileNotFoundError:  # removed since the folder was listed
            return None
        known = self.files.get(path)
        if known is None or known.inode != inode or used < known.parsed:
            known = self.files[path] = _File(inode)
        if used > known.parsed:
            kind = os.path.basename(path).split("_")[0]
            for key, place in _entries(data, known.parsed, min(used, len(data))):
                known.series.append(self._series(key, kind))
                known.places.append(place)
            known.parsed, known.arrays = used, None
        if known.arrays is None:
            known.arrays = (np.array(known.series, dtype=np.int64), np.array(known.places, dtype=np.int64))
        return known, data

    def _series(self, key: str, kind: str) -> int:
        index = self.index.get(key)
        if index is None:
            family, sample, labels, help_text = json.loads(key)
            index = self.index[key] = len(self.table)
            self.table.append(_Series(kind, family, sample, tuple(sorted(labels.items())), help_text))
        return index

    def _summed(self, paths: list[str]) -> list[Metric]:
        series, values = [], []
        for path in paths:
            read = self._read(path)
            if read is None:
                continue
            known, data = read
            doubles = np.frombuffer(data, dtype=np.float64, count=len(data) // DOUBLE_BYTES)
            series.append(known.arrays[0])
            values.append(doubles[known.arrays[1]])
        for path in set(self.files) - set(paths):  # files removed from the folder
            del self.files[path]
        if self.plan is None or self.plan.series_count != len(self.table):
            self.plan = _plan(self.table)
        plan = self.plan
        series_all = np.concatenate(series) if series else np.zeros(0, dtype=np.int64)
        values_all = np.concatenate(values) if values else np.zeros(0)
        totals = np.bincount(series_all, weights=values_all, minlength=len(self.table))
        cumulative, counts = _cumulative(totals, plan)
        sample_values = iter(np.concatenate((totals, cumulative, counts))[plan.indexes].tolist())
        # Series no file in the folder holds now (their files were removed) are left out.
        held = iter((np.bincount(series_all, minlength=len(self.table)) > 0)[plan.sources].tolist())
        families = []
        for name, help_text, kind, samples in plan.families:
            family = Metric(name, help_text, kind)
            family.samples = [Sample(sample_name, labels, value)
                              for (sample_name, labels), value, kept in zip(samples, sample_values, held)
                              if kept]
            if family.samples:
                families.append(family)
        return families


_merges: dict[str, FolderMerge] = {}
_merges_lock = threading.Lock()


def folder_merge(path: str) -> FolderMerge:
    """The (kept) collector of the metrics folder `path`."""
    with _merges_lock:
        if path not in _merges:
            _merges[path] = FolderMerge(path)
        return _merges[path]
