"""Where stored files live (apps.core.storage): the local filesystem under MEDIA_ROOT by
default, an S3-compatible bucket when SLOUGHGPT_S3_BUCKET is set; and the worker-local cache
(apps.core.file_cache) that tasks read stored objects through."""

from .env import VAR_DIR, env_int, env_str

# Set to keep every stored file in this bucket instead of under MEDIA_ROOT (web and workers
# then share no disk). Credentials: SLOUGHGPT_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY, or
# boto3's own chain (AWS_* variables, an instance role) when they are not set.
SLOUGHGPT_S3_BUCKET = env_str("SLOUGHGPT_S3_BUCKET")
# Seconds a download link to a stored object (a presigned URL) stays valid.
SLOUGHGPT_S3_URL_EXPIRE_S = env_int("SLOUGHGPT_S3_URL_EXPIRE_S", 300)
# Parts of a streamed upload: objects past the threshold go up in parts of this size, and
# a failed upload's parts are aborted.
SLOUGHGPT_S3_MULTIPART_BYTES = env_int("SLOUGHGPT_S3_MULTIPART_BYTES", 8 * 1024 * 1024)
# Upload bodies wait in a staging area until complete; one older than this (seconds) was
# left by a process that died mid-upload, and the sweep run every _EVERY_S seconds deletes it.
SLOUGHGPT_STAGING_MAX_AGE_S = env_int("SLOUGHGPT_STAGING_MAX_AGE_S", 24 * 3600)
SLOUGHGPT_STAGING_SWEEP_EVERY_S = env_int("SLOUGHGPT_STAGING_SWEEP_EVERY_S", 3600)

_LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}  # MEDIA_ROOT
_S3 = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": SLOUGHGPT_S3_BUCKET,
        # An S3-compatible server (MinIO, Ceph, R2); None is AWS itself.
        "endpoint_url": env_str("SLOUGHGPT_S3_ENDPOINT_URL"),
        "region_name": env_str("SLOUGHGPT_S3_REGION"),
        "access_key": env_str("SLOUGHGPT_S3_ACCESS_KEY_ID"),
        "secret_key": env_str("SLOUGHGPT_S3_SECRET_ACCESS_KEY"),
        # "path" for servers without per-bucket host names; None lets boto3 choose.
        "addressing_style": env_str("SLOUGHGPT_S3_ADDRESSING_STYLE"),
        "querystring_expire": SLOUGHGPT_S3_URL_EXPIRE_S,
        "default_acl": None,  # objects stay private; downloads go through presigned URLs
        "file_overwrite": True,  # keys are ours and unique; never rename on collision
    },
}
STORAGES = {
    "default": _S3 if SLOUGHGPT_S3_BUCKET else _LOCAL,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The worker-local cache of stored objects: its folder and the bytes it may hold.
SLOUGHGPT_WORKER_CACHE_DIR = env_str("SLOUGHGPT_WORKER_CACHE_DIR", str(VAR_DIR / "cache" / "objects"))
SLOUGHGPT_WORKER_CACHE_BYTES = env_int("SLOUGHGPT_WORKER_CACHE_BYTES", 20 * 1024**3)
