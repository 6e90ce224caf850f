"""Product limits: the default quota plan's values and upload sizes."""

from .env import env_int, env_list, env_str

# The default quota plan (apps.quotas) is created with these values when the database is first
# migrated, and again if it is ever missing; afterwards staff change plans in the admin or
# through the staff API, per account too. Each is per account (a user, or a team for what
# the team owns).
# Bytes of stored files: datasets, models, checkpoints, artifacts, exports, documents.
SLOUGHGPT_STORAGE_QUOTA_BYTES = env_int("SLOUGHGPT_STORAGE_QUOTA_BYTES", 20 * 1024**3)
# CPU and GPU seconds of training per calendar month (UTC), measured by the workers.
SLOUGHGPT_COMPUTE_SECONDS_PER_MONTH = env_int("SLOUGHGPT_COMPUTE_SECONDS_PER_MONTH", 100 * 3600)
# Training runs running at once.
SLOUGHGPT_CONCURRENT_RUNS = env_int("SLOUGHGPT_CONCURRENT_RUNS", 2)
# Training runs one user may have waiting for a slot at once (queued, in any experiment): a
# long line of one user's runs would make every list slower and the queue theirs.
SLOUGHGPT_WAITING_RUNS_PER_USER = env_int("SLOUGHGPT_WAITING_RUNS_PER_USER", 20)
# Requests to /api/v1 and /v1 per minute.
SLOUGHGPT_API_REQUESTS_PER_MINUTE = env_int("SLOUGHGPT_API_REQUESTS_PER_MINUTE", 600)
# Largest single upload.
SLOUGHGPT_MAX_UPLOAD_BYTES = env_int("SLOUGHGPT_MAX_UPLOAD_BYTES", 10 * 1024**3)
# Largest document uploaded for retrieval.
RAG_MAX_UPLOAD_BYTES = env_int("SLOUGHGPT_RAG_MAX_UPLOAD_BYTES", 20 * 1024**2)

# Tokens generated per UTC day, and chat generations running at once.
SLOUGHGPT_CHAT_TOKENS_PER_DAY = env_int("SLOUGHGPT_CHAT_TOKENS_PER_DAY", 200_000)
SLOUGHGPT_CHAT_MAX_CONCURRENT = env_int("SLOUGHGPT_CHAT_MAX_CONCURRENT", 4)
# Inference workers: bytes of loaded models each keeps, requests batched per model, device.
SLOUGHGPT_INFERENCE_MEMORY_BYTES = env_int("SLOUGHGPT_INFERENCE_MEMORY_BYTES", 8 * 1024**3)
SLOUGHGPT_INFERENCE_MAX_BATCH = env_int("SLOUGHGPT_INFERENCE_MAX_BATCH", 8)
SLOUGHGPT_INFERENCE_DEVICE = env_str("SLOUGHGPT_INFERENCE_DEVICE", "")

# The registry's personality gate: probes each gate evaluation asks, spread over the 61
# (apps.registry.personality_gate). Fewer is quicker and coarser.
PERSONALITY_GATE_PROBES = env_int("SLOUGHGPT_PERSONALITY_GATE_PROBES", 16)

# Sweeps: an external trial whose agent has not called the server (next trial, report) for
# this many seconds is failed as "its agent stopped", freeing its place for another agent.
SWEEP_AGENT_TIMEOUT_S = env_int("SLOUGHGPT_SWEEP_AGENT_TIMEOUT_S", 600)
# Fernet keys (urlsafe base64 of 32 bytes, `Fernet.generate_key()`) that seal secrets users
# give us (hub tokens, remote endpoint keys; apps.core.sealed). The first seals, all open.
# Empty: one key derived from DJANGO_SECRET_KEY.
SLOUGHGPT_SEAL_KEYS = env_list("SLOUGHGPT_SEAL_KEYS", [])

# Pulling models from a hub (apps.registry.hub_services): the Hugging Face Hub, or a mirror
# or private hub staff run that speaks its API. Users cannot name another one.
SLOUGHGPT_HUB_ENDPOINT = env_str("SLOUGHGPT_HUB_ENDPOINT", "https://huggingface.co").rstrip("/")
# Largest download one pull may make (all its files together), checked before downloading.
SLOUGHGPT_HUB_MAX_BYTES = env_int("SLOUGHGPT_HUB_MAX_BYTES", 20 * 1024**3)
