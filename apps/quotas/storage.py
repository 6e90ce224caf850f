"""Storage quota accounting: every writer of files charges the account the files count
against (`apps.quotas.accounts.account_of`) and every delete releases them.

A charge is one conditional UPDATE on the account's `StorageUsage` row: the check and the
increment cannot interleave with another upload's, and the database refuses a row over its
ceiling besides. Uploads charge before they keep anything (a refusal is a 413 and nothing
stays stored); files a worker has already written (checkpoints, exports) are charged with
`force=True`, which may take the account over its limit, after which uploads and new runs
are refused until something is deleted. Deleting a stored row gives its bytes back
(`apps.quotas.released`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from .accounts import Account, account_of
from .errors import StorageQuotaExceeded
from .limits import limits_for
from .models import StorageUsage
from .stored import paths_under, stored_bytes, stored_rows


def _rows(account: Account):
    StorageUsage.objects.get_or_create(**account.lookup())
    return StorageUsage.objects.filter(**account.lookup())


def _whose(account: Account) -> str:
    return "Your" if account.user_id is not None else "The team's"


def storage_used(account: Account) -> int:
    usage = StorageUsage.objects.filter(**account.lookup()).values_list("used_bytes", flat=True).first()
    return usage or 0


def storage_charge(account: Account, nbytes: int, *, force: bool = False) -> None:
    """Counts `nbytes` more against `account`, or raises StorageQuotaExceeded (413) if they
    do not fit; with `force`, counts them even past the limit (they are already on disk)."""
    if nbytes <= 0:
        storage_release(account, -nbytes)
        return
    limit = limits_for(account).storage_bytes
    rows = _rows(account)
    if limit is None:
        rows.update(used_bytes=F("used_bytes") + nbytes, ceiling_bytes=None)
    elif force:
        rows.update(used_bytes=F("used_bytes") + nbytes,
                    ceiling_bytes=Greatest(Value(limit), F("used_bytes") + nbytes))
    elif not rows.filter(used_bytes__lte=limit - nbytes).update(
            used_bytes=F("used_bytes") + nbytes, ceiling_bytes=Value(limit)):
        raise StorageQuotaExceeded(limit_bytes=limit, used_bytes=storage_used(account), needed_bytes=nbytes,
                                   whose=_whose(account))


def storage_release(account: Account, nbytes: int) -> None:
    """Gives back `nbytes` (files deleted). Never below zero: usage that drifted from the files
    is set right by `storage_recompute`."""
    if nbytes > 0:
        StorageUsage.objects.filter(**account.lookup()).update(
            used_bytes=Greatest(F("used_bytes") - nbytes, Value(0)))


@contextmanager
def storage_counting(account: Account, path: Path, *, besides: Callable[[Path], int] = lambda path: 0) -> Iterator[None]:
    """Charges what the work inside stores under `path` (a worker's checkpoints, published
    to the bucket on S3 before the block ends), past the limit if need be: the files exist
    either way, even when the work fails. `besides(path)`: bytes under it charged otherwise."""
    before = stored_bytes(path) - besides(path)
    try:
        yield
    finally:
        # A folder gone meanwhile was deleted with its row, which gave back what it held.
        if path.exists():
            storage_charge(account, stored_bytes(path) - besides(path) - before, force=True)


@contextmanager
def storage_written(row, path: Path) -> Iterator[bool]:
    """For a worker's short write of `row`'s files under `path` (stored in the bucket on S3
    before the block ends): holds the row locked while the work inside writes, then charges
    what it added where the files are kept to the row's account, past the limit if need be.
    Yields False (write nothing) when the row was deleted meanwhile: a delete measures the
    folder under the same lock, so it gives back exactly what was charged."""
    failure = None
    with transaction.atomic():
        if not type(row)._default_manager.select_for_update().filter(pk=row.pk).exists():
            yield False
            return
        before = stored_bytes(path)
        try:
            yield True
        except Exception as exc:  # what a failed write left is charged too, then it is raised
            failure = exc
        storage_charge(account_of(row), stored_bytes(path) - before, force=True)
    if failure is not None:
        raise failure


def storage_check_room(account: Account, *, needed_bytes: int = 0) -> None:
    """Raises StorageQuotaExceeded when the account is at or past its limit, for work that
    will write files of a size not known yet (a training run's checkpoints), or when an
    estimate of what it will write (`needed_bytes`) would take it past."""
    limit = limits_for(account).storage_bytes
    used = storage_used(account)
    if limit is not None and (used >= limit or used + needed_bytes > limit):
        raise StorageQuotaExceeded(limit_bytes=limit, used_bytes=used, needed_bytes=needed_bytes,
                                   whose=_whose(account))


@transaction.atomic
def storage_move(obj, to_account: Account) -> int:
    """Moves the bytes of everything `obj` (a shareable root) holds from the account it counts
    against as stored to `to_account`; call it before saving the object's new owner or team.
    Raises StorageQuotaExceeded when they do not fit the new account. Returns the bytes moved."""
    from_account = account_of(type(obj)._default_manager.get(pk=obj.pk))
    nbytes = sum(stored_bytes(path) for path in paths_under(obj))
    if from_account != to_account and nbytes:
        storage_charge(to_account, nbytes)
        storage_release(from_account, nbytes)
    return nbytes


def storage_totals(get_model=None) -> dict[Account, int]:
    """What every account's files take on disk now."""
    totals: dict[Account, int] = {}
    rows = stored_rows(get_model) if get_model is not None else stored_rows()
    for row, path in rows:
        account = account_of(row)
        totals[account] = totals.get(account, 0) + stored_bytes(path)
    return totals


@transaction.atomic
def storage_recompute(get_model=None) -> dict[Account, int]:
    """Sets every account's usage to what its files take on disk (for installs that stored
    files before every kind was counted, or after usage drifted). Returns the totals.
    `get_model` is a migration's, when a migration runs it."""
    totals = storage_totals(get_model)
    usage_model = get_model("quotas", "StorageUsage") if get_model is not None else StorageUsage
    # No ceiling until the next charge checks the account's limit again.
    usage_model.objects.update(used_bytes=0, ceiling_bytes=None)
    for account, nbytes in totals.items():
        usage_model.objects.update_or_create(**account.lookup(), defaults={"used_bytes": nbytes})
    return totals
