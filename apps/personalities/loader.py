"""The one way from a stored `PersonalityVersion` to a working `ml.personality.Personality`:
chat, scoring, evaluation and steering all call `personality_version_load(version)`.
A ready version never changes, so loaded objects are cached per version id."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from apps.core.errors import Conflict

from . import storage
from .models import Personality, PersonalityVersion

if TYPE_CHECKING:
    from ml.personality import Personality as MlPersonality

LEARNED_ARRAYS = ("feature_mean", "feature_scale", "coef")  # kept in LEARNED_ARRAYS_FILE


class PersonalityNotReady(Conflict):
    default_code = "personality_not_ready"


def personality_version_load(version: PersonalityVersion) -> MlPersonality:
    """The ml object of a ready version; `PersonalityNotReady` (a 409) while it trains or
    after it failed. The caller has already checked that the user may see the version."""
    if version.status != PersonalityVersion.Status.READY:
        detail = f": {version.error}" if version.error else ""
        raise PersonalityNotReady(
            f"personality '{version.personality.name}' version {version.number} is "
            f"{version.status}{detail}"
        )
    return _load(version.pk)


@functools.lru_cache(maxsize=64)
def _load(version_id: int) -> MlPersonality:
    from ml.personality import Personality as MlPersonality

    version = PersonalityVersion.objects.select_related("personality").get(pk=version_id)
    spec = dict(version.spec)
    kind = version.personality.kind
    if kind == Personality.Kind.CONFIG:
        return MlPersonality.from_dict(spec)
    # The files are read while the block runs (on S3 from this worker's cache); the loaded
    # object keeps what it needs in memory.
    with storage.folder_files(storage.version_dir(version.personality.owner_id, version.pk)) as directory:
        if kind == Personality.Kind.LEARNED:
            from safetensors.numpy import load_file

            arrays = load_file(str(directory / storage.LEARNED_ARRAYS_FILE))
            spec.update({name: arrays[name] for name in LEARNED_ARRAYS})
            return MlPersonality.from_dict(spec)
        # Neural: the spec names its space as "." and the space files lie in the version folder.
        return MlPersonality.from_dict(spec, base_dir=directory)


def personality_version_archive(version: PersonalityVersion) -> bytes:
    """A ready version as the CLI's `--personality` takes it (ml's `load_personality`): a zip
    of ARCHIVE_JSON (the ml object's `to_dict()`) and its safetensors and JSON artifacts, all
    at the top level, where a neural spec's "." finds its space."""
    import io
    import json
    import zipfile

    from ml.personality.base import ARCHIVE_JSON, ARCHIVE_SUFFIXES

    spec = personality_version_load(version).to_dict()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ARCHIVE_JSON, json.dumps(spec, indent=2) + "\n")
        if not version.personality.builtin:
            with storage.folder_files(storage.version_dir(version.personality.owner_id, version.pk)) as directory:
                for name in version.artifacts:
                    if name.endswith(ARCHIVE_SUFFIXES) and name != ARCHIVE_JSON:
                        archive.write(directory / name, arcname=name)
    return buffer.getvalue()
