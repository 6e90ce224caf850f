"""Model uploads and the storage quota: the body is charged while it streams, so an account
without room is refused (413, saying how much room is left) before the server reads the
whole body, and nothing of it stays stored or charged."""

from __future__ import annotations

import io

import pytest

from apps.quotas.accounts import account_for_user
from apps.quotas.errors import StorageQuotaExceeded
from apps.quotas.storage import storage_used
from apps.quotas.tests.factories import override
from apps.registry import services
from apps.registry.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _stored_files(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


class _Body(io.BytesIO):
    """A request body that remembers how much of it the server read."""

    def __init__(self, size: int):
        super().__init__(b"GGUF" + b"\0" * (size - 4))
        self.read_bytes = 0

    def read(self, n=-1):
        chunk = super().read(n)
        self.read_bytes += len(chunk)
        return chunk


def test_an_upload_declared_past_the_quota_is_refused_before_its_body_is_read(owner, settings):
    # given an account with room for 1000 bytes, and a 5000-byte model whose size is declared
    override(user=owner, storage_bytes=1000)
    body = _Body(5000)
    # when
    with pytest.raises(StorageQuotaExceeded) as refused:
        services.model_version_upload(user=owner, filename="model.gguf", stream=body, content_length=5000,
                                      name="big")
    # then it is a 413 saying why, sent before a byte was read; nothing is kept or charged
    assert refused.value.status_code == 413
    assert "quota is 1000 bytes and 0 are used; this file needs 5000 more" in str(refused.value.detail)
    assert body.read_bytes == 0
    assert not ModelVersion.objects.exists()
    assert _stored_files(settings) == []
    assert storage_used(account_for_user(owner)) == 0


def test_a_body_of_unknown_size_is_refused_once_it_outgrows_the_quota(owner, settings):
    # given an account with 1 MiB of room left, and a 5 MiB upload sent without a size
    override(user=owner, storage_bytes=1 << 20)
    body = _Body(5 << 20)
    # when
    with pytest.raises(StorageQuotaExceeded):
        services.model_version_upload(user=owner, filename="model.gguf", stream=body, content_length=None,
                                      name="streamed")
    # then the server stopped reading at the quota, and kept and charged nothing
    assert body.read_bytes <= (1 << 20) + (1 << 20)
    assert not ModelVersion.objects.exists()
    assert _stored_files(settings) == []
    assert storage_used(account_for_user(owner)) == 0
