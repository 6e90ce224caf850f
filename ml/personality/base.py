"""The one interface every kind of personality implements (config archetype, learned
classifier, neural embedding space), and the registry that turns a saved dict back into the
right kind. A personality answers three questions: how much do these texts sound like me
(`score`, alignment in [0, 1] per text), how should a model be prompted and sampled to be me
(`system_prompt`, `generation_defaults`), and how am I stored (`to_dict` / `from_dict`)."""

from __future__ import annotations

import abc
import importlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

_KINDS: dict[str, type[Personality]] = {}
# Where each kind is defined; the package imports them lazily, and a kind registers itself
# when its module is imported.
_KIND_MODULES = {"config": "ml.personality.config", "learned": "ml.personality.learned",
                 "neural": "ml.personality.neural"}


def _register_all_kinds() -> None:
    for module in _KIND_MODULES.values():
        importlib.import_module(module)


class PersonalityError(ValueError):
    """A personality that cannot be built, loaded or used as asked."""


class Personality(abc.ABC):
    """A persona a model can be given and measured against."""

    kind: ClassVar[str]
    name: str

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None):
            _KINDS[cls.kind] = cls

    @abc.abstractmethod
    def score(self, texts: Sequence[str]) -> list[float]:
        """Alignment of each text with this personality, in [0, 1]. An empty text scores 0;
        a text over `metrics.MAX_TEXT_CHARS` is scored on its start (`measure` says so)."""

    @abc.abstractmethod
    def system_prompt(self) -> str:
        """The instruction that asks a chat model to speak as this personality."""

    @abc.abstractmethod
    def generation_defaults(self) -> dict[str, float]:
        """Sampling settings that suit this personality (temperature, top_p, ...)."""

    @abc.abstractmethod
    def _payload(self) -> dict[str, Any]:
        """Everything but the kind, as JSON-ready values."""

    @classmethod
    @abc.abstractmethod
    def _from_payload(cls, data: dict[str, Any], base_dir: Path | None) -> Personality:
        """Inverse of `_payload`; `base_dir` resolves relative paths inside it."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **self._payload()}

    @staticmethod
    def from_dict(data: dict[str, Any], base_dir: Path | None = None) -> Personality:
        if not isinstance(data, dict) or "kind" not in data:
            raise PersonalityError("personality: expected an object with a 'kind' field")
        if data["kind"] in _KIND_MODULES:
            importlib.import_module(_KIND_MODULES[data["kind"]])
        cls = _KINDS.get(data["kind"])
        if cls is None:
            _register_all_kinds()  # to list them all
            raise PersonalityError(
                f"personality: unknown kind {data['kind']!r}; known: {', '.join(sorted(_KINDS))}"
            )
        payload = {k: v for k, v in data.items() if k != "kind"}
        try:
            return cls._from_payload(payload, base_dir)
        except KeyError as exc:
            raise PersonalityError(f"personality ({data['kind']}): missing field {exc}") from exc

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path


# A personality archive (the portal's download): ARCHIVE_JSON plus the artifact files its
# paths name, all at the top level. Only these suffixes are read; the caps bound a hostile one.
ARCHIVE_JSON = "personality.json"
ARCHIVE_SUFFIXES = (".json", ".safetensors")
ARCHIVE_MAX_ENTRIES = 16
ARCHIVE_MAX_BYTES = 512 * 1024**2
ARCHIVE_MAX_RATIO = 200


def _extract_archive(path: Path, destination: Path) -> None:
    """Unpacks a personality archive, refusing (naming the entry) any name that is not a plain
    top-level file (no folders, `..`, absolute paths or links), another suffix, and archives
    over the caps; sizes are checked while copying, since a header may lie."""
    import stat
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PersonalityError(f"{path}: not a personality archive: {exc}") from exc
    with archive:
        members = archive.infolist()
        if len(members) > ARCHIVE_MAX_ENTRIES:
            raise PersonalityError(f"{path}: {len(members)} entries; at most {ARCHIVE_MAX_ENTRIES}")
        budget = ARCHIVE_MAX_BYTES
        for info in members:
            name = info.filename
            plain = name and "/" not in name and "\\" not in name and ":" not in name and not name.startswith(".")
            if not plain or stat.S_ISLNK(info.external_attr >> 16) or not name.endswith(ARCHIVE_SUFFIXES):
                raise PersonalityError(f"{path}: refusing entry {name!r} (only top-level "
                                       f"{' and '.join(ARCHIVE_SUFFIXES)} files)")
            if info.compress_size and info.file_size / info.compress_size > ARCHIVE_MAX_RATIO:
                raise PersonalityError(f"{path}: entry {name!r} is compressed suspiciously well")
            with archive.open(info) as source, (destination / name).open("wb") as sink:
                while chunk := source.read(1 << 20):
                    budget -= len(chunk)
                    if budget < 0:
                        raise PersonalityError(f"{path}: expands to more than {ARCHIVE_MAX_BYTES} bytes")
                    sink.write(chunk)


def load_personality(path: str | Path) -> Personality:
    """Read a personality: a JSON file (relative paths inside it resolve next to the file), a
    folder holding ARCHIVE_JSON, or a zip of one (the portal's download), unpacked safely
    into a temporary folder that is gone once the personality is loaded."""
    import tempfile
    import zipfile

    path = Path(path)
    if path.is_dir():
        path = path / ARCHIVE_JSON
    elif path.is_file() and zipfile.is_zipfile(path):
        with tempfile.TemporaryDirectory(prefix="personality-") as folder:
            _extract_archive(path, Path(folder))
            try:
                return load_personality(Path(folder) / ARCHIVE_JSON)
            except PersonalityError as exc:
                raise PersonalityError(f"{path}: {str(exc).split(': ', 1)[-1]}") from exc
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonalityError(f"{path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise PersonalityError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    try:
        return Personality.from_dict(data, base_dir=path.parent)
    except PersonalityError as exc:
        raise PersonalityError(f"{path}: {exc}") from exc


def chat_settings(persona: Personality | None) -> tuple[str, dict[str, float]]:
    """(system prompt, sampling defaults) to chat as `persona`, the defaults named as the
    inference engine names them (`max_new_tokens` is `max_tokens`); ("", {}) for none."""
    if persona is None:
        return "", {}
    defaults = dict(persona.generation_defaults())
    if "max_new_tokens" in defaults:
        defaults["max_tokens"] = int(defaults.pop("max_new_tokens"))
    return persona.system_prompt(), defaults


def registered_kinds() -> list[str]:
    _register_all_kinds()
    return sorted(_KINDS)
