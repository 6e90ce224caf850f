"""Two uploads that together exceed the storage quota, sent at once: exactly one is kept, the
other is a 413, and nothing of it stays stored (no version, no file, no bytes counted)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from apps.datasets.models import DatasetVersion
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used

from .factories import override


@pytest.mark.django_db(transaction=True)
def test_two_uploads_past_the_quota_at_once_keep_exactly_one(make_user, api_client_for, settings, tmp_path):
    # given a 100-byte quota and two 60-byte files
    settings.MEDIA_ROOT = tmp_path / "media"
    user = make_user()
    override(user=user, storage_bytes=100)
    dataset_id = api_client_for(user).post("/api/v1/datasets/", {"name": "d"}, format="json").json()["id"]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def upload(name: str, byte: bytes):
        client = api_client_for(user)
        start.wait()
        try:
            response = client.post(f"/api/v1/datasets/{dataset_id}/versions/?filename={name}", data=byte * 60,
                                   content_type="application/octet-stream")
            statuses.append(response.status_code)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=upload, args=(f"{n}.txt", n.encode())) for n in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then
    assert sorted(statuses) == [201, 413]
    assert DatasetVersion.objects.count() == 1
    assert storage_used(account_for_user(user)) == 60
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert [p.stat().st_size for p in stored] == [60]
