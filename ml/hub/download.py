"""Downloading an inspected repo's files, resumably.

Each file is written to `<dest>/.partial/<name>` and moved to `<dest>/<name>` only once its
size and (for LFS files) sha256 match what the hub listed. A partial file survives a cut
connection, a killed worker or a stopped pull, and the next call asks the hub for the rest
with a Range request. (huggingface_hub's own downloader deletes its temporary file when a
download fails, so a second try would start over; the requests here still go through its
session, headers and error mapping.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2
from huggingface_hub.utils import get_session, hf_raise_for_status

from ml.hub.errors import HubError
from ml.hub.repo import TIMEOUT_S, HubFile, RepoInspection, RepoSpec, _headers, file_url, hub_errors
from ml.sou.convert import sha256_of

PARTIAL_DIR = ".partial"
# Tries per file within one call when the connection drops; each continues where the last stopped.
ATTEMPTS = 3


@dataclass(frozen=True)
class DownloadProgress:
    done: int  # bytes of all files on disk so far
    total: int  # bytes of all files
    filename: str  # the file being downloaded


def _inside(root: Path, name: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise HubError(f"{name!r} is not a file name in a repo", "invalid")
    return path


class _Stopped(Exception):
    pass


def _fetch_rest(spec: RepoSpec, commit: str, file: HubFile, partial: Path,
                on_chunk: Callable[[int], None]) -> None:
    """Appends the bytes `partial` lacks; raises httpx2.TransportError when the connection
    drops (the bytes received so far stay)."""
    offset = partial.stat().st_size if partial.exists() else 0
    if offset >= file.size > 0:
        return
    extra = {"Range": f"bytes={offset}-"} if offset else {}
    with get_session().stream("GET", file_url(spec, commit, file.name), headers=_headers(spec, extra),
                              timeout=TIMEOUT_S) as response:
        with hub_errors(spec, file.name):
            hf_raise_for_status(response)
        mode = "ab" if offset and response.status_code == 206 else "wb"
        if mode == "wb" and offset:
            on_chunk(-offset)  # the server sent the whole file again
        have = offset if mode == "ab" else 0
        with partial.open(mode) as sink:
            # As the bytes arrive (no chunk_size: a cut keeps what came before it).
            for chunk in response.iter_bytes():
                have += len(chunk)
                if have > file.size:  # a server that sends more than it listed must not fill the disk
                    break
                sink.write(chunk)
                on_chunk(len(chunk))
    if have > file.size:
        partial.unlink(missing_ok=True)
        raise HubError(f"{file.name} is larger than the {file.size} bytes the hub listed; it was removed, "
                       "pull again", "corrupt")


def _download_one(spec: RepoSpec, commit: str, file: HubFile, dest: Path, on_chunk: Callable[[int], None]) -> Path:
    final = _inside(dest, file.name)
    if final.is_file() and final.stat().st_size == file.size:
        on_chunk(file.size)
        return final
    partial = _inside(dest / PARTIAL_DIR, file.name)
    partial.parent.mkdir(parents=True, exist_ok=True)
    if partial.exists():
        if partial.stat().st_size > file.size:
            partial.unlink()
        else:
            on_chunk(partial.stat().st_size)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _fetch_rest(spec, commit, file, partial, on_chunk)
            break
        except httpx2.TransportError as exc:
            if attempt == ATTEMPTS:
                have = partial.stat().st_size if partial.exists() else 0
                raise HubError(f"the download of {file.name} was cut at {have} of {file.size} bytes "
                               f"({type(exc).__name__})", "cut") from None
    size = partial.stat().st_size
    if size != file.size:
        raise HubError(f"{file.name} arrived with {size} bytes; the hub listed {file.size}", "cut")
    if file.sha256 and sha256_of(partial) != file.sha256:
        partial.unlink()
        raise HubError(f"{file.name} does not match the sha256 the hub listed; it was removed, pull again",
                       "corrupt")
    final.parent.mkdir(parents=True, exist_ok=True)
    partial.replace(final)
    return final


def download_files(spec: RepoSpec, inspection: RepoInspection, dest: Path, *,
                   on_progress: Callable[[DownloadProgress], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> list[Path]:
    """The inspection's files under `dest` (made if missing), fetched at its commit. Calls
    `on_progress` after every chunk and stops (HubError "stopped", partial files kept) when
    `should_stop` says so."""
    dest.mkdir(parents=True, exist_ok=True)
    done = 0
    current = ""

    def on_chunk(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(DownloadProgress(done=done, total=inspection.total_bytes, filename=current))
        if should_stop is not None and should_stop():
            raise _Stopped

    paths = []
    try:
        for file in inspection.download:
            current = file.name
            paths.append(_download_one(spec, inspection.commit_sha, file, dest, on_chunk))
    except _Stopped:
        raise HubError(f"the pull of {spec.repo_id} was stopped", "stopped") from None
    return paths
