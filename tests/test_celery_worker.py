"""A real Celery worker against the real Redis: tasks round-trip as JSON, routing sends
heavy work to its queue, /healthz reports the worker, and the worker keeps its database
connection from task to task."""

import pytest

from apps.core.tasks import health_ping_task
from sloughgpt_site.celery import app

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_a_task_runs_on_a_real_worker_and_healthz_is_green(celery_worker_process, client):
    # when
    result = health_ping_task.delay("hello").get(timeout=30)
    health = client.get("/healthz")
    # then
    assert result["echo"] == "hello"
    assert health.status_code == 200
    body = health.json()
    assert body["ok"] is True
    assert set(body["checks"]) == {"database", "pgvector", "redis", "workers"}
    assert body["checks"]["workers"]["workers"]


def test_a_worker_keeps_its_database_connection_between_tasks(celery_worker_process):
    # given: a worker's first task has connected to the database
    first = health_ping_task.delay("one").get(timeout=30)
    # when
    later = [health_ping_task.delay(str(n)).get(timeout=30) for n in range(3)]
    # then: the same server session served them all (a new one per task costs a PostgreSQL
    # process start before each chat reply's first query)
    assert {ping["database_session"] for ping in later} == {first["database_session"]}


def test_tasks_are_routed_by_name_to_their_queue():
    router = app.amqp.router
    assert router.route({}, "apps.experiments.tasks.training_run_execute_task")["queue"].name == "train"
    assert router.route({}, "apps.chat.tasks.chat_reply_inference_task")["queue"].name == "inference"
    assert router.route({}, "core.health_ping_task")["queue"].name == "default"


def test_celery_refuses_anything_but_json():
    conf = app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
