"""Checkpoints stored in the bucket as they are saved (apps.training.checkpoint_store, on a real
moto server): another worker fetches the newest whole one, sharded state included; one whose
storing was cut off midway is never what it finds; and once the run folder is stored they
leave the bucket."""

from __future__ import annotations

from apps.core import storage as core_storage
from apps.core.files import remove_tree
from apps.training import checkpoint_store
from apps.training.storage import run_dir


def _host(settings, tmp_path, name: str) -> None:
    settings.MEDIA_ROOT = tmp_path / name / "media"
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / name / "cache")


def _save(out_dir, name: str, step: int) -> None:
    """What the engine does to save: a new directory (sharded state in dcp/) renamed in place
    of the old one."""
    new = out_dir / f".{name}.tmp"
    (new / "dcp").mkdir(parents=True)
    (new / "trainer_state.json").write_text(f'{{"step": {step}}}')
    (new / "dcp" / "__1_0.distcp").write_bytes(bytes([step % 256]) * 4096)
    (new / "dcp" / ".metadata").write_bytes(b"written last by torch.distributed.checkpoint")
    remove_tree(out_dir / name)
    new.rename(out_dir / name)


def _stored(out_dir, step: int) -> None:
    """Saves `last` at `step` and has an uploader store it."""
    uploader = checkpoint_store.CheckpointUploader(out_dir)
    _save(out_dir, "last", step)
    uploader.saved("last", out_dir / "last", step)
    uploader.close()


def _fetched(settings, tmp_path, host: str) -> tuple[dict, str, bytes]:
    _host(settings, tmp_path, host)
    out_dir = run_dir(7, 9)
    index = checkpoint_store.fetch_into(out_dir)
    sharded = out_dir / "last" / "dcp"
    shard = (sharded / "__1_0.distcp").read_bytes() if (sharded / ".metadata").is_file() else b"no .metadata"
    return index, (out_dir / "last" / "trainer_state.json").read_text(), shard


def test_another_worker_fetches_the_newest_whole_checkpoint(settings, tmp_path, s3_storage):
    # given an execution that saved `last` at steps 10 and 20 (the engine replacing the
    # directory each time) and then was lost before storing its run folder
    _host(settings, tmp_path, "first")
    out_dir = run_dir(7, 9)
    uploader = checkpoint_store.CheckpointUploader(out_dir)
    for step in (10, 20):
        _save(out_dir, "last", step)
        uploader.saved("last", out_dir / "last", step)
    uploader.close()
    # when a worker with an empty disk fetches the run's checkpoints
    index, state, shard = _fetched(settings, tmp_path, "second")
    # then it has step 20's, its sharded state included, and the bucket keeps that one only
    assert index["last"]["step"] == 20
    assert state == '{"step": 20}' and shard == bytes([20]) * 4096
    assert len({key.split("/")[4] for key in s3_storage.keys() if "/.saved/" in key}) == 1


def test_a_checkpoint_whose_storing_was_cut_off_is_never_fetched(settings, tmp_path, s3_storage, monkeypatch):
    # given step 10's checkpoint stored, and the bucket failing partway through step 20's
    _host(settings, tmp_path, "first")
    out_dir = run_dir(7, 9)
    _stored(out_dir, 10)
    publish = core_storage.publish
    calls = iter(range(100))

    def failing_after_one_file(path, **kwargs):
        if next(calls) >= 1:
            raise OSError("the bucket went away")
        publish(path, **kwargs)

    monkeypatch.setattr(core_storage, "publish", failing_after_one_file)
    _stored(out_dir, 20)
    monkeypatch.setattr(core_storage, "publish", publish)
    # when another worker fetches the run's checkpoints
    index, state, shard = _fetched(settings, tmp_path, "second")
    # then it has step 10's whole checkpoint, none of step 20's files
    assert index["last"]["step"] == 10
    assert state == '{"step": 10}' and shard == bytes([10]) * 4096


def test_retiring_leaves_nothing_of_the_stored_checkpoints(settings, tmp_path, s3_storage):
    # given a stored checkpoint
    _host(settings, tmp_path, "first")
    out_dir = run_dir(7, 9)
    _stored(out_dir, 10)
    # when the execution's run folder is stored and the checkpoints retired
    checkpoint_store.retire(out_dir)
    # then nothing of them stays in the bucket, and a later fetch finds none
    assert s3_storage.keys() == []
    assert checkpoint_store.fetch_into(out_dir) == {}


def test_a_folder_stored_after_a_failed_store_is_not_replaced_by_an_older_indexed_checkpoint(
        settings, tmp_path, s3_storage, monkeypatch):
    # given an execution that stored step 10's checkpoint, failed to store step 20's, stored
    # its run folder (with step 20's) and was lost before retiring the index
    from apps.training.services import _run_dir_fetch

    _host(settings, tmp_path, "first")
    out_dir = run_dir(7, 9)
    _stored(out_dir, 10)

    def bucket_away(path):
        raise OSError("the bucket went away")

    publish_tree = core_storage.publish_tree
    monkeypatch.setattr(core_storage, "publish_tree", bucket_away)
    _stored(out_dir, 20)
    monkeypatch.setattr(core_storage, "publish_tree", publish_tree)
    core_storage.publish_tree(out_dir)
    # when the next execution, on another worker, fetches the run's folder and checkpoints
    _host(settings, tmp_path, "second")
    out_dir = run_dir(7, 9)
    _run_dir_fetch(out_dir)
    # then it resumes from step 20, not from the older checkpoint the index still names
    assert checkpoint_store.index_read(out_dir)["last"]["step"] == 10
    assert (out_dir / "last" / "trainer_state.json").read_text() == '{"step": 20}'
