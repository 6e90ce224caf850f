"""Pulling models from a Hugging Face-compatible hub: inspect a repo (files, sizes, license,
card, architecture) without its weights, download the files it needs (resumably, with
progress and a stop flag), and hand them to the `.sou` importers."""

from ml.hub.download import DownloadProgress, download_files
from ml.hub.errors import HubError
from ml.hub.pull import pull_to_sou
from ml.hub.repo import HubFile, RepoInspection, RepoSpec, inspect_repo

__all__ = [
    "DownloadProgress",
    "HubError",
    "HubFile",
    "RepoInspection",
    "RepoSpec",
    "download_files",
    "inspect_repo",
    "pull_to_sou",
]
