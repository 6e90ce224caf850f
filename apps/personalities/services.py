"""Writes for personalities: create (config, learned, neural), update (a new version), copy,
delete, the unsaved preview, and the neural training a worker runs. Built-ins are read-only:
every write to one answers `BuiltinReadOnly` (403). Scoring lives in `scoring.py`.

Create and update take the same allow-listed fields; which apply depends on the kind:
config `archetype` and/or `traits`; learned and neural `examples` (pasted) or
`dataset_version_id` (an owned dataset version's records), and `background` (defaults to a
built-in set of neutral sentences); neural also `epochs`. Texts are fitted before the
transaction opens, so a slow fit never holds rows locked."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max
from rest_framework.exceptions import PermissionDenied

from apps.core.access import Action, access_check, access_get
from apps.core.errors import Conflict, holders_message
from apps.core.user_paths import error_text
from apps.quotas.accounts import account_of
from apps.quotas.storage import storage_charge, storage_written
from apps.quotas.stored import stored_bytes
from apps.teams.audit import audit_record

from . import realtime, sources, storage
from .models import Personality, PersonalityVersion
from .selectors import personality_get

READ_ONLY = "built-in personalities are read-only; copy it to make your own"
NEUTRAL_BACKGROUND = Path(__file__).with_name("neutral_background.txt")
MAX_EPOCHS = 200
DEFAULT_EPOCHS = 20
NAME_CONSTRAINT = "personality_unique_name"  # models.Personality.Meta

# Other apps register checks for references that are not foreign keys (a JSON lineage, a
# name in a config): each returns the objects that still use the personality.
ReferenceCheck = Callable[[Personality], Iterable[models.Model]]
_REFERENCE_CHECKS: list[ReferenceCheck] = []


# The behaviour fields each kind takes (create and update); others are refused by name.
KIND_FIELDS = {
    Personality.Kind.CONFIG: {"archetype", "traits"},
    Personality.Kind.LEARNED: {"examples", "dataset_version_id", "background"},
    Personality.Kind.NEURAL: {"examples", "dataset_version_id", "background", "epochs"},
}


class BuiltinReadOnly(PermissionDenied):
    default_detail = READ_ONLY
    default_code = "builtin_read_only"


def register_reference_check(check: ReferenceCheck) -> ReferenceCheck:
    """Adds a check `personality_delete` runs; usable as a decorator."""
    _REFERENCE_CHECKS.append(check)
    return check


def _writable(*, user, personality_id: int, action: Action = Action.EDIT) -> Personality:
    """A personality the user may change (`action`): never a built-in."""
    personality = personality_get(user=user, personality_id=personality_id)
    if personality.builtin:
        raise BuiltinReadOnly()
    access_check(personality, user=user, action=action)
    return personality


def _check_name_free(*, user, name: str, exclude: int | None = None, private: bool = True) -> str:
    """`name`, stripped, unless `user` (the personality's owner) already has a private one
    called so. Names of a team's personalities (`private` False) are not one per owner."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["give the personality a name"]})
    taken = Personality.objects.filter(owner=user, team__isnull=True, name=name).exclude(pk=exclude)
    if private and taken.exists():
        raise ValidationError({"name": [f"you already have a personality named {name!r}"]})
    return name


@contextmanager
def _name_unique(name: str) -> Iterator[None]:
    """The database's answer to a name taken between `_check_name_free` and the write (two
    requests at once): the same 400 the check gives, not a 500."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            yield
    except IntegrityError as exc:
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != NAME_CONSTRAINT:
            raise
        raise ValidationError({"name": [f"you already have a personality named {name!r}"]}) from None


def _personality_create(*, name: str, **fields) -> Personality:
    with _name_unique(name):
        return Personality.objects.create(name=name, **fields)


# -- config ------------------------------------------------------------------------------------
def _config_persona(*, name: str, description: str, archetype: str, traits: dict | None,
                    base_traits: dict | None = None):
    """The ml object for config values: the archetype's traits and description (or
    `base_traits`), then `traits` over them. Errors name the field that caused them."""
    from ml.personality import ConfigPersonality, PersonalityError

    values = dict(base_traits or {})
    if archetype:
        try:
            chosen = ConfigPersonality.from_archetype(archetype)
        except PersonalityError as exc:
            raise ValidationError({"archetype": [str(exc)]}) from exc
        values, description = dict(chosen.traits), description or chosen.description
    values.update(traits or {})
    try:
        return ConfigPersonality(name or "Unnamed", values, description)
    except PersonalityError as exc:
        raise ValidationError({"traits": [str(exc)]}) from exc


def _config_fields(persona) -> dict:
    return {
        "traits": dict(persona.traits),
        "target_ranges": {k: list(v) for k, v in persona.target_ranges().items()},
        "generation_defaults": persona.generation_defaults(),
        "system_prompt": persona.system_prompt(),
        "spec": persona.to_dict(),
    }


def personality_preview(*, name: str = "", description: str = "", archetype: str = "",
                        traits: dict[str, float] | None = None) -> dict:
    """What a config personality with these (unsaved) values would be: its traits, system
    prompt, sampling defaults and metric targets, for the live preview while editing."""
    persona = _config_persona(name=name.strip(), description=description, archetype=archetype,
                              traits=traits)
    fields = _config_fields(persona)
    fields.pop("spec")
    return fields


@transaction.atomic
def personality_builtins_sync() -> None:
    """Makes the built-ins match ml.personality.ARCHETYPES: a missing one is created (a
    database flushed by tests, an archetype added to ml), one whose traits changed gets a new
    version. Runs after every `migrate`; the data migration made the first set."""
    from ml.personality import ARCHETYPES

    for key, archetype in ARCHETYPES.items():
        personality = Personality.objects.filter(owner=None, archetype=key).select_related(
            "current_version").first()
        if personality is None:
            personality = Personality.objects.create(
                owner=None, name=archetype.name, description=archetype.description,
                kind=Personality.Kind.CONFIG, archetype=key)
        current = personality.current_version
        if current is None or current.traits != archetype.traits:
            persona = _config_persona(name=archetype.name, description=archetype.description,
                                      archetype=key, traits=None)
            _version_add(personality, **_config_fields(persona), provenance={"archetype": key})


# -- versions ----------------------------------------------------------------------------------
def _version_add(personality: Personality, **fields) -> PersonalityVersion:
    """A new version, numbered after the last, made the current one. Callers hold the
    transaction; the personality row is locked so two edits cannot take one number."""
    Personality.objects.select_for_update().filter(pk=personality.pk).first()
    number = (personality.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PersonalityVersion.objects.create(personality=personality, number=number, **fields)
    personality.current_version = version
    personality.save(update_fields=["current_version", "updated_at"])
    return version


def _texts_arg(*, user, pasted: Sequence[str] | None, dataset_version_id: int | None,
               field_name: str, required: bool) -> sources.Texts | None:
    """The texts given as `field_name` or a dataset version, capped; what the cap cut is in
    the result's notices, which the new version keeps in its provenance."""
    if pasted is not None and dataset_version_id is not None:
        raise ValidationError({field_name: [f"give {field_name} or dataset_version_id, not both"]})
    if dataset_version_id is not None:
        return sources.dataset_version_texts(
            user=user, dataset_version_id=dataset_version_id, field_name="dataset_version_id")
    if pasted is None and required:
        raise ValidationError({field_name: [f"give {field_name} (a list of texts) or dataset_version_id"]})
    return None if pasted is None else sources.capped(pasted, what=field_name)


def _background(background: Sequence[str] | None) -> sources.Texts:
    if background is not None:
        return sources.capped(background, what="background")
    return sources.Texts([line for line in NEUTRAL_BACKGROUND.read_text(encoding="utf-8").splitlines()
                          if line.strip()])


def _check_counts(examples_field: str, examples: Sequence[str], background: Sequence[str],
                  check: Callable[[str, Sequence[str]], None]) -> None:
    """ml's own count rule (`check`), its message attached to the field that fell short."""
    from ml.personality import PersonalityError

    for field_name, what, texts in ((examples_field, "example texts of the persona", examples),
                                    ("background", "background texts", background)):
        try:
            check(what, texts)
        except PersonalityError as exc:
            raise ValidationError({field_name: [str(exc)]}) from exc


def _learned_fit(*, name: str, examples: list[str], background: list[str], examples_field: str):
    from ml.personality.learned import LearnedPersonality, _check_count

    _check_counts(examples_field, examples, background, _check_count)
    return LearnedPersonality.fit(name, examples, background)


def _learned_fields(persona) -> dict:
    from ml.personality.metrics import METRIC_NAMES

    from .loader import LEARNED_ARRAYS

    spec = {k: v for k, v in persona.to_dict().items() if k not in LEARNED_ARRAYS}
    mean, std = persona.profile.mean, persona.profile.std
    return {
        "target_ranges": {k: [round(mean[k] - std[k], 4), round(mean[k] + std[k], 4)] for k in METRIC_NAMES},
        "generation_defaults": persona.generation_defaults(),
        "system_prompt": persona.system_prompt(),
        "spec": spec,
        "artifacts": [storage.LEARNED_ARRAYS_FILE, storage.TRAIN_FILE],
    }


def _write_learned(directory: Path, persona, examples: list[str], background: list[str]) -> None:
    import numpy as np
    from safetensors.numpy import save_file

    from .loader import LEARNED_ARRAYS

    directory.mkdir(parents=True, exist_ok=True)
    arrays = {"feature_mean": persona.mean, "feature_scale": persona.scale, "coef": persona.coef}
    save_file({k: np.ascontiguousarray(arrays[k], dtype=np.float64) for k in LEARNED_ARRAYS},
              str(directory / storage.LEARNED_ARRAYS_FILE))
    storage.write_training_texts(directory, examples, background)


def _with_files(personality: Personality, write: Callable[[Path], None], **fields) -> PersonalityVersion:
    """A version whose files are written once its id exists (the folder is named by it) and
    stored (in the bucket on S3); a failed write leaves no folder behind and rolls the
    version back."""
    version = _version_add(personality, **fields)
    directory = storage.version_dir(personality.owner_id, version.pk)
    try:
        storage.folder_write(directory, write)
        # Its files count against the personality's account as stored; 413 past the quota.
        storage_charge(account_of(personality), stored_bytes(directory))
    except BaseException:
        storage.folder_remove(directory)
        raise
    return version


def _neural_prepare(*, examples: list[str], background: list[str], examples_field: str,
                    epochs: int | None) -> int:
    from ml.personality.neural import MIN_TEXTS_PER_LABEL

    def check(what: str, texts: Sequence[str]) -> None:
        from ml.personality import PersonalityError

        usable = sum(1 for t in texts if t.strip())
        if usable < MIN_TEXTS_PER_LABEL:
            raise PersonalityError(f"a neural personality needs at least {MIN_TEXTS_PER_LABEL} "
                                   f"non-empty {what}; got {usable}")

    _check_counts(examples_field, examples, background, check)
    epochs = DEFAULT_EPOCHS if epochs is None else int(epochs)
    if not 1 <= epochs <= MAX_EPOCHS:
        raise ValidationError({"epochs": [f"must be between 1 and {MAX_EPOCHS}"]})
    return epochs


def _neural_version(personality: Personality, *, examples: sources.Texts, background: sources.Texts,
                    epochs: int, provenance: dict) -> PersonalityVersion:
    from .tasks import personality_train_task

    version = _with_files(
        personality, lambda d: storage.write_training_texts(d, examples.texts, background.texts),
        status=PersonalityVersion.Status.TRAINING, progress=0.0, artifacts=[storage.TRAIN_FILE],
        provenance={**provenance, "epochs": epochs},
    )
    transaction.on_commit(lambda: personality_train_task.delay(version.pk))
    return version


def _provenance(examples: sources.Texts, background: sources.Texts, dataset_version_id,
                pasted_background) -> dict:
    """Where a version's texts came from, with the notices of what a cap left out (the API
    answers them to the edit that made the version, and the version keeps them)."""
    notices = [*examples.notices, *background.notices]
    return {"examples": len(examples.texts), "background": len(background.texts),
            "background_source": "pasted" if pasted_background is not None else "neutral",
            **({"dataset_version_id": dataset_version_id} if dataset_version_id is not None else {}),
            **({"notices": notices} if notices else {})}


# -- create ------------------------------------------------------------------------------------
@transaction.atomic
def personality_create_config(*, user, name: str, description: str = "", archetype: str = "",
                              traits: dict[str, float] | None = None) -> Personality:
    """A config personality from an archetype key ("sage") and/or trait values in [0, 1];
    unset traits sit at 0.5. Its description defaults to the archetype's."""
    name = _check_name_free(user=user, name=name)
    persona = _config_persona(name=name, description=description, archetype=archetype, traits=traits)
    if archetype and not description:
        description = persona.description
    personality = _personality_create(
        owner=user, name=name, description=description, kind=Personality.Kind.CONFIG,
        archetype=_archetype_key(archetype),
    )
    _version_add(personality, **_config_fields(persona), provenance=_archetype_provenance(archetype))
    return personality


def _archetype_key(archetype: str) -> str:
    """ml's key of an archetype however it was spelled ("Cheerful-Enthusiast")."""
    from ml.personality import ConfigPersonality

    return ConfigPersonality.from_archetype(archetype).name.lower() if archetype else ""


def _archetype_provenance(archetype: str) -> dict:
    return {"archetype": _archetype_key(archetype)} if archetype else {}


def personality_create_learned(*, user, name: str, description: str = "",
                               examples: Sequence[str] | None = None,
                               dataset_version_id: int | None = None,
                               background: Sequence[str] | None = None) -> Personality:
    """A learned personality fitted on `examples` (or a dataset version's records) against
    `background`; fewer than ml's minimum (20) of either is a ValidationError naming the
    field. Fitting takes seconds (every text measured and embedded)."""
    name = _check_name_free(user=user, name=name)
    texts = _texts_arg(user=user, pasted=examples, dataset_version_id=dataset_version_id,
                       field_name="examples", required=True)
    back = _background(background)
    examples_field = "examples" if dataset_version_id is None else "dataset_version_id"
    persona = _learned_fit(name=name, examples=texts.texts, background=back.texts, examples_field=examples_field)
    with transaction.atomic():
        _check_name_free(user=user, name=name)
        personality = _personality_create(owner=user, name=name, description=description,
                                          kind=Personality.Kind.LEARNED)
        _with_files(personality, lambda d: _write_learned(d, persona, texts.texts, back.texts),
                    **_learned_fields(persona),
                    provenance=_provenance(texts, back, dataset_version_id, background))
    return personality


@transaction.atomic
def personality_create_neural(*, user, name: str, description: str = "",
                              examples: Sequence[str] | None = None,
                              dataset_version_id: int | None = None,
                              background: Sequence[str] | None = None,
                              epochs: int | None = None) -> Personality:
    """A neural personality: its version starts `training` and `personality_train_task`
    (the `train` queue) fits a persona space of these examples against the background."""
    name = _check_name_free(user=user, name=name)
    texts = _texts_arg(user=user, pasted=examples, dataset_version_id=dataset_version_id,
                       field_name="examples", required=True)
    back = _background(background)
    examples_field = "examples" if dataset_version_id is None else "dataset_version_id"
    epochs = _neural_prepare(examples=texts.texts, background=back.texts, examples_field=examples_field,
                             epochs=epochs)
    personality = _personality_create(owner=user, name=name, description=description,
                                      kind=Personality.Kind.NEURAL)
    _neural_version(personality, examples=texts, background=back, epochs=epochs,
                    provenance=_provenance(texts, back, dataset_version_id, background))
    return personality


# -- update, copy, delete ----------------------------------------------------------------------


def personality_update(*, user, personality_id: int, name: str | None = None,
                       description: str | None = None, **changes) -> Personality:
    """Renames or redescribes; any behaviour field (see the module docstring for each kind's)
    makes a new version from the current one with those fields changed: config traits over
    the current traits, learned/neural the given texts with the current version's other
    texts. A version's prompt names the personality ("You are <name>", a config one also its
    description), so a rename (or a config redescription) that changes the prompt makes a new
    version too: config and learned ones rebuilt at once, a neural one retrained on the same
    texts (its name is its label in the trained space). A field of another kind is a
    ValidationError naming it."""
    personality = _writable(user=user, personality_id=personality_id)
    given = {k: v for k, v in changes.items() if v is not None}
    foreign = sorted(set(given) - KIND_FIELDS[personality.kind])
    if foreign:
        raise ValidationError({foreign[0]: [f"a {personality.kind} personality has no {foreign[0]}"]})
    if name is not None:
        name = _check_name_free(user=personality.owner, name=name, exclude=personality.pk,
                                private=personality.team_id is None)
    renamed = name is not None and name != personality.name
    if given and personality.kind == Personality.Kind.LEARNED:
        return _update_learned(personality, user=user, name=name, description=description, **given)
    with transaction.atomic():
        personality = _rename(personality, name=name, description=description)
        current = personality.current_version
        if personality.kind == Personality.Kind.CONFIG:
            persona = _config_persona(
                name=personality.name, description=personality.description,
                archetype=given.get("archetype", ""), traits=given.get("traits"),
                base_traits=current.traits if current else None,
            )
            if given or current is None or persona.system_prompt() != current.system_prompt:
                _version_add(personality, **_config_fields(persona),
                             provenance=_archetype_provenance(given.get("archetype", "")))
        elif personality.kind == Personality.Kind.LEARNED and renamed:
            _learned_renamed(personality)
        elif given or renamed:
            examples, background = _texts_for_retrain(personality, user=user, **given)
            epochs = given.get("epochs", (current.provenance if current else {}).get("epochs"))
            epochs = _neural_prepare(examples=examples.texts, background=background.texts,
                                     examples_field=_examples_field(given), epochs=epochs)
            _neural_version(personality, examples=examples, background=background, epochs=epochs,
                            provenance=_provenance(examples, background, given.get("dataset_version_id"),
                                                   given.get("background")))
    return personality


def _rename(personality: Personality, *, name: str | None, description: str | None) -> Personality:
    """The personality re-read under a row lock with the new name and description saved: a
    concurrent edit's new current version is kept, never written back from a stale copy."""
    personality = Personality.objects.select_for_update(of=("self",)).select_related(
        "current_version").get(pk=personality.pk)
    changed = {field: value for field, value in (("name", name), ("description", description))
               if value is not None}
    if changed:
        for field, value in changed.items():
            setattr(personality, field, value)
        with _name_unique(personality.name):
            personality.save(update_fields=[*changed, "updated_at"])
    return personality


def _learned_renamed(personality: Personality) -> PersonalityVersion:
    """The current learned version under the personality's new name: the same fitted arrays
    and texts (copied), its prompt rebuilt."""
    from .loader import personality_version_load

    current = personality.current_version
    persona = copy.copy(personality_version_load(current))  # the loader's object is shared
    persona.name = personality.name
    source = storage.version_dir(personality.owner_id, current.pk)
    return _with_files(personality, lambda d: storage.copy_version_files(source, d),
                       **_learned_fields(persona),
                       provenance={**current.provenance, "renamed_from_version_id": current.pk})


def _examples_field(given: dict) -> str:
    return "dataset_version_id" if "dataset_version_id" in given else "examples"


def _texts_for_retrain(personality: Personality, *, user, examples=None, dataset_version_id=None,
                       background=None, **_) -> tuple[sources.Texts, sources.Texts]:
    """The new examples and background, each falling back to the current version's."""
    old_examples, old_background = [], []
    current = personality.current_version
    if current is not None and storage.TRAIN_FILE in current.artifacts:
        with storage.folder_files(storage.version_dir(personality.owner_id, current.pk)) as files:
            old_examples, old_background = storage.read_training_texts(files)
    new_examples = _texts_arg(user=user, pasted=examples, dataset_version_id=dataset_version_id,
                              field_name="examples", required=False)
    if background is None and old_background:
        new_background = sources.Texts(old_background)
    else:
        new_background = _background(background)
    return (new_examples if new_examples is not None else sources.Texts(old_examples)), new_background


def _update_learned(personality: Personality, *, user, name, description, **given) -> Personality:
    examples, background = _texts_for_retrain(personality, user=user, **given)
    persona = _learned_fit(name=name or personality.name, examples=examples.texts, background=background.texts,
                           examples_field=_examples_field(given))
    with transaction.atomic():
        personality = _rename(personality, name=name, description=description)
        persona.name = personality.name
        _with_files(personality, lambda d: _write_learned(d, persona, examples.texts, background.texts),
                    **_learned_fields(persona),
                    provenance=_provenance(examples, background, given.get("dataset_version_id"),
                                           given.get("background")))
    return personality


def _copy_name(*, user, name: str) -> str:
    taken = set(Personality.objects.filter(owner=user, team__isnull=True, name__startswith=name)
                .values_list("name", flat=True))
    if name not in taken:
        return name
    for n in range(2, 1000):
        candidate = f"{name} ({n})"
        if candidate not in taken:
            return candidate
    raise ValidationError({"name": ["give the copy a name"]})


@transaction.atomic
def personality_copy(*, user, personality_id: int, name: str = "") -> Personality:
    """A new personality of the user's, version 1 being a copy of the source's current
    version (a built-in's or their own; artifacts copied). Without a name the copy keeps the
    source's, numbered if the user already has one by it."""
    source = personality_get(user=user, personality_id=personality_id)
    version = source.current_version
    if version is None or version.status != PersonalityVersion.Status.READY:
        state = version.status if version else "without a version"
        raise Conflict(f"personality '{source.name}' is {state}; copy it once it is ready")
    name = _check_name_free(user=user, name=name) if name.strip() else _copy_name(user=user, name=source.name)
    personality = _personality_create(owner=user, name=name, description=source.description,
                                      kind=source.kind, archetype=source.archetype)
    if source.kind == Personality.Kind.CONFIG:
        # Rebuilt under the new name: the prompt says "You are <name>".
        fields = _config_fields(_config_persona(name=name, description=personality.description,
                                                archetype="", traits=version.traits))
    else:
        fields = {f: getattr(version, f) for f in ("target_ranges", "generation_defaults",
                                                    "system_prompt", "spec", "artifacts", "metrics")}
    _with_files(
        personality,
        lambda d: None if source.builtin else storage.copy_version_files(
            storage.version_dir(source.owner_id, version.pk), d),
        **fields, provenance={**version.provenance, "copied_from_version_id": version.pk},
    )
    return personality


def personality_references(personality: Personality) -> list[models.Model]:
    """The objects outside this app that use the personality or any of its versions: every
    foreign key other apps point at them (found by introspection, so a new one needs no
    registration) and the registered checks."""
    holders: list[models.Model] = []
    targets = ((Personality, [personality]), (PersonalityVersion, list(personality.versions.all())))
    for model, objects in targets:
        for relation in model._meta.related_objects:
            related = relation.related_model
            if related._meta.app_label == Personality._meta.app_label or not objects:
                continue
            lookup = f"{relation.field.name}__in"
            holders += list(related._default_manager.filter(**{lookup: objects})[:10])
    for check in _REFERENCE_CHECKS:
        holders += list(check(personality))
    return holders


@transaction.atomic
def personality_delete(*, user, personality_id: int) -> None:
    """Deletes an own personality with every version and file; refused (409, naming them)
    while a conversation, model version or anything else references it."""
    _writable(user=user, personality_id=personality_id, action=Action.DELETE)
    # Locked: of two deletes at once the second is a 404.
    personality = access_get(Personality.objects.select_for_update(of=("self",)), user=user, pk=personality_id,
                             action=Action.DELETE)
    holders = personality_references(personality)
    if holders:
        raise Conflict(f"It cannot be deleted: it is {holders_message(holders)}.")
    audit_record(actor=user, action="personality.delete", target=personality, team=personality.team)
    # Each version deleted with it gives its folder's bytes back and has it removed on commit
    # (apps.quotas.released).
    personality.delete()


# -- neural training (a worker) ----------------------------------------------------------------
# The advisory-lock class that keys a training claim (with the version id): any 32-bit number
# no other lock of this database uses.
TRAIN_CLAIM_LOCK = 0x50455253


@contextmanager
def _training_claim(version_id: int) -> Iterator[bool]:
    """Whether this execution holds the version's training: a PostgreSQL session lock, taken
    atomically and let go when the block ends or the worker's connection does (a worker that
    died frees it for the redelivered task). A duplicate delivery finds it held."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [TRAIN_CLAIM_LOCK, version_id])
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [TRAIN_CLAIM_LOCK, version_id])


def personality_version_train(*, version_id: int) -> PersonalityVersion:
    """Fits the persona space of a `training` version and marks it ready (or failed with
    the reason). Idempotent: a version that is no longer training, or that another execution
    is training, is left as it is; one deleted meanwhile leaves no files behind.
    Progress (0..1) and each epoch's loss are written as epochs finish and published to the
    version's socket (realtime.py), as is the final status."""
    with _training_claim(version_id) as claimed:
        version = PersonalityVersion.objects.select_related("personality").get(pk=version_id)
        if not claimed or version.status != PersonalityVersion.Status.TRAINING:
            return version
        return _train(version)


def _train(version: PersonalityVersion) -> PersonalityVersion:
    from ml.personality.neural import CONFIG_FILE, WEIGHTS_FILE, NeuralConfig, NeuralPersonaSpace

    personality = version.personality
    directory = storage.version_dir(personality.owner_id, version.pk)
    epochs = int(version.provenance.get("epochs", DEFAULT_EPOCHS))
    history: list[dict] = []
    training = PersonalityVersion.objects.filter(pk=version.pk, status=PersonalityVersion.Status.TRAINING)

    def on_epoch(epoch: int, loss: float) -> None:
        history.append({"epoch": epoch, "loss": round(loss, 6)})
        training.update(progress=epoch / epochs, metrics=history)
        realtime.publish_epoch(version_id=version.pk, epoch=epoch, epochs=epochs,
                               loss=history[-1]["loss"], progress=epoch / epochs)

    try:
        with storage.folder_files(directory) as files:
            examples, background = storage.read_training_texts(files)
        label, other = personality.name, f"not {personality.name}"
        space = NeuralPersonaSpace.fit(
            [*examples, *background], [label] * len(examples) + [other] * len(background),
            NeuralConfig(epochs=epochs), on_epoch=on_epoch,
        )
        # Under the version's lock, charged to its account: a delete gives back what was written.
        with storage_written(version, directory) as alive:
            if alive:
                storage.folder_write(directory, space.save)
        persona = space.persona(label, ".")
    except Exception as exc:  # the user sees why; the worker stays up for the next task
        finished = training.update(status=PersonalityVersion.Status.FAILED, error=error_text(exc))
    else:
        finished = training.update(
            status=PersonalityVersion.Status.READY, progress=1.0, spec=persona.to_dict(),
            system_prompt=persona.system_prompt(), generation_defaults=persona.generation_defaults(),
            artifacts=[WEIGHTS_FILE, CONFIG_FILE, storage.TRAIN_FILE],
        )
    if not PersonalityVersion.objects.filter(pk=version.pk).exists():
        return version  # deleted while it trained: its folder went with it
    version.refresh_from_db()
    if finished:
        realtime.publish_status(version_id=version.pk, status=version.status, error=version.error)
    return version
