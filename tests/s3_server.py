"""A real S3-compatible server for tests: moto in server mode on 127.0.0.1 (a random port),
started once per session and stopped at its end. `s3_storage` points the storage layer
(STORAGES["default"], apps.core.storage) at a fresh bucket on it for one test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

_buckets = itertools.count(1)
REGION = "us-east-1"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}  # moto takes any


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def storage_options(self, bucket: str) -> dict:
        return {"bucket_name": bucket, "endpoint_url": self.endpoint_url, "region_name": REGION,
                "addressing_style": "path", "default_acl": None, "file_overwrite": True,
                "querystring_expire": 300, **CREDENTIALS}

    def environment(self, bucket: str) -> dict[str, str]:
        """The settings/storage.py variables a separate process reads to use `bucket`."""
        return {"SLOUGHGPT_S3_BUCKET": bucket, "SLOUGHGPT_S3_ENDPOINT_URL": self.endpoint_url,
                "SLOUGHGPT_S3_REGION": REGION, "SLOUGHGPT_S3_ADDRESSING_STYLE": "path",
                "SLOUGHGPT_S3_ACCESS_KEY_ID": "testing", "SLOUGHGPT_S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(endpoint_url=f"http://{host}:{port}")
    finally:
        server.stop()


@dataclass(frozen=True)
class S3Bucket:
    server: S3Server
    name: str

    def keys(self) -> list[str]:
        listed = self.server.client().list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def multipart_uploads(self) -> list[str]:
        listed = self.server.client().list_multipart_uploads(Bucket=self.name)
        return [item["Key"] for item in listed.get("Uploads", [])]


@pytest.fixture
def s3_storage(s3_server, settings) -> S3Bucket:
    """The storage layer on a new, empty bucket of the moto server, for this test."""
    name = f"sloughgpt-test-{next(_buckets)}"
    s3_server.client().create_bucket(Bucket=name)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_server.storage_options(name)}}
    return S3Bucket(server=s3_server, name=name)


@pytest.fixture(params=["local", "s3"])
def any_backend(request, settings, tmp_path) -> S3Bucket | None:
    """Runs a test on both backends: the local filesystem (under a fresh MEDIA_ROOT), then
    S3 (moto). Gives the bucket on S3, None locally."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "local":
        return None
    return request.getfixturevalue("s3_storage")
