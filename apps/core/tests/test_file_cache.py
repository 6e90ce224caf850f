"""The worker's cache of stored objects: least recently used copies go first when it is full
(never one a task is using), a copy that does not match its checksum is fetched once more and
then fails with the reason, two processes asking for the same object at once download it once,
and tasks pinning copies in any order never wait on each other's pins. On the local backend the
stored file itself is used."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from apps.core import file_cache, storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_dir(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    settings.SLOUGHGPT_WORKER_CACHE_BYTES = 250
    return tmp_path / "cache"


@pytest.fixture
def downloads(monkeypatch) -> list[str]:
    """The keys the cache downloads, in order."""
    seen: list[str] = []
    opened = storage.open_blob

    def counting(key: str):
        seen.append(key)
        return opened(key)

    monkeypatch.setattr(storage, "open_blob", counting)
    return seen


def _stored(data: bytes) -> tuple[str, str]:
    key, sha256, _ = storage.store_blob(io.BytesIO(data))
    return key, sha256


def test_the_least_recently_used_copy_goes_first_when_the_cache_is_full(s3_storage, cache_dir, downloads):
    # given three 100-byte objects and a cache of 250 bytes
    a, b, c = (_stored(letter * 100) for letter in (b"a", b"b", b"c"))
    file_cache.fetch(*a)
    file_cache.fetch(*b)
    file_cache.fetch(*a)  # a is used again: b is now the least recently used
    # when c needs room
    assert file_cache.fetch(*c).read_bytes() == b"c" * 100
    # then b was evicted, a stayed
    downloads.clear()
    file_cache.fetch(*a)
    file_cache.fetch(*b)
    assert downloads == [b[0]]


def test_a_copy_in_use_is_not_evicted(s3_storage, cache_dir, downloads):
    # given a task using a (the least recently used copy) while b and c are fetched
    a, b, c = (_stored(letter * 100) for letter in (b"a", b"b", b"c"))
    with file_cache.fetched(*a) as in_use:
        file_cache.fetch(*b)
        file_cache.fetch(*c)
        # then a is still there for the task, and b made room instead
        assert in_use.read_bytes() == b"a" * 100
    downloads.clear()
    file_cache.fetch(*a)
    assert downloads == []


def test_a_copy_that_does_not_match_is_fetched_once_more(s3_storage, cache_dir, monkeypatch):
    # given a download that arrives damaged the first time only
    key, sha256 = _stored(b"good bytes")
    opened, calls = storage.open_blob, []

    def damaged_once(name):
        calls.append(name)
        return io.BytesIO(b"bad bytes!") if len(calls) == 1 else opened(name)

    monkeypatch.setattr(storage, "open_blob", damaged_once)
    # when / then
    assert file_cache.fetch(key, sha256).read_bytes() == b"good bytes"
    assert len(calls) == 2


def test_a_copy_that_never_matches_fails_with_the_reason(s3_storage, cache_dir, downloads):
    # given an object whose stored checksum is not what arrives
    key, _ = _stored(b"what is stored")
    wrong = "0" * 64
    # when / then: two downloads, then a failure naming the file and the checksum
    with pytest.raises(file_cache.CacheError, match="does not match its checksum") as failure:
        file_cache.fetch(key, wrong)
    assert len(downloads) == 2
    assert key.rsplit("/", 1)[-1] in str(failure.value) and str(cache_dir) not in str(failure.value)
    assert not any(path.is_file() for path in (cache_dir / "entries").rglob("*"))


def test_on_the_local_backend_the_stored_file_is_used_as_it_is(cache_dir, downloads):
    # given
    key, sha256 = _stored(b"on this disk already")
    # when
    path = file_cache.fetch(key, sha256)
    # then no copy was made
    assert path == storage.local_path(key)
    assert downloads == [] and not cache_dir.exists()


_FETCH_IN_A_PROCESS = """
import os, sys, time
import django
django.setup()
from apps.core import file_cache, storage
key, sha256, ready, go = sys.argv[1:5]
opened = storage.open_blob
def counting(name):
    print("download", flush=True)
    return opened(name)
storage.open_blob = counting
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
with file_cache.fetched(key, sha256) as path:
    print("read", path.read_bytes() == b"x" * (3 << 20), flush=True)
"""


def test_two_processes_fetching_the_same_object_download_it_once(s3_storage, s3_server, tmp_path):
    # given a 3 MiB object and two worker processes sharing one cache folder
    key, sha256 = _stored(b"x" * (3 << 20))
    env = {**os.environ, **s3_server.environment(s3_storage.name),
           "DJANGO_SETTINGS_MODULE": "sloughgpt_site.settings.test",
           "SLOUGHGPT_WORKER_CACHE_DIR": str(tmp_path / "shared-cache")}
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", _FETCH_IN_A_PROCESS, key, sha256,
                                 str(tmp_path / f"ready-{n}"), str(go)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(2)]
    while not all((tmp_path / f"ready-{n}").exists() for n in range(2)):
        assert all(worker.poll() is None for worker in workers), workers[0].stderr.read()
        time.sleep(0.05)
    # when both are let go at once
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    # then both read the object, and it was downloaded once
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    lines = [line for out, _ in outputs for line in out.splitlines()]
    assert lines.count("read True") == 2
    assert lines.count("download") == 1


def test_a_copy_pinned_by_one_task_can_be_pinned_by_another_meanwhile(s3_storage, cache_dir):
    # given a copy a task is using
    key, sha256 = _stored(b"shared")
    cache = file_cache.worker_cache()
    second_got = threading.Event()

    def second_task():
        with cache.pinned(key, sha256) as path:
            if path.read_bytes() == b"shared":
                second_got.set()

    with cache.pinned(key, sha256):
        # when another task pins it while the first still holds it
        other = threading.Thread(target=second_task, daemon=True)
        other.start()
        # then the second gets the copy without waiting for the first to finish
        # (bounded: after the block the first task's pin goes, so the thread ends either way)
        assert second_got.wait(timeout=60)
    other.join()


_PIN_TWO_IN_A_PROCESS = """
import os, sys, time
import django
django.setup()
from apps.core import file_cache
first_key, first_sha, second_key, second_sha, holding, other_holding = sys.argv[1:7]
cache = file_cache.worker_cache()
with cache.pinned(first_key, first_sha):
    open(holding, "w").close()
    while not os.path.exists(other_holding):  # both hold their first pin before the second
        time.sleep(0.01)
    with cache.pinned(second_key, second_sha) as path:
        print("got both", path.read_bytes().decode(), flush=True)
"""


def test_two_tasks_pinning_two_copies_in_opposite_orders_both_finish(s3_storage, s3_server, cache_dir, tmp_path):
    # given two copies already in a cache shared by two worker processes (an evaluation pins
    # the dataset then the model, an export the model then the dataset)
    dataset, model = _stored(b"dataset"), _stored(b"model")
    file_cache.fetch(*dataset)
    file_cache.fetch(*model)
    env = {**os.environ, **s3_server.environment(s3_storage.name),
           "DJANGO_SETTINGS_MODULE": "sloughgpt_site.settings.test",
           "SLOUGHGPT_WORKER_CACHE_DIR": str(cache_dir)}
    orders = [(dataset, model, "evaluation", "export"), (model, dataset, "export", "evaluation")]
    # when each pins its first copy, waits until the other holds its own, then pins the second
    workers = [subprocess.Popen([sys.executable, "-c", _PIN_TWO_IN_A_PROCESS, *first, *second,
                                 str(tmp_path / mine), str(tmp_path / theirs)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for first, second, mine, theirs in orders]
    try:
        outputs = [worker.communicate(timeout=120) for worker in workers]
    except subprocess.TimeoutExpired:
        outputs = None
    finally:
        for worker in workers:
            worker.kill()
    # then both got their second copy (neither waits on the other's pin)
    assert outputs is not None, "the two tasks were still waiting on each other"
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    assert sorted(out.strip() for out, _ in outputs) == ["got both dataset", "got both model"]
