"""Tests: the same real PostgreSQL and Redis as development, emails kept in memory (or in
files, for the server processes a browser test starts), fast password hashing."""

from .base import *  # noqa: F403

DEBUG = False
# In memory for the test process; browser tests point the server processes they start at a
# folder (EMAIL_BACKEND=...filebased.EmailBackend, EMAIL_FILE_PATH) to read the mail they send.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")  # noqa: F405
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "")  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
CACHES["default"]["KEY_PREFIX"] = "sloughgpt-test"  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = "sloughgpt-test:"  # noqa: F405
# Suites make many requests as one user within a minute (the schema test most); tests of the
# limit itself set a low one on their account.
SLOUGHGPT_API_REQUESTS_PER_MINUTE = 1_000_000
# No hub in tests (a closed port answers at once); tests that pull start the hub stand-in
# (tests/hub_stand_in.py) and point this at it.
SLOUGHGPT_HUB_ENDPOINT = "http://127.0.0.1:9"
