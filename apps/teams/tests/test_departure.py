"""Deleting a user keeps what they made in a team: the team's dataset they created, the
version they uploaded and its file stay, owned by the team's owner, and the bytes still count
against the team. Their private work goes with them, its bytes given back. On S3 the move to
the successor's keys is a task, tried again while the bucket fails it."""

from __future__ import annotations

import io

import pytest
from botocore.exceptions import ClientError

from apps.core import storage as core_storage
from apps.datasets import services as dataset_services
from apps.datasets.models import Dataset, DatasetVersion
from apps.datasets.services import dataset_version_path
from apps.quotas.accounts import account_for_team
from apps.quotas.storage import storage_used
from apps.teams.models import Membership, Role
from apps.teams.services import team_create
from apps.teams.tasks import team_files_move_task

pytestmark = pytest.mark.django_db


def _version(user, dataset, body: bytes) -> DatasetVersion:
    version, _ = dataset_services.dataset_version_upload(
        user=user, dataset_id=dataset.pk, stream=io.BytesIO(body), filename="a.txt", content_length=len(body))
    return version


@pytest.mark.parametrize("how", ["model", "admin"])
def test_a_deleted_members_team_work_stays_with_the_team(
        how, make_user, client, settings, tmp_path, django_capture_on_commit_callbacks):
    # given a team whose member made a team dataset with a 60-byte version, and a private one
    settings.MEDIA_ROOT = tmp_path / "media"
    owner, member = make_user(), make_user()
    team = team_create(user=owner, name="lab")
    Membership.objects.create(team=team, user=member, role=Role.MEMBER)
    shared = Dataset.objects.create(owner=member, team=team, name="shared")
    version = _version(member, shared, b"t" * 60)
    private = _version(member, dataset_services.dataset_create(user=member, name="mine"), b"p" * 30)
    private_file = dataset_version_path(private)
    # when the member is deleted
    with django_capture_on_commit_callbacks(execute=True):
        if how == "model":
            member.delete()
        else:
            client.force_login(make_user(is_staff=True, is_superuser=True))
            client.post("/admin/accounts/user/", {
                "action": "delete_selected", "_selected_action": [member.pk], "post": "yes"})
    # then the team's dataset and version stay, owned by the team's owner, with their file
    version.refresh_from_db()
    assert Dataset.objects.get(pk=shared.pk).owner == owner
    assert version.owner == owner
    assert dataset_version_path(version).read_bytes() == b"t" * 60
    assert storage_used(account_for_team(team)) == 60
    # and their own dataset went with them, file and all
    assert not DatasetVersion.objects.filter(pk=private.pk).exists()
    assert not private_file.exists()


def test_a_deleted_members_team_work_moves_to_the_successors_keys_in_the_bucket(
        make_user, settings, tmp_path, s3_storage, monkeypatch, django_capture_on_commit_callbacks):
    # given files kept in S3, and a member's version of a team dataset
    monkeypatch.setattr(team_files_move_task, "delay", lambda moves: team_files_move_task.apply((moves,)))
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    owner, member = make_user(), make_user()
    team = team_create(user=owner, name="lab")
    Membership.objects.create(team=team, user=member, role=Role.MEMBER)
    version = _version(member, Dataset.objects.create(owner=member, team=team, name="shared"), b"t" * 60)
    # when the member is deleted
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    # then the object moved under the team's owner, where the version now finds it
    version.refresh_from_db()
    assert s3_storage.keys() == [f"datasets/{owner.pk}/{version.pk}/a.txt"]
    assert dataset_version_path(version).read_bytes() == b"t" * 60
    assert storage_used(account_for_team(team)) == 60


class _FailingCopies:
    """Makes the bucket answer the first `failures` object copies with an error."""

    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate"}},
                              "CopyObject")


def test_a_hand_over_the_bucket_fails_at_first_is_tried_again_until_the_files_moved(
        make_user, settings, tmp_path, s3_storage, monkeypatch, django_capture_on_commit_callbacks):
    # given files kept in S3, a member's version of a team dataset, and a bucket that fails
    # the first two copies of an object
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    owner, member = make_user(), make_user()
    team = team_create(user=owner, name="lab")
    Membership.objects.create(team=team, user=member, role=Role.MEMBER)
    version = _version(member, Dataset.objects.create(owner=member, team=team, name="shared"), b"t" * 60)
    failing = _FailingCopies(2)
    core_storage.backend().connection.meta.client.meta.events.register("before-call.s3.CopyObject", failing)
    monkeypatch.setattr(team_files_move_task, "delay", lambda moves: team_files_move_task.apply((moves,)))
    # when the member is deleted
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    # then the move was tried again, and the object is under the team's owner once
    version.refresh_from_db()
    assert failing.calls == 3
    assert s3_storage.keys() == [f"datasets/{owner.pk}/{version.pk}/a.txt"]
    assert dataset_version_path(version).read_bytes() == b"t" * 60
