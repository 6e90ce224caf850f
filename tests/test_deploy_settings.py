"""Production settings pass Django's deployment checklist with secrets from the environment,
and refuse to start without them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _check(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DJANGO_SETTINGS_MODULE="sloughgpt_site.settings.production", **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_secrets_from_the_environment():
    result = _check(
        {"DJANGO_SECRET_KEY": "k" * 20 + "-0a9s8d7f6g5h4j3k2l1-qwertyuiopzxcvbnm", "DJANGO_ALLOWED_HOSTS": "sloughgpt.example.com"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"DJANGO_SECRET_KEY": "", "DJANGO_ALLOWED_HOSTS": "sloughgpt.example.com"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_check_deploy_passes_with_files_in_s3():
    # given production settings with every stored file in an S3-compatible bucket
    env = {"DJANGO_SECRET_KEY": "k" * 20 + "-0a9s8d7f6g5h4j3k2l1-qwertyuiopzxcvbnm",
           "DJANGO_ALLOWED_HOSTS": "sloughgpt.example.com", "SLOUGHGPT_S3_BUCKET": "sloughgpt-files",
           "SLOUGHGPT_S3_ENDPOINT_URL": "https://minio.internal:9000", "SLOUGHGPT_S3_REGION": "us-east-1",
           "SLOUGHGPT_S3_ADDRESSING_STYLE": "path"}
    # when
    result = _check(env)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
