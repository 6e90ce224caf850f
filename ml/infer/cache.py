"""`ModelCache`: loaded engines kept for a long-lived worker, keyed by file and modification
time (a rewritten file is loaded afresh), within a memory budget, least recently used first out.
An optional `on_event(kind, path)` hears each "hit", "load" and "evict" (for the caller's metrics).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from ml.infer.engine import Engine


class ModelCache:
    """Thread-safe; `get` loads at most once per key even when threads ask together."""

    def __init__(self, budget_bytes: int, loader: Callable[..., Engine] = Engine.load,
                 on_event: Callable[[str, str], None] | None = None):
        if budget_bytes < 1:
            raise ValueError(f"budget_bytes must be positive, got {budget_bytes}")
        self.budget_bytes = budget_bytes
        self._loader = loader
        self._on_event = on_event or (lambda kind, path: None)
        self._engines: OrderedDict[tuple, Engine] = OrderedDict()  # oldest use first
        self._lock = threading.Lock()

    def get(self, path: str | os.PathLike, **load_options) -> Engine:
        """The engine for `path` (as it is on disk now), loading and evicting as needed.

        An engine bigger than the whole budget is still served, alone: refusing it would make
        the model unusable, while evicting everything else keeps the budget's intent."""
        resolved = Path(path).resolve()
        key = (str(resolved), os.stat(resolved).st_mtime_ns, tuple(sorted(load_options.items())))
        with self._lock:
            if key in self._engines:
                self._engines.move_to_end(key)
                self._on_event("hit", key[0])
                return self._engines[key]
            for stale in [k for k in self._engines if k[0] == key[0]]:
                del self._engines[stale]  # an older version of the same file
                self._on_event("evict", stale[0])
            engine = self._loader(resolved, **load_options)
            self._on_event("load", key[0])
            size = engine.memory_bytes()
            while self._engines and self.used_bytes() + size > self.budget_bytes:
                evicted, _ = self._engines.popitem(last=False)
                self._on_event("evict", evicted[0])
            self._engines[key] = engine
            return engine

    def used_bytes(self) -> int:
        return sum(engine.memory_bytes() for engine in self._engines.values())

    def paths(self) -> list[str]:
        """Cached files, least recently used first."""
        with self._lock:
            return [key[0] for key in self._engines]

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
