"""Upload and download throughput of a dataset through the API, on the local backend and on
S3 (a moto server in its own process), and how long a worker takes to get the S3 dataset as
a local file from a cold and from a warm cache (apps.core.file_cache). Prints one JSON line.

    python -m sloughgpt_site.devservices --var var/bench-storage -- \\
        python benchmarks/storage_paths.py [--size-mb 1024]

Each backend gets its own daphne process (the S3 one configured through the SLOUGHGPT_S3_*
variables, as a deployment would be); the file is a generated JSONL of the given size,
uploaded with its Content-Length and downloaded following the API's answer (a stream from
daphne locally, a redirect to a presigned URL on S3)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from stack import daphne_server, free_port, log, prepare_django, wait_for_port

BUCKET = "sloughgpt-bench"
CHUNK = 1 << 20


def _write_dataset(path: Path, size_mb: int, tag: str) -> None:
    """About `size_mb` MiB of whole JSONL records (the first line makes the content unique)."""
    line = (json.dumps({"text": "All the world's a stage, and all the men and women merely players. " * 3})
            + "\n").encode()
    block = line * (CHUNK // len(line))
    with path.open("wb") as sink:
        sink.write((json.dumps({"text": tag}) + "\n").encode())
        for _ in range(size_mb):
            sink.write(block)


@contextmanager
def _moto_server():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, process, 60, "moto")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def _environment(values: dict[str, str]):
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _s3_env(endpoint: str) -> dict[str, str]:
    return {"SLOUGHGPT_S3_BUCKET": BUCKET, "SLOUGHGPT_S3_ENDPOINT_URL": endpoint,
            "SLOUGHGPT_S3_REGION": "us-east-1", "SLOUGHGPT_S3_ADDRESSING_STYLE": "path",
            "SLOUGHGPT_S3_ACCESS_KEY_ID": "bench", "SLOUGHGPT_S3_SECRET_ACCESS_KEY": "bench"}


def _round_trip(session, url: str, data: Path) -> dict:
    """Uploads `data` as a new dataset's version and downloads it; MB/s both ways."""
    dataset = session.post(f"{url}/api/v1/datasets/", json={"name": f"bench-{time.time_ns()}"}, timeout=60)
    dataset.raise_for_status()
    size = data.stat().st_size
    started = time.perf_counter()
    with data.open("rb") as body:
        uploaded = session.post(f"{url}/api/v1/datasets/{dataset.json()['id']}/versions/?filename=bench.jsonl",
                                data=body, headers={"Content-Type": "application/octet-stream",
                                                    "Content-Length": str(size)}, timeout=3600)
    upload_s = time.perf_counter() - started
    uploaded.raise_for_status()
    version = uploaded.json()
    started, received = time.perf_counter(), 0
    with session.get(f"{url}/api/v1/dataset-versions/{version['id']}/download/", stream=True,
                     timeout=3600) as download:
        download.raise_for_status()
        redirected = bool(download.history)
        for chunk in download.iter_content(CHUNK):
            received += len(chunk)
    download_s = time.perf_counter() - started
    if received != size:
        raise RuntimeError(f"downloaded {received} of {size} bytes")
    return {"version": version, "dataset_id": dataset.json()["id"], "redirected": redirected,
            "upload_mb_s": round(size / 2**20 / upload_s, 1), "download_mb_s": round(size / 2**20 / download_s, 1)}


def _cache_fetch_times(version: dict) -> dict:
    """A worker's first and second fetch of the S3 version as a local file (this process
    uses the same bucket as the S3 daphne)."""
    from apps.core import file_cache
    from apps.datasets.models import DatasetVersion
    from apps.datasets.services import dataset_version_key

    row = DatasetVersion.objects.get(pk=version["id"])
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = file_cache.FileCache(Path(cache_dir), 64 * 1024**3)
        times = []
        for _ in range(2):
            started = time.perf_counter()
            with cache.pinned(dataset_version_key(row), row.sha256) as path:
                times.append(time.perf_counter() - started)
                if path.stat().st_size != row.size_bytes:
                    raise RuntimeError("the cached copy has the wrong size")
    return {"cold_s": round(times[0], 3), "warm_s": round(times[1], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the dataset file (MiB)")
    args = parser.parse_args()
    import requests

    results = {"size_mb": args.size_mb}
    with tempfile.TemporaryDirectory() as work, _moto_server() as endpoint, \
            _environment({**_s3_env(endpoint), "SLOUGHGPT_STORAGE_QUOTA_BYTES": str(1024**4)}):
        import boto3

        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket=BUCKET)
        user, token = prepare_django()  # this process is configured for S3, like a worker
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for backend in ("local", "s3"):
            data = Path(work) / f"{backend}.jsonl"
            log(f"{backend}: writing {args.size_mb} MiB")
            _write_dataset(data, args.size_mb, tag=f"{backend}-{time.time_ns()}")
            variables = {} if backend == "s3" else {name: "" for name in _s3_env(endpoint)}
            with _environment(variables), daphne_server() as url:
                log(f"{backend}: upload and download through {url}")
                results[backend] = _round_trip(session, url, data)
                if backend == "s3":
                    results["s3_worker_cache"] = _cache_fetch_times(results[backend]["version"])
                session.delete(f"{url}/api/v1/datasets/{results[backend].pop('dataset_id')}/", timeout=600)
                results[backend].pop("version")
            data.unlink()
    results["load_average"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
