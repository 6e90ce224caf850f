"""Inference records of real chat replies: a real thread-pool inference worker serves a tiny
model; each reply leaves one record with its trace hops in order, opened as a timeline by its
user (and from the chat message), never by a stranger; its drift features are filled in
afterwards without failing anything when one cannot be computed; a reply whose version and
chat message were deleted meanwhile is still recorded."""

from __future__ import annotations

import json
import time

import pytest

from apps.chat.models import Message
from apps.chat.services import message_send
from apps.chat.tests.factories import conversation, model_version
from apps.monitoring import features
from apps.monitoring.features import inference_record_features, inference_record_texts_keep
from apps.monitoring.models import InferenceRecord, UsageRollup
from apps.monitoring.traces import HOPS

TIMEOUT_S = 60  # the first reply also loads the model


def _replied(user, chat, content: str) -> InferenceRecord:
    """Send `content` and wait for the worker to record the reply."""
    _, reply = message_send(user=user, conversation_id=chat.pk, content=content)
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        record = InferenceRecord.objects.filter(message_id=reply.pk).first()
        if record is not None:
            return record
        time.sleep(0.05)
    raise AssertionError(f"reply {reply.pk} left no record: {Message.objects.get(pk=reply.pk).status}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.usefixtures("inference_worker")
def test_real_replies_leave_records_with_every_hop_in_order_and_add_up(make_user, api_client_for):
    # given a conversation with a tiny model, served by a real inference worker
    user, stranger = make_user(), make_user()
    version = model_version(user)
    chat = conversation(user, version, max_tokens=6)
    # when two replies are asked for
    first = _replied(user, chat, "Tell me a story")
    second = _replied(user, chat, "And another")
    # then each has every trace time, in the order of the hops
    for record in (first, second):
        times = [getattr(record, field) for _, field, _, _ in HOPS] + [record.relayed_at]
        assert None not in times, times
        assert times == sorted(times)
        assert (record.source, record.status, record.completion_tokens) == ("chat", "ok", 6)
        assert record.user_id == user.pk and record.model_version_id == version.pk
        assert record.reply_chars == len(Message.objects.get(pk=record.message_id).content)
    # and the version's hour adds up to two requests with two latencies
    hour = UsageRollup.objects.get(model_version=version, granularity="hour")
    assert (hour.requests, hour.completion_tokens, sum(hour.latency_buckets)) == (2, 12, 2)
    # and the user opens the reply's trace from its message: six hops with durations
    client = api_client_for(user)
    listed = client.get("/api/v1/monitoring/traces/", {"message": second.message_id}).json()["results"]
    assert [trace["id"] for trace in listed] == [second.pk]
    trace = client.get(f"/api/v1/monitoring/traces/{second.pk}/").json()
    assert [hop["name"] for hop in trace["hops"]] == ["web", "queue", "worker", "prefill", "decode", "relay"]
    assert all(hop["duration_ms"] >= 0 for hop in trace["hops"])
    assert trace["total_ms"] >= sum(hop["duration_ms"] for hop in trace["hops"]) - 1
    # while a stranger finds neither
    other = api_client_for(stranger)
    assert other.get(f"/api/v1/monitoring/traces/{second.pk}/").status_code == 404
    assert other.get("/api/v1/monitoring/traces/", {"message": second.message_id}).json()["results"] == []


@pytest.mark.django_db
def test_drift_features_fill_in_and_one_failing_leaves_the_other(make_user, monkeypatch):
    # given two served replies without features yet
    user = make_user()
    version = model_version(user, write_file=False)
    records = [InferenceRecord.objects.create(model_version=version, user=user, source="v1", status="ok")
               for _ in range(2)]
    inference_record_texts_keep(record_id=records[0].pk, prompt_text="What is a sonnet?",
                                reply_text="A sonnet is a poem of fourteen lines. I love them!")
    inference_record_texts_keep(record_id=records[1].pk, prompt_text="What is an ode?",
                                reply_text="An ode praises something.")
    # when the first's features are computed, and the second's while the embedding fails
    inference_record_features(record_id=records[0].pk)

    def broken(text):
        raise RuntimeError("no embedding model")

    monkeypatch.setattr(features, "_embedding", broken)
    inference_record_features(record_id=records[1].pk)
    # then the first has both; the second its personality scores only
    first, second = (InferenceRecord.objects.get(pk=r.pk) for r in records)
    assert len(first.prompt_embedding) == 384
    assert first.personality_scores["exclamation_rate"] == 0.5
    assert second.prompt_embedding is None and second.personality_scores["words"] == 4


@pytest.mark.django_db
def test_the_features_task_is_sent_the_record_id_alone_and_reads_the_texts_itself(
        make_user, monkeypatch, django_capture_on_commit_callbacks):
    # given a served reply about to be recorded, and the broker's view of the features task
    from apps.monitoring import tasks
    from apps.monitoring.records import inference_record_write

    user = make_user()
    version = model_version(user, write_file=False)
    sent: list[str] = []
    monkeypatch.setattr(tasks.inference_record_features_task, "delay",
                        lambda *args, **kwargs: sent.append(json.dumps([args, kwargs])))
    # when the worker records it
    with django_capture_on_commit_callbacks(execute=True):
        record = inference_record_write(
            source="v1", model_version_id=version.pk, user_id=user.pk, result=None,
            received_at=time.time(), prompt_text="My secret plan is to bake a cake.",
            reply_text="What a lovely secret! Bake it at 180 degrees.")
    # then the message holds the record's id and none of the words
    assert sent == [json.dumps([[record.pk], {}])]
    # and the task, run from that message, fills the features; run again, it does nothing
    [args, kwargs] = json.loads(sent[0])
    tasks.inference_record_features_task.run(*args, **kwargs)
    record.refresh_from_db()
    assert len(record.prompt_embedding) == 384
    assert record.personality_scores["exclamation_rate"] == 0.5
    tasks.inference_record_features_task.run(*args, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_chat_message_and_version_were_deleted_meanwhile_is_still_recorded(make_user):
    # given a reply whose chat message and model version were deleted while it was generated
    from apps.monitoring.records import inference_record_write

    user = make_user()
    version = model_version(user, write_file=False)
    reply = Message.objects.create(owner=user, conversation=conversation(user, version), role="assistant",
                                   content="Hi.")
    version_id, reply_id = version.pk, reply.pk
    reply.conversation.delete()
    version.delete()
    # when the worker records it
    record = inference_record_write(source="chat", model_version_id=version_id, user_id=user.pk, result=None,
                                    received_at=time.time(), message_id=reply_id)
    # then it is kept, without the deleted rows, and counted in the site's usage
    assert record is not None and InferenceRecord.objects.filter(pk=record.pk).exists()
    assert (record.model_version_id, record.message_id, record.user_id) == (None, None, user.pk)
    assert sum(UsageRollup.objects.filter(model_version=None, granularity="hour").values_list("requests", flat=True)) == 1
