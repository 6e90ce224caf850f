"""Product limits: storage quotas and upload sizes."""

from .env import env_int

# Per-user bytes of uploaded files (datasets, documents, artifacts).
SLOUGHGPT_STORAGE_QUOTA_BYTES = env_int("SLOUGHGPT_STORAGE_QUOTA_BYTES", 20 * 1024**3)
# Largest single upload.
SLOUGHGPT_MAX_UPLOAD_BYTES = env_int("SLOUGHGPT_MAX_UPLOAD_BYTES", 10 * 1024**3)
