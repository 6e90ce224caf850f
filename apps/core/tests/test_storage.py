"""The storage layer on both backends (local disk, and S3 through a real moto server): blobs
stored, read and deleted, keys kept under their owner, the quota charged and given back,
and an upload that fails half-way leaving nothing behind."""

from __future__ import annotations

import hashlib
import io
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.core import storage
from apps.quotas.accounts import account_for_user
from apps.quotas.errors import StorageQuotaExceeded
from apps.quotas.storage import storage_used
from apps.quotas.tests.factories import override

pytestmark = pytest.mark.django_db


class BrokenStream(io.RawIOBase):
    """A client body that sends `good` bytes and then fails (a dropped connection)."""

    def __init__(self, good: int):
        self.left = good

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("the client went away")
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        return b"z" * n


def _stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def test_a_blob_is_stored_by_content_read_back_and_deleted(any_backend, make_user):
    # given
    user = make_user()
    data = b"the same bytes, wherever they are kept\n" * 100
    # when
    key, sha256, size = storage.store_blob(io.BytesIO(data), account=account_for_user(user))
    # then the key is the content's address and the bytes come back
    assert sha256 == hashlib.sha256(data).hexdigest() and size == len(data)
    assert key == f"blobs/sha256/{sha256[:2]}/{sha256[2:]}"
    with storage.open_blob(key) as stored:
        assert stored.read() == data
    assert storage_used(account_for_user(user)) == len(data)
    # when it is deleted
    storage.delete_blob(key, account=account_for_user(user), size=size)
    # then it is gone and its bytes are given back
    with pytest.raises(FileNotFoundError):
        storage.open_blob(key).read()
    assert storage_used(account_for_user(user)) == 0


@pytest.mark.parametrize("parts", [
    {"ids": ("..", 3), "name": "x.txt"},
    {"ids": (7,), "name": "../../9/7/x.txt"},
    {"ids": (7,), "name": ".hidden"},
    {"ids": ("7/../../9",), "name": "x.txt"},
    {"ids": (7,), "name": "a\\b.txt"},
])
def test_a_key_that_would_leave_its_owner_is_refused(any_backend, parts):
    # when / then
    with pytest.raises(storage.OwnedKeyError):
        storage.owned_key("datasets", 4, *parts["ids"], name=parts["name"])
    assert storage.owned_key("datasets", 4, 7, name="poems.jsonl") == "datasets/4/7/poems.jsonl"


def test_a_link_planted_under_the_owner_cannot_lead_out(settings, tmp_path):
    # given a link in user 4's folder that points into user 5's
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "datasets" / "5" / "1").mkdir(parents=True)
    (tmp_path / "media" / "datasets" / "4").mkdir(parents=True)
    (tmp_path / "media" / "datasets" / "4" / "1").symlink_to(tmp_path / "media" / "datasets" / "5" / "1")
    # when / then
    with pytest.raises(storage.OwnedKeyError):
        storage.owned_path("datasets", 4, 1, name="data.txt")


def test_a_blob_over_the_quota_is_refused_and_nothing_is_kept(any_backend, make_user, tmp_path):
    # given a user with room for 100 bytes
    user = make_user()
    override(user=user, storage_bytes=100)
    # when a body of unknown size turns out larger
    with pytest.raises(StorageQuotaExceeded):
        storage.store_blob(io.BytesIO(b"q" * 300), account=account_for_user(user))
    # then nothing is stored or charged
    assert storage_used(account_for_user(user)) == 0
    assert (any_backend.keys() if any_backend else _stored_files(tmp_path / "media")) == []


def test_an_upload_that_fails_half_way_leaves_no_object_and_gives_the_quota_back(
        any_backend, make_user, settings, tmp_path):
    # given uploads go up in 5 MiB parts, and a client that drops after 12 MiB
    settings.SLOUGHGPT_S3_MULTIPART_BYTES = 5 * 1024 * 1024
    user = make_user()
    # when
    with pytest.raises(ConnectionResetError):
        storage.store_blob(BrokenStream(12 * 1024 * 1024), account=account_for_user(user))
    # then no object, no unfinished multipart upload, no charge
    assert storage_used(account_for_user(user)) == 0
    if any_backend:
        assert any_backend.keys() == []
        assert any_backend.multipart_uploads() == []
    else:
        assert _stored_files(tmp_path / "media") == []


def test_a_body_shorter_than_declared_is_refused_and_not_kept(any_backend, make_user, tmp_path):
    # given
    user = make_user()
    # when
    with pytest.raises(ValidationError, match="cut short"):
        storage.store_blob(io.BytesIO(b"half"), account=account_for_user(user), declared=8)
    # then
    assert storage_used(account_for_user(user)) == 0
    assert (any_backend.keys() if any_backend else _stored_files(tmp_path / "media")) == []


def test_the_same_content_is_kept_once_and_charged_to_each_account(any_backend, make_user):
    # given
    first, second = make_user(), make_user()
    # when both store the same bytes
    key_a, _, _ = storage.store_blob(io.BytesIO(b"shared"), account=account_for_user(first))
    key_b, _, _ = storage.store_blob(io.BytesIO(b"shared"), account=account_for_user(second))
    # then one object, counted for each
    assert key_a == key_b
    if any_backend:
        assert any_backend.keys() == [key_a]
    assert storage_used(account_for_user(first)) == storage_used(account_for_user(second)) == 6


def test_a_download_link_on_s3_serves_the_bytes_as_an_attachment(s3_storage, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    key, _, _ = storage.store_blob(io.BytesIO(b"col1,col2\n1,2\n"))
    # when
    url = storage.blob_url(key, "table.csv")
    with urllib.request.urlopen(url) as response:  # noqa: S310 (the test's own moto server)
        body, disposition = response.read(), response.headers["Content-Disposition"]
    # then
    assert body == b"col1,col2\n1,2\n"
    assert disposition.startswith("attachment") and "table.csv" in disposition


def test_no_download_link_on_the_local_backend(settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    key, _, _ = storage.store_blob(io.BytesIO(b"local"))
    # when / then: callers stream the file themselves
    assert storage.blob_url(key, "a.txt") is None
