"""Inspecting a hub repo before pulling it: its files and sizes, license, model card, and the
architecture (from config.json, or a GGUF file's header) judged against what our importers
take, all without fetching a weight byte.

The hub's answers are read with `huggingface_hub` (its model-info call and its URL, header
and error conventions), so a mirror or a private hub that speaks the same API works too.
Every failure is a `HubError` in the user's terms (errors.py)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import HfApi, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from ml.hub.errors import HubError
from ml.hub.gguf_head import gguf_architecture, gguf_weight_count

DEFAULT_ENDPOINT = "https://huggingface.co"
# "owner/name" as the Hub spells repo ids (a bare "name" is an old canonical repo).
REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")
# A path inside the repo: no absolute paths, no parent steps, no backslashes.
REPO_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^\\\x00]{1,300}$")
# What an HF model directory's pull fetches: top-level files of these kinds (never pickled
# .bin weights, which we do not load).
# A git commit id, as the hub reports it (SHA-1, or SHA-256 for SHA-256 repos).
COMMIT_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
HF_DIR_SUFFIXES = (".json", ".safetensors", ".txt", ".model", ".jinja")
CARD_FILE = "README.md"
CARD_MAX_BYTES = 256 * 1024
CONFIG_MAX_BYTES = 1024 * 1024
# A GGUF header is read in one request, parsed as it grows (from 64 KiB, doubling) and closed
# once its architecture and tensor infos are in; at most this much of the file.
GGUF_HEADER_MAX_BYTES = 8 * 1024 * 1024
GGUF_FIRST_PARSE = 64 * 1024
TIMEOUT_S = 30.0
# What an import at F32 takes per downloaded byte, where the weights cannot be counted first:
# 16-bit safetensors double; a GGUF header too long to read ahead is taken as 4-bit weights.
HF_GROWTH = 2
GGUF_GROWTH = 8


@dataclass(frozen=True)
class RepoSpec:
    """Which repo to pull and from where. The token is never shown (repr)."""

    repo_id: str
    revision: str = "main"
    filename: str = ""  # the GGUF file to pull from a repo with several; "" = an HF directory
    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        """The endpoint as messages name it: its host only, never a path or `user:pass@`."""
        try:
            parts = urlsplit(self.endpoint)
            return (parts.hostname or "") + (f":{parts.port}" if parts.port else "") or "the configured address"
        except ValueError:  # a port that is not a number
            return "the configured address"

    def __post_init__(self):
        if not REPO_ID.fullmatch(self.repo_id) or ".." in self.repo_id:
            raise HubError(f"{self.repo_id!r} is not a repo id (owner/name)", "invalid")
        if not self.revision or len(self.revision) > 200 or not REPO_PATH.fullmatch(self.revision):
            raise HubError(f"{self.revision!r} is not a revision", "invalid")
        if self.filename and not REPO_PATH.fullmatch(self.filename):
            raise HubError(f"{self.filename!r} is not a file name in a repo", "invalid")

    @classmethod
    def parse(cls, text: str, **rest) -> RepoSpec:
        """`owner/name` or `owner/name:FILE` (the CLI's form)."""
        repo_id, _, filename = text.partition(":")
        return cls(repo_id=repo_id, filename=filename, **rest)


@dataclass(frozen=True)
class HubFile:
    name: str
    size: int
    sha256: str = ""  # the LFS object's sha256 (weights); "" for small files kept in git


@dataclass
class RepoInspection:
    """What a user sees before importing, and what the pull then fetches."""

    repo_id: str
    revision: str
    commit_sha: str  # the revision resolved: every file is fetched at this commit
    kind: str  # "gguf" or "hf"
    files: list[HubFile]  # every file in the repo
    download: list[HubFile]  # what the pull fetches
    gguf_files: list[str]
    filename: str  # the GGUF file chosen ("" for an HF directory)
    license: str
    gated: bool
    card: str  # the model card's text, front matter removed
    architecture: str  # model_type or general.architecture; "" when unknown
    supported: bool
    total_bytes: int
    # About what the imported F32 .sou takes: 4 bytes per weight the GGUF header lists, or
    # the download times HF_GROWTH / GGUF_GROWTH (an upper bound for 16-bit and 4-bit weights).
    converted_bytes: int = 0
    problem: str = ""  # why it cannot be pulled as it is; "" when it can
    problem_code: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def require_pullable(self) -> None:
        if self.problem:
            raise HubError(self.problem, self.problem_code)


@contextlib.contextmanager
def hub_errors(spec: RepoSpec, filename: str = ""):
    """huggingface_hub's and the network's exceptions as HubError, worded for the user."""
    try:
        yield
    except GatedRepoError:
        if spec.token:
            raise HubError(f"the hub refused your access token for {spec.repo_id}: request access on the repo's "
                           "page, or replace the token", "token_refused") from None
        raise HubError(f"{spec.repo_id} is gated: add your Hugging Face access token (and accept the repo's "
                       "terms on the hub)", "gated") from None
    except RepositoryNotFoundError:
        hint = "or your token cannot read it" if spec.token else "if it is private, add your access token"
        raise HubError(f"repository {spec.repo_id} was not found on {spec.host} ({hint})", "not_found") from None
    except RevisionNotFoundError:
        raise HubError(f"revision {spec.revision!r} was not found in {spec.repo_id}", "not_found") from None
    except RemoteEntryNotFoundError:
        raise HubError(f"file {filename!r} is not in {spec.repo_id} at {spec.revision}", "file_not_found") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in (401, 403) and spec.token:
            raise HubError(f"the hub refused your access token for {spec.repo_id}", "token_refused") from None
        raise HubError(f"the hub answered {status} for {spec.repo_id}", "hub_error") from None
    except (httpx2.TransportError, httpx2.InvalidURL, OSError) as exc:
        raise HubError(f"the hub at {spec.host} could not be reached ({type(exc).__name__})",
                       "unreachable") from None


def _headers(spec: RepoSpec, extra: dict | None = None) -> dict:
    # token=False: never fall back to a token from this machine's environment or login.
    headers = build_hf_headers(token=spec.token or False, library_name="sloughgpt")
    return {**headers, **(extra or {})}


def file_url(spec: RepoSpec, commit: str, filename: str) -> str:
    return hf_hub_url(spec.repo_id, filename, revision=commit, endpoint=spec.endpoint)


def _fetch(spec: RepoSpec, commit: str, filename: str, *, max_bytes: int,
           enough: Callable[[bytes], bool] | None = None) -> bytes:
    """A small file at `commit`, at most `max_bytes`; or with `enough`, a prefix of a large
    one, read until `enough(prefix)` says so (asked at 64 KiB, then at each doubling) or
    `max_bytes`."""
    extra = {"Range": f"bytes=0-{max_bytes - 1}"} if enough else {}
    with hub_errors(spec, filename):
        with get_session().stream("GET", file_url(spec, commit, filename), headers=_headers(spec, extra),
                                  timeout=TIMEOUT_S) as response:
            hf_raise_for_status(response)
            data = bytearray()
            ask_at = GGUF_FIRST_PARSE
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    if enough:
                        return bytes(data[:max_bytes])
                    raise HubError(f"{filename} in {spec.repo_id} is larger than {max_bytes} bytes", "too_large")
                if enough and len(data) >= ask_at:
                    if enough(bytes(data)):
                        return bytes(data)
                    ask_at *= 2
            return bytes(data)


def _card_text(raw: bytes) -> str:
    """The card's text without its YAML front matter (the license is read from the hub's
    parsed copy of it)."""
    text = raw.decode("utf-8", errors="replace")
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            text = text[end + 4:]
    return text.strip()


def _license(info) -> str:
    card = info.card_data
    value = getattr(card, "license", None) if card is not None else None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value or "")


def _hf_architecture(spec: RepoSpec, commit: str) -> tuple[str, str]:
    """(model_type, why it is not supported or "") from config.json."""
    from ml.model_map import config_from_hf

    try:
        config = json.loads(_fetch(spec, commit, "config.json", max_bytes=CONFIG_MAX_BYTES))
    except (ValueError, UnicodeError):
        return "", f"config.json in {spec.repo_id} is not valid JSON"
    if not isinstance(config, dict):
        return "", f"config.json in {spec.repo_id} is not a JSON object"
    model_type = str(config.get("model_type") or "")
    try:
        config_from_hf(config, source=f"{spec.repo_id}/config.json")
    except Exception as exc:  # anyone's config.json: whatever it breaks is the repo's problem
        from ml.model_map.hf import SUPPORTED_MODEL_TYPES

        if model_type not in SUPPORTED_MODEL_TYPES:
            return model_type, f"not supported: {model_type or 'a config.json without model_type'}"
        return model_type, str(exc)
    return model_type, ""


def _gguf_architecture(spec: RepoSpec, commit: str, filename: str) -> tuple[str, str, int | None]:
    """(general.architecture, why it is not supported or "", weight count or None when the
    header is too long to read ahead) from the file's header only."""
    from ml.model_map.gguf_load import SUPPORTED_ARCHS

    def read(head: bytes) -> tuple[str | None, int | None]:
        return gguf_architecture(head, name=filename), gguf_weight_count(head, name=filename)

    head = _fetch(spec, commit, filename, max_bytes=GGUF_HEADER_MAX_BYTES,
                  enough=lambda prefix: None not in read(prefix))
    arch, weights = read(head)
    if not arch:
        return "", f"{filename} has no general.architecture in its header", weights
    return arch, "" if arch in SUPPORTED_ARCHS else f"not supported: {arch}", weights


def inspect_repo(spec: RepoSpec, *, max_bytes: int | None = None) -> RepoInspection:
    """The repo as a user should see it before importing; raises HubError when the repo,
    revision or file cannot be reached at all, and reports other problems (several GGUF
    files, too large, unsupported architecture) in `problem`."""
    api = HfApi(endpoint=spec.endpoint, token=spec.token or False, library_name="sloughgpt")
    with hub_errors(spec):
        info = api.model_info(spec.repo_id, revision=spec.revision, files_metadata=True, timeout=TIMEOUT_S)
    # Every file is fetched at this commit; a hub that does not name one (a branch name is not
    # pinned, and may be up to 200 characters) is not one we can pull from reproducibly.
    commit = info.sha or ""
    if not COMMIT_SHA.fullmatch(commit):
        raise HubError(f"the hub did not say which commit {spec.revision!r} of {spec.repo_id} is", "hub_error")
    files = [HubFile(name=s.rfilename, size=int(s.lfs.size if s.lfs else (s.size or 0)),
                     sha256=s.lfs.sha256 if s.lfs else "") for s in info.siblings or []]
    by_name = {f.name: f for f in files}
    ggufs = sorted(f.name for f in files if f.name.lower().endswith(".gguf"))
    card = ""
    if CARD_FILE in by_name and by_name[CARD_FILE].size <= CARD_MAX_BYTES:
        card = _card_text(_fetch(spec, commit, CARD_FILE, max_bytes=CARD_MAX_BYTES))
    found = RepoInspection(
        repo_id=spec.repo_id, revision=spec.revision, commit_sha=commit, kind="hf", files=files, download=[],
        gguf_files=ggufs, filename="", license=_license(info), gated=bool(info.gated), card=card,
        architecture="", supported=False, total_bytes=0,
    )
    filename = spec.filename or (ggufs[0] if len(ggufs) == 1 and "config.json" not in by_name else "")
    if spec.filename and spec.filename not in by_name:
        raise HubError(f"file {spec.filename!r} is not in {spec.repo_id} at {spec.revision}", "file_not_found")
    if filename:
        if not filename.lower().endswith(".gguf"):
            raise HubError(f"{filename} is not a GGUF file; name a .gguf file, or none for the model "
                           "directory", "invalid")
        found.kind, found.filename, found.download = "gguf", filename, [by_name[filename]]
        found.architecture, problem, weights = _gguf_architecture(spec, commit, filename)
        found.converted_bytes = 4 * weights if weights is not None else GGUF_GROWTH * by_name[filename].size
    elif "config.json" in by_name:
        found.download = [f for f in files if "/" not in f.name and f.name.endswith(HF_DIR_SUFFIXES)]
        found.architecture, problem = _hf_architecture(spec, commit)
        if not problem and not any(f.name.endswith(".safetensors") for f in found.download):
            problem = f"{spec.repo_id} has no .safetensors weights (pickled .bin weights are not loaded)"
    elif len(ggufs) > 1:
        problem = f"{spec.repo_id} has {len(ggufs)} GGUF files: choose one"
        found.kind = "gguf"
    else:
        problem = f"{spec.repo_id} has neither a config.json nor a GGUF file"
    found.supported = not problem
    found.total_bytes = sum(f.size for f in found.download)
    if found.kind == "hf":
        found.converted_bytes = HF_GROWTH * found.total_bytes
    if not problem and max_bytes is not None and found.total_bytes > max_bytes:
        problem = f"the download is {found.total_bytes} bytes; the limit is {max_bytes}"
        found.problem_code = "too_large"
    if problem:
        found.problem, found.problem_code = problem, found.problem_code or (
            "unsupported" if problem.startswith("not supported") else "not_pullable")
    return found
