"""Continuous batching: many requests decoded together, each in its own row (slot) of the
static KV cache, joining and leaving between steps.

Each step first prefills newly arrived prompts into free slots, then decodes one token for every
running sequence in a single forward over cache rows 0..n-1 (each row at its own position; the
rows of free slots carry a harmless dummy token). Prompts and decode steps run in the native
kernels when the engine provides them (`NativeDecoder`), else as PyTorch forwards; a prompt is
prefilled on its own, so its numbers never depend on what else is running. A finished, stopped
or abandoned sequence frees its slot at once. The cache grows in powers of two up to
`max_seq_len`, so short chats attend over a short cache instead of the model's whole context.

`submit` is thread-safe and returns an iterator of `Delta`s; a worker thread steps the batch
while there is work and exits after idling for IDLE_LINGER_S. Tests drive `add` and `step`
directly.

With `compile_decode` the PyTorch decode step runs through `torch.compile` (dynamic shapes:
one graph serves every batch size; each cache length compiles once). It is meant for GPUs,
where an eager step launches many small kernels per layer and compiling fuses them
(benchmarks/gpu_check.py times both). Prompts stay eager: their lengths vary too much.
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from tokenizers import Tokenizer
from torch import nn

from ml.infer.generate import RowSampling, decode_one, prefill, sample_rows
from ml.infer.native import NativeDecoder
from ml.infer.sampling import SamplingParams
from ml.infer.steering import Steering
from ml.infer.text import IncrementalDecoder, StopStrings

MIN_CACHE_LEN = 256  # smallest cache allocated; growing below this saves too little to matter
IDLE_LINGER_S = 30.0  # an idle decode thread waits this long for new work before exiting
_LIVE: weakref.WeakSet[BatchScheduler] = weakref.WeakSet()  # schedulers with a worker to stop


@atexit.register
def _stop_workers() -> None:
    # Decode threads are daemons; one still inside a torch or kernel call, or exiting, when
    # the interpreter tears down aborts the process ("terminate called without an active
    # exception"). Closing waits for the step under way and leaves the thread parked.
    for scheduler in list(_LIVE):
        scheduler.close()


@dataclass(frozen=True)
class Request:
    """One generation, already tokenized and with its settings resolved."""

    prompt_ids: tuple[int, ...]  # the full prompt, chat markup included
    params: SamplingParams  # how each token is picked
    max_tokens: int  # generated tokens at most (finish_reason "length")
    stop: tuple[str, ...] = ()  # text that ends the generation, itself never emitted
    stop_token_ids: frozenset[int] = frozenset()  # ids that end it (end of sequence/turn)
    seed: int | None = None  # a private random stream, for reproducible sampling
    steering_strength: float = 0.0  # multiple of the personality steering vectors to add
    # The same for the prompt's positions (the prefill); None = steering_strength.
    prompt_steering_strength: float | None = None


@dataclass(frozen=True)
class Delta:
    """What one generated token added to the text."""

    text: str  # new text; may be "" while a multi-byte character or a possible stop is held
    token_count: int  # tokens generated so far, this one included
    finish_reason: str | None  # None while running, then "stop" (stop text/token) or "length"
    token_id: int  # the token sampled


class _Failure:
    """An exception raised while stepping, carried to the waiting consumer."""

    def __init__(self, error: BaseException):
        self.error = error


class DeltaStream:
    """Iterator over one request's deltas; leaving the loop early cancels the request."""

    def __init__(self):
        self._queue: queue.Queue = queue.Queue()
        self.cancelled = False

    def put(self, item) -> None:
        self._queue.put(item)

    def cancel(self) -> None:
        self.cancelled = True

    def __iter__(self) -> Iterator[Delta]:
        try:
            while True:
                item = self._queue.get()
                if isinstance(item, _Failure):
                    raise item.error
                yield item
                if item.finish_reason is not None:
                    return
        finally:
            self.cancel()


@dataclass(frozen=True)
class BatchUsage:
    sequences: int  # requests decoding together now
    max_batch: int  # requests the batch can hold
    cached_positions: int  # token positions the running requests hold in the KV cache
    allocated_positions: int  # positions the KV cache has room for, over every row


@dataclass
class _Sequence:
    request: Request
    stream: DeltaStream
    decoder: IncrementalDecoder
    stops: StopStrings
    slot: int = -1
    position: int = 0  # where the next fed token goes in the cache
    last_token: int = 0  # sampled, not yet fed
    generated: int = 0
    generator: torch.Generator | None = None
    context: torch.Tensor | None = field(default=None, repr=False)  # view of the context buffer


class BatchScheduler:
    """Decodes up to `max_batch` sequences of at most `max_seq_len` tokens together."""

    def __init__(self, model: nn.Module, tokenizer: Tokenizer, *, max_batch: int,
                 max_seq_len: int, device: torch.device, dtype: torch.dtype,
                 steering: Steering | None = None, native: NativeDecoder | None = None,
                 compile_decode: bool = False):
        self.model, self.tokenizer = model, tokenizer
        self.native = native  # runs prompts and decode steps when given, else `model`
        # What the PyTorch decode step calls; the same weights and caches as `model`.
        self.decode_model = torch.compile(model, dynamic=True) if compile_decode else model
        self.max_batch, self.max_seq_len = max_batch, max_seq_len
        self.device, self.dtype = device, dtype
        self.steering = steering
        self._capacity = 0  # current cache length
        # Every id each slot has seen, for the repetition penalty; unused tail entries repeat
        # the row's first id, which is already seen, so they change nothing.
        self._context = torch.zeros(max_batch, max_seq_len, dtype=torch.long, device=device)
        self._pending: deque[_Sequence] = deque()
        self._running: dict[int, _Sequence] = {}  # slot -> sequence
        self._lock = threading.Lock()  # guards _pending and _worker
        self._step_lock = threading.Lock()  # one stepping thread at a time
        self._worker: threading.Thread | None = None
        self._wake = threading.Condition(self._lock)  # signalled when work arrives
        self._closed = False

    # -- submitting ------------------------------------------------------------------------
    def add(self, request: Request) -> DeltaStream:
        """Queue a request for the next step (no worker is started)."""
        if not request.prompt_ids:
            raise ValueError("the prompt is empty: generation needs at least one token")
        if len(request.prompt_ids) + request.max_tokens > self.max_seq_len:
            raise ValueError(f"{len(request.prompt_ids)} prompt tokens + {request.max_tokens} "
                             f"new tokens exceed max_seq_len {self.max_seq_len}")
        sequence = _Sequence(request, DeltaStream(), IncrementalDecoder(self.tokenizer),
                             StopStrings(request.stop))
        if request.seed is not None:
            sequence.generator = torch.Generator(device=self.device).manual_seed(request.seed)
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is shutting down")
            self._pending.append(sequence)
        return sequence.stream

    def submit(self, request: Request) -> DeltaStream:
        """Queue a request and make sure a worker thread is stepping; thread-safe."""
        stream = self.add(request)
        with self._lock:
            if self._worker is None:
                _LIVE.add(self)
                self._worker = threading.Thread(target=self._work, name="sloughgpt-decode",
                                                daemon=True)
                self._worker.start()
            self._wake.notify()
        return stream

    def _has_work(self) -> bool:
        return not self._closed and bool(self._pending or self._running)

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._has_work():
                    # Linger before exiting: the next burst of work skips starting a thread
                    # (and its OpenMP team), and at interpreter exit the thread is parked
                    # here rather than tearing down, which can abort the process.
                    self._wake.wait(IDLE_LINGER_S)
                    if not self._has_work():
                        self._worker = None
                        return
            self.step()

    def close(self) -> None:
        """Finish the step under way, then end every request with an error and take no more."""
        with self._lock:
            self._closed = True  # a parked worker is not woken: it leaves when its wait ends
        with self._step_lock:
            self._fail_all(RuntimeError("the engine shut down before the reply finished"))

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._pending and not self._running

    def usage(self) -> BatchUsage:
        """How full the batch and its KV cache are now (read without stopping the steps, so
        it may be a step old). A cancelled request counts no more, though its slot is freed
        only at the next step: an engine left idle by a cancel reports its true use."""
        running = [seq for seq in list(self._running.values()) if not seq.stream.cancelled]
        return BatchUsage(sequences=len(running), max_batch=self.max_batch,
                          cached_positions=sum(seq.position for seq in running),
                          allocated_positions=self._capacity * self.max_batch)

    # -- stepping --------------------------------------------------------------------------
    @torch.inference_mode()
    def step(self) -> None:
        """Admit waiting requests into free slots, then decode one token for every sequence."""
        with self._step_lock:
            if self._closed:
                return
            try:
                self._drop_cancelled()
                self._admit()
                if self._running:
                    self._decode()
            except Exception as exc:  # noqa: BLE001 - every waiting consumer must hear of it
                self._fail_all(exc)

    def _drop_cancelled(self) -> None:
        for slot in [s for s, seq in self._running.items() if seq.stream.cancelled]:
            del self._running[slot]

    def _admit(self) -> None:
        while len(self._running) < self.max_batch:
            with self._lock:
                if not self._pending:
                    return
                sequence = self._pending.popleft()
            if sequence.stream.cancelled:
                continue
            sequence.slot = min(set(range(self.max_batch)) - set(self._running))
            self._running[sequence.slot] = sequence
            self._prefill(sequence)

    def _prefill(self, sequence: _Sequence) -> None:
        request = sequence.request
        prompt = torch.tensor(request.prompt_ids, device=self.device)  # (T,)
        length = prompt.numel()
        self._ensure_capacity(length)
        row = self._context[sequence.slot]
        row.fill_(request.prompt_ids[0])
        row[:length] = prompt
        sequence.context = row[:length]
        strength = (request.steering_strength if request.prompt_steering_strength is None
                    else request.prompt_steering_strength)
        if self.native is not None:
            logits = self.native.prefill(request.prompt_ids, sequence.slot, strength)
        else:
            if self.steering is not None:
                self.steering.set_strengths([strength])
            logits = prefill(self.model, prompt, sequence.slot)  # (1, V)
        sequence.position = length
        token = sample_rows(logits, [self._row_sampling(sequence)])
        self._accept([sequence], token)

    def _decode(self) -> None:
        sequences = sorted(self._running.values(), key=lambda s: s.slot)
        rows = sequences[-1].slot + 1
        tokens, positions, strengths = [0] * rows, [0] * rows, [0.0] * rows
        for seq in sequences:
            tokens[seq.slot] = seq.last_token
            positions[seq.slot] = seq.position
            strengths[seq.slot] = seq.request.steering_strength
        self._ensure_capacity(max(positions) + 1)
        if self.native is not None:
            logits = self.native.decode(tokens, positions, strengths)  # (rows, V)
        else:
            if self.steering is not None:
                self.steering.set_strengths(strengths)
            step_tokens = torch.tensor(tokens, device=self.device).view(rows, 1)
            step_positions = torch.tensor(positions, device=self.device).view(rows, 1)
            logits = decode_one(self.decode_model, step_tokens, step_positions)  # (rows, V)
        for seq in sequences:
            seq.position += 1
        if len(sequences) < rows:
            logits = logits[torch.tensor([s.slot for s in sequences], device=self.device)]
        sampled = sample_rows(logits, [self._row_sampling(s) for s in sequences])
        self._accept(sequences, sampled)

    def _row_sampling(self, sequence: _Sequence) -> RowSampling:
        context = None
        if sequence.request.params.repetition_penalty != 1.0:
            context = self._context[sequence.slot, :sequence.position]
        return RowSampling(sequence.request.params, sequence.generator, context)

    def _accept(self, sequences: list[_Sequence], sampled: torch.Tensor) -> None:
        """Record each sequence's new token and stream it; free the slots of finished ones."""
        if any(s.request.params.repetition_penalty != 1.0 for s in sequences):
            slots = torch.tensor([s.slot for s in sequences], device=self.device)
            positions = torch.tensor([s.position for s in sequences], device=self.device)
            self._context[slots, positions] = sampled
        for sequence, token in zip(sequences, sampled.tolist(), strict=True):  # the one sync
            delta = self._emit(sequence, token)
            if delta.finish_reason is not None:
                # Out of the batch before its reader hears of the end, so usage() read then
                # no longer counts it.
                del self._running[sequence.slot]
            sequence.stream.put(delta)

    def _emit(self, sequence: _Sequence, token: int) -> Delta:
        """One token's delta for the stream; its finish_reason is set when the sequence ends."""
        request = sequence.request
        sequence.generated += 1
        sequence.last_token = token
        if token in request.stop_token_ids:
            text, reason = sequence.stops.flush(), "stop"
        else:
            text, stopped = sequence.stops.push(sequence.decoder.push(token))
            reason = "stop" if stopped else None
            if reason is None and sequence.generated >= request.max_tokens:
                tail, stopped = sequence.stops.push(sequence.decoder.flush())
                text += tail if stopped else tail + sequence.stops.flush()
                reason = "stop" if stopped else "length"
        return Delta(text, sequence.generated, reason, token)

    def _ensure_capacity(self, needed: int) -> None:
        """Grow every layer's cache to hold `needed` positions, keeping what is written."""
        if needed <= self._capacity:
            return
        size = min(self.max_seq_len, max(MIN_CACHE_LEN, 1 << (needed - 1).bit_length()))
        old = [(layer.kv_cache.k_cache, layer.kv_cache.v_cache) if layer.kv_cache else None
               for layer in self.model.attention_layers()]
        self.model.setup_caches(self.max_batch, size, dtype=self.dtype, device=self.device)
        for layer, kept in zip(self.model.attention_layers(), old, strict=True):
            if kept is not None:
                layer.kv_cache.k_cache[:, :, :self._capacity] = kept[0]
                layer.kv_cache.v_cache[:, :, :self._capacity] = kept[1]
        self._capacity = size

    def _fail_all(self, error: Exception) -> None:
        with self._lock:
            failed = list(self._running.values()) + list(self._pending)
            self._pending.clear()
        self._running.clear()
        for sequence in failed:
            sequence.stream.put(_Failure(error))
