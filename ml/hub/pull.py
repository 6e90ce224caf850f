"""A hub repo to a `.sou` file: inspect (refusing what cannot be imported before any weight
is fetched), download resumably, and convert with the importer that fits (GGUF file or
Hugging Face directory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ml.hub.download import DownloadProgress, download_files
from ml.hub.errors import HubError
from ml.hub.repo import RepoInspection, RepoSpec, inspect_repo


def pull_to_sou(spec: RepoSpec, out: Path, work_dir: Path, *, max_bytes: int | None = None, qtype: str = "F32",
                inspection: RepoInspection | None = None,
                on_progress: Callable[[DownloadProgress], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> RepoInspection:
    """Writes `out` from the repo; downloads go to `work_dir` (kept for a later call to
    continue, the caller removes it when done). Returns the inspection it pulled."""
    from ml.sou.convert import import_model
    from ml.sou.quant import EXPORT_TYPES

    if qtype not in EXPORT_TYPES:  # before any byte is fetched, not after the whole download
        raise HubError(f"unknown type {qtype!r}; choose from {', '.join(EXPORT_TYPES)}", "invalid")
    inspection = inspection or inspect_repo(spec, max_bytes=max_bytes)
    inspection.require_pullable()
    download_files(spec, inspection, work_dir, on_progress=on_progress, should_stop=should_stop)
    source = work_dir / inspection.filename if inspection.kind == "gguf" else work_dir
    try:
        import_model(source, out, qtype=qtype)
    except Exception as exc:  # whatever a repo's files break in the converter is the repo's problem
        # The converter names the file it read; the user knows it as the repo's.
        message = str(exc).replace(str(source), f"{spec.repo_id}" + (f":{inspection.filename}"
                                                                     if inspection.filename else ""))
        raise HubError(f"{spec.repo_id} could not be converted: {message}", "conversion") from None
    return inspection
