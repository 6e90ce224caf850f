"""Chat replies served from models kept in S3 (a real moto server), on a worker that reads
them through its bounded cache: the model is loaded once for many replies, and a reply
whose model file another task would push out of a full cache still gets its answer."""

from __future__ import annotations

import io

import pytest

from apps.chat import generation, services
from apps.chat.inference import model_cache
from apps.chat.models import Message
from apps.core import file_cache
from apps.core import storage as core_storage
from apps.registry import storage

from .factories import conversation, model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def served(make_user, settings, tmp_path, s3_storage, monkeypatch):
    """A ready version whose file is only in the bucket, and a worker with an empty cache."""
    monkeypatch.setattr("apps.chat.services.chat_reply_inference_task.delay", lambda *args, **kwargs: None)
    settings.SLOUGHGPT_WORKER_CACHE_DIR = str(tmp_path / "cache")
    owner = make_user()
    version = model_version(owner)
    path = storage.canonical_sou(owner.pk, version.pk)
    version.sha256 = core_storage.file_sha256(path)
    version.save(update_fields=["sha256"])
    core_storage.publish(path)
    path.unlink()
    model_cache().clear()
    return owner, version


def _reply(owner, version, content: str = "Hello") -> Message:
    chat = conversation(owner, version)
    _, queued = services.message_send(user=owner, conversation_id=chat.pk, content=content)
    generation.chat_reply_generate(message_id=queued.pk)
    queued.refresh_from_db()
    return queued


def test_a_model_in_the_bucket_is_loaded_once_for_many_replies(served, monkeypatch):
    # given a worker that counts its model loads
    owner, version = served
    cache = model_cache()
    loads = []
    loader = cache._loader
    monkeypatch.setattr(cache, "_loader", lambda path, **options: loads.append(path) or loader(path, **options))
    # when two replies are asked for
    first, second = _reply(owner, version), _reply(owner, version, "Again")
    # then both are answered by the one loaded engine
    assert (first.status, second.status) == ("done", "done"), (first.error, second.error)
    assert len(loads) == 1


def test_a_reply_keeps_its_model_file_while_another_task_fills_the_cache(served, settings, monkeypatch):
    # given a cache with room for the model and little more, and another task on the worker
    # that fetches a file as big while the reply's model is about to load
    owner, version = served
    size = core_storage.backend().size(storage.canonical_key(owner.pk, version.pk))
    settings.SLOUGHGPT_WORKER_CACHE_BYTES = size + 1000
    other_key, other_sha256, _ = core_storage.store_blob(io.BytesIO(b"o" * size))
    load = generation.engine_for

    def load_while_another_task_fetches(path, **kwargs):
        file_cache.fetch(other_key, other_sha256)
        return load(path, **kwargs)

    monkeypatch.setattr(generation, "engine_for", load_while_another_task_fetches)
    # when
    reply = _reply(owner, version)
    # then the reply's model file stayed for it
    assert reply.status == "done", reply.error
    assert reply.content
