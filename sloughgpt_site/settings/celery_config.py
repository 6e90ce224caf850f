"""Celery: JSON only, late acks, one task prefetched, time limits, three queues."""

from kombu import Queue

from .cache import REDIS_URL
from .env import env_int, env_str, redis_db_url

CELERY_BROKER_URL = redis_db_url(REDIS_URL, 0)
CELERY_RESULT_BACKEND = redis_db_url(REDIS_URL, 3)
# Never unpickle anything: a message body is data, not code.
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged after it finishes, and put back if its worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 6 * 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 6 * 3600 + 300)
# Redis redelivers an unacknowledged task after this long; longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = (Queue("default"), Queue("train"), Queue("inference"))
# Every task's queue, by its exact name (a new task without a route fails
# tests/test_celery_worker.py): heavy work on `train` and `inference`, which GPU workers
# consume, the rest on `default`.
CELERY_TASK_ROUTES = {
    name: {"queue": queue}
    for queue, names in {
        "train": [
            "training.training_run_execute_task",
            "training.training_run_node_task",
            "registry.model_version_import_task",
            "registry.model_version_pull_task",
            "registry.model_export_task",
            "registry.model_evaluation_task",
            "personalities.personality_train_task",
            "personalities.personality_application_execute_task",
            "personalities.personality_evaluation_execute_task",
        ],
        "inference": ["chat.chat_reply_inference_task", "chat.completion_inference_task",
                      "arena.battle_reply_inference_task"],
        "default": [
            "cards.scheduler_optimize_task",
            "core.health_ping_task",
            "core.staging_sweep_task",
            "datasets.dataset_version_validate_task",
            "knowledge.knowledge_document_extract_task",
            "monitoring.alert_delivery_task",
            "monitoring.alerts_evaluate_task",
            "monitoring.drift_pass_task",
            "monitoring.inference_record_features_task",
            "monitoring.model_version_drift_check_task",
            "pipelines.features_materialize_task",
            "pipelines.recipe_run_execute_task",
            "rag.document_embed_task",
            "sweeps.sweep_schedule_task",
            "teams.team_files_move_task",
            "training.training_dispatch_task",
        ],
    }.items()
    for name in names
}
# Training runs executing at once across all workers (apps.training.dispatch hands runs to
# the `train` queue only while fewer hold a slot): the `train` worker processes there are.
# `make run` starts CELERY_CONCURRENCY of them (sloughgpt_site/launcher.py), so that is the
# default; set it to the total when more workers consume `train`.
SLOUGHGPT_TRAIN_SLOTS = env_int("SLOUGHGPT_TRAIN_SLOTS", env_int("CELERY_CONCURRENCY", 2))
# Multi-process training runs (apps.training.launch): the most processes per node and nodes
# one run may ask for; the address other train hosts reach this one's rendezvous at (node 0
# of a multi-node run; empty: this host's name); how long node 0 waits for every node to join.
SLOUGHGPT_MAX_PROCS_PER_NODE = env_int("SLOUGHGPT_MAX_PROCS_PER_NODE", 8)
SLOUGHGPT_MAX_NODES = env_int("SLOUGHGPT_MAX_NODES", 4)
SLOUGHGPT_TRAIN_NODE_ADDR = env_str("SLOUGHGPT_TRAIN_NODE_ADDR", "")
SLOUGHGPT_TRAIN_JOIN_TIMEOUT_S = env_int("SLOUGHGPT_TRAIN_JOIN_TIMEOUT_S", 300)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes a worker's database connections around every task unless this
# is set; tasks instead keep them while CONN_MAX_AGE allows (sloughgpt_site/celery.py), and
# the fixup closes them only every this many tasks.
CELERY_DB_REUSE_MAX = 1000
