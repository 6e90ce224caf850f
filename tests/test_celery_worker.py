"""A real Celery worker against the real Redis: tasks round-trip as JSON, each task names
the queue it goes to, /healthz reports the worker, and the worker keeps its database
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


# Every task of every app and the queue it must reach; a new task fails until it is listed.
QUEUES = {
    "arena.battle_reply_inference_task": "inference",
    "chat.chat_reply_inference_task": "inference",
    "chat.completion_inference_task": "inference",
    "cards.scheduler_optimize_task": "default",
    "core.health_ping_task": "default",
    "core.staging_sweep_task": "default",
    "datasets.dataset_version_validate_task": "default",
    "knowledge.knowledge_document_extract_task": "default",
    "monitoring.alert_delivery_task": "default",
    "monitoring.alerts_evaluate_task": "default",
    "monitoring.drift_pass_task": "default",
    "monitoring.inference_record_features_task": "default",
    "monitoring.model_version_drift_check_task": "default",
    "personalities.personality_application_execute_task": "train",
    "personalities.personality_evaluation_execute_task": "train",
    "personalities.personality_train_task": "train",
    "pipelines.features_materialize_task": "default",
    "pipelines.recipe_run_execute_task": "default",
    "rag.document_embed_task": "default",
    "registry.model_evaluation_task": "train",
    "registry.model_export_task": "train",
    "registry.model_version_import_task": "train",
    "registry.model_version_pull_task": "train",
    "sweeps.sweep_schedule_task": "default",
    "teams.team_files_move_task": "default",
    "training.training_dispatch_task": "default",
    "training.training_run_execute_task": "train",
    "training.training_run_node_task": "train",
}
# What the launcher's workers consume (sloughgpt_site/launcher.py).
LAUNCHER_QUEUES = {"default", "train", "inference"}


def test_each_task_is_named_after_its_function_and_sent_to_its_own_queue():
    # given every task the apps register
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    # when each is routed as `delay` routes it (its own options, then the router)
    routed = {name: app.amqp.router.route(task._get_exec_options(), name)["queue"].name
              for name, task in tasks.items()}
    # then
    assert routed == QUEUES
    assert set(routed.values()) <= LAUNCHER_QUEUES
    assert all(name.rsplit(".", 1)[1] == task.run.__name__ for name, task in tasks.items())


def test_celery_refuses_anything_but_json():
    conf = app.conf
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
