"""A user who is deleted leaves their work in teams behind: before the delete cascades, what
they created in a team-owned root (the root itself, versions, runs, documents...) gets a
successor in that team as its `owner`, and what they added to another user's private root
(through a write share) goes to that root's owner. The bytes keep counting against the same
account (the team's, or the root's owner's), and the files move to the new owner's folders:
renamed once the delete commits on the local backend; on S3 copied before it commits, the old
objects deleted after it by a task, retried while the bucket fails it. Their own private work
goes with them."""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from pathlib import Path

from django.apps import apps as global_apps
from django.db import models, transaction
from django.db.models import Q

from apps.core import storage as core_storage
from apps.core.access import ROOTS, root_model
from apps.quotas.stored import stored_paths

from .models import Membership, Role

# Who inherits in a team: an owner first, then the next role down; the longest-standing first.
SUCCESSION = (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER)


def _successor(team_id: int, leaving) -> int | None:
    memberships = Membership.objects.filter(team_id=team_id).exclude(user=leaving)
    rank = models.Case(*(models.When(role=role, then=index) for index, role in enumerate(SUCCESSION)))
    return memberships.order_by(rank, "created_at", "pk").values_list("user_id", flat=True).first()


def _has_team(model: type[models.Model]) -> bool:
    return any(field.name == "team" for field in model._meta.fields)


def _left_behind(user) -> list[tuple[type[models.Model], int, models.Model]]:
    """(model, pk, root) of every row `user` owns in a root that is not theirs alone."""
    found = []
    for label, path in ROOTS.items():
        model = global_apps.get_model(label)
        if not any(field.name == "owner" for field in model._meta.fields):
            continue
        root = root_model(model)
        prefix = f"{path}__" if path else ""
        theirs = Q(**{f"{prefix}owner": user})
        if _has_team(root):
            theirs &= Q(**{f"{prefix}team__isnull": True})
        rows = model.objects.filter(owner=user).exclude(theirs)
        for row in (rows.select_related(path) if path else rows):
            found.append((model, row.pk, _root_of(row, path)))
    return found


def _root_of(row: models.Model, path: str) -> models.Model:
    for part in filter(None, path.split("__")):
        row = getattr(row, part)
    return row


def _training_paths_moved(moves: list[tuple[Path, Path]]) -> None:
    # A training run keeps its checkpoints' folders as paths: they follow its folder.
    from apps.training.models import TrainingRun

    for old, new in moves:
        # Whole path parts only: moving run 12's folder must not touch run 123's paths.
        inside = str(old) + "/"
        for training_run in TrainingRun.objects.filter(Q(last_checkpoint__startswith=inside)
                                                       | Q(best_checkpoint__startswith=inside)):
            for field in ("last_checkpoint", "best_checkpoint"):
                value = getattr(training_run, field)
                if value.startswith(inside):
                    setattr(training_run, field, str(new) + value[len(str(old)):])
            training_run.save(update_fields=["last_checkpoint", "best_checkpoint"])


def _copies_make(moves: list[tuple[Path, Path]]) -> None:
    """On S3, copies each stored folder or file to its new key before the rows name it, so
    a reader of a moved row always finds its files and nothing written there later is
    overwritten. The bucket failing fails the hand-over (and the delete), which can be
    repeated; the copies already made go with it."""
    if core_storage.is_local():
        return
    made = []
    try:
        for old, new in moves:
            made.append(new)
            core_storage.copy_tree(old, new)
    except Exception:
        for new in made:
            with suppress(Exception):  # the bucket is failing: what stays is only unnamed bytes
                core_storage.remove_remote(new)
        raise


def _move(moves: list[tuple[Path, Path]]) -> None:
    """On the local backend each move is one rename, done now. On S3 the copies are made
    already; deleting the old keys is a task, retried while the bucket fails it."""
    if not moves:
        return
    pairs = [[core_storage.key_of(old), core_storage.key_of(new)] for old, new in moves]
    if core_storage.is_local():
        team_files_move(moves=pairs)
        return
    from .tasks import team_files_move_task

    team_files_move_task.delay(pairs)


def team_files_move(*, moves: list[list[str]]) -> None:
    """Finishes each move of a stored folder or file from its old key to its new one: a
    rename on the local backend; on S3, where the copy was made before the rows named the
    new key, the delete of the old objects. Idempotent, and never writes the new key, so a
    late or repeated run cannot overwrite what was stored there since."""
    for old, new in moves:
        if core_storage.is_local():
            core_storage.move_stored(core_storage.local_path(old), core_storage.local_path(new))
        else:
            core_storage.remove_remote(core_storage.local_path(old))


@transaction.atomic
def team_work_hand_over(user) -> None:
    """Gives what `user` owns in others' roots to its successors; call it before deleting
    the user (apps.accounts.models.User.delete does)."""
    left = _left_behind(user)
    roots = {(type(root), root.pk): root for _, _, root in left}
    before = {key: stored_paths(root) for key, root in roots.items()}
    heirs: dict[tuple[type[models.Model], int], list[int]] = defaultdict(list)
    for model, pk, root in left:
        team_id = getattr(root, "team_id", None)
        heir = _successor(team_id, user) if team_id is not None else root.owner_id
        if heir is not None and heir != user.pk:
            heirs[model, heir].append(pk)
    for (model, heir), pks in heirs.items():
        model.objects.filter(pk__in=pks).update(owner_id=heir)
    moves = []
    for key, root in roots.items():
        after = stored_paths(type(root)._default_manager.get(pk=root.pk))
        moves += [(path, after[label_pk]) for label_pk, path in before[key].items()
                  if label_pk in after and after[label_pk] != path]
    _copies_make(moves)
    _training_paths_moved(moves)
    transaction.on_commit(lambda: _move(moves))
