"""Deleting a stored row (`stored.STORED_KINDS`) gives back what its files take and removes
them once the deletion commits, however the row goes: its own delete, a cascade from its
root, its run or its owner, or the admin. Services therefore only lock and delete.

The row is locked and looked up again before it is measured: of two deletions of one row at
once (two requests, or a run's delete beside its experiment's), the second waits for the
first to commit, finds the row gone and gives back nothing, so the bytes come back once."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models.signals import post_delete, pre_delete

from apps.core.storage import remove_remote

from .accounts import account_of
from .storage import storage_release
from .stored import STORED_KINDS, StoredKind, stored_bytes

_PENDING = "_storage_released"  # what the row's deletion gives back, between the two signals


def _remove(path: Path) -> None:
    remove_remote(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _deleting(sender, instance, kind: StoredKind, **kwargs) -> None:
    if not sender._default_manager.select_for_update().filter(pk=instance.pk).exists():
        return  # another deletion took it first and gave its bytes back
    path = kind.path(instance)
    if path is not None:
        charged = kind.charged(instance) if kind.charged is not None else None
        setattr(instance, _PENDING, (account_of(instance), path, stored_bytes(path) if charged is None else charged))


def _deleted(sender, instance, **kwargs) -> None:
    pending = instance.__dict__.pop(_PENDING, None)
    if pending is None:
        return
    account, path, nbytes = pending
    storage_release(account, nbytes)
    transaction.on_commit(lambda: _remove(path))


def connect() -> None:
    for kind in STORED_KINDS:
        model = global_apps.get_model(kind.label)

        def deleting(sender, instance, _kind=kind, **kwargs):
            _deleting(sender, instance, _kind, **kwargs)

        pre_delete.connect(deleting, sender=model, weak=False, dispatch_uid=f"quotas-release-{kind.label}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"quotas-released-{kind.label}")
