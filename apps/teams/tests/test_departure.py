"""Deleting a user keeps what they made in a team: the team's dataset they created, the
version they uploaded and its file stay, owned by the team's owner, and the bytes still count
against the team. Their private work goes with them, its bytes given back. On S3 the files are
copied to the successor's keys before the delete commits (a bucket failing the copy fails the
delete), and a task, tried again while the bucket fails it, deletes the old ones: a late task
never overwrites what was stored at the new keys since."""

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
from apps.teams.tasks import MOVE_RETRIES, team_files_move_task

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


class _Failing:
    """Makes the bucket answer the first `failures` calls of `operation` with an error."""

    def __init__(self, operation: str, failures: int):
        self.failures, self.calls = failures, 0
        core_storage.backend().connection.meta.client.meta.events.register(f"before-call.s3.{operation}", self)

    def __call__(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate"}},
                              "S3")


def _team_with_a_members_version(make_user, *, heirs: int = 1):
    """A team made by its first owner (more owners after it when `heirs` > 1), a member,
    and the member's 60-byte version of a team dataset."""
    owners = [make_user() for _ in range(heirs)]
    member = make_user()
    team = team_create(user=owners[0], name="lab")
    for later in owners[1:]:
        Membership.objects.create(team=team, user=later, role=Role.OWNER)
    Membership.objects.create(team=team, user=member, role=Role.MEMBER)
    version = _version(member, Dataset.objects.create(owner=member, team=team, name="shared"), b"t" * 60)
    return team, owners, member, version


@pytest.fixture
def queued_moves(monkeypatch) -> list[list[list[str]]]:
    """The hand-over tasks queued, not run: each one's moves."""
    queued: list[list[list[str]]] = []
    monkeypatch.setattr(team_files_move_task, "delay", queued.append)
    return queued


def test_a_hand_over_the_bucket_fails_at_first_is_tried_again_until_the_old_files_went(
        make_user, settings, tmp_path, s3_storage, monkeypatch, django_capture_on_commit_callbacks):
    # given files kept in S3, a member's version of a team dataset, and a bucket that fails
    # the first two deletes of an object
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    _, (owner,), member, version = _team_with_a_members_version(make_user)
    failing = _Failing("DeleteObject", 2)
    monkeypatch.setattr(team_files_move_task, "delay", lambda moves: team_files_move_task.apply((moves,)))
    # when the member is deleted
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    # then the delete was tried again, and the object is under the team's owner once
    version.refresh_from_db()
    assert failing.calls == 3
    assert s3_storage.keys() == [f"datasets/{owner.pk}/{version.pk}/a.txt"]
    assert dataset_version_path(version).read_bytes() == b"t" * 60


def test_a_late_hand_over_task_keeps_what_the_successor_stored_since(
        make_user, settings, tmp_path, s3_storage, queued_moves, django_capture_on_commit_callbacks):
    # given a member's team version moved to its successor, whose task the bucket fails at first
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    _, (owner,), member, version = _team_with_a_members_version(make_user)
    new_key = f"datasets/{owner.pk}/{version.pk}/a.txt"
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    (moves,) = queued_moves
    client = core_storage.backend().connection.meta.client
    failing = [_Failing(operation, 1) for operation in ("CopyObject", "DeleteObject")]
    with pytest.raises(ClientError):
        team_files_move_task.run(moves)
    for bucket_fault in failing:
        bucket_fault.failures = 0  # the bucket is back
    # when the successor stores new bytes at the version's key, and then the task is retried
    client.put_object(Bucket=s3_storage.name, Key=new_key, Body=b"n" * 60)
    team_files_move_task.run(moves)
    # then the successor's bytes are what the version holds, alone in the bucket
    assert s3_storage.keys() == [new_key]
    assert core_storage.open_blob(new_key).read() == b"n" * 60


def test_two_hand_overs_whose_tasks_run_in_reverse_order_leave_the_files_where_the_row_points(
        make_user, settings, tmp_path, s3_storage, queued_moves, django_capture_on_commit_callbacks):
    # given a member's team version handed over to the first owner, who then leaves too
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    _, (first, second), member, version = _team_with_a_members_version(make_user, heirs=2)
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    # when the second hand-over's task runs before the first's
    for moves in reversed(queued_moves):
        team_files_move_task.run(moves)
    # then the file is at the key of the version's final owner, and nowhere else
    version.refresh_from_db()
    assert version.owner == second
    assert s3_storage.keys() == [f"datasets/{second.pk}/{version.pk}/a.txt"]
    assert dataset_version_path(version).read_bytes() == b"t" * 60


def test_a_hand_over_the_bucket_fails_to_copy_leaves_the_member_and_their_files(
        make_user, settings, tmp_path, s3_storage, queued_moves, django_capture_on_commit_callbacks):
    # given a member's team version, and a bucket that fails copies
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    _, _, member, version = _team_with_a_members_version(make_user)
    before = s3_storage.keys()
    _Failing("CopyObject", 1)
    # when the member is deleted
    with pytest.raises(ClientError), django_capture_on_commit_callbacks(execute=True):
        member.delete()
    # then nothing changed: the member, the version's owner and its file are as they were
    version.refresh_from_db()
    assert version.owner == member and type(member).objects.filter(pk=member.pk).exists()
    assert s3_storage.keys() == before and queued_moves == []


def test_a_hand_over_task_that_runs_out_of_tries_says_which_files_stayed(
        make_user, settings, tmp_path, s3_storage, monkeypatch, caplog, django_capture_on_commit_callbacks):
    # given a member's team version, and a bucket that fails every delete
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    _, _, member, version = _team_with_a_members_version(make_user)
    old_folder = f"datasets/{member.pk}/{version.pk}"
    _Failing("DeleteObject", MOVE_RETRIES + 1)
    monkeypatch.setattr(team_files_move_task, "delay", lambda moves: team_files_move_task.apply((moves,)))
    # when the member is deleted and every try of the task fails
    with django_capture_on_commit_callbacks(execute=True):
        member.delete()
    # then the give-up is logged as an error naming the old folder
    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert any("giving up" in message and old_folder in message for message in errors), errors
