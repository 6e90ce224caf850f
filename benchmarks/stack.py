"""What the benchmarks that talk to the site share: Django set up on the benchmark's database,
a user with a token, a model file linked in as a user's ready version, the starter model added
through the API, and the servers: daphne alone, or the whole product as `make run` serves it
(`sloughgpt_site.launcher`: daphne and both Celery workers). Run the scripts under
`sloughgpt_site.devservices --var DIR`, so each benchmark has its own database, Redis and
media."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sloughgpt_site.settings.local")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout_s: float, what: str) -> None:
    """Returns once `port` accepts connections; RuntimeError if `process` exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


def prepare_django() -> tuple[object, str]:
    """Migrates and returns (a benchmark user, a fresh API token for it)."""
    import django

    django.setup()
    from django.core.management import call_command

    from apps.accounts.models import ApiToken, User
    from apps.accounts.services import api_token_create

    call_command("migrate", verbosity=0, interactive=False)
    user = User.objects.filter(email="bench@example.com").first()
    if user is None:
        user = User.objects.create_user(email="bench@example.com", password="bench-password-123")
    ApiToken.objects.filter(owner=user).delete()  # a user may hold 50; earlier runs' are unused
    return user, api_token_create(user=user, name=f"bench-{time.time_ns()}").secret


def link_model_version(user, sou: Path | None, name: str = "bench"):
    """A ready model version for `user` whose canonical file is a link to `sou` (or a tiny
    random LLaMA when None), replacing the user's registered model of that name. Every
    user's link resolves to the same file, so an inference worker loads it once."""
    from apps.chat.tests.factories import write_tiny_sou
    from apps.registry import storage
    from apps.registry.models import ModelVersion, RegisteredModel

    RegisteredModel.objects.filter(owner=user, name=name).delete()
    registered = RegisteredModel.objects.create(owner=user, name=name)
    version = ModelVersion.objects.create(
        owner=user, registered_model=registered, major=1, minor=0, patch=0,
        source=ModelVersion.Source.SOU_UPLOAD, status=ModelVersion.Status.READY)
    path = storage.canonical_sou(user.pk, version.pk)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # left by an earlier database at the same ids
    if sou:
        path.symlink_to(Path(sou).resolve())
    else:
        write_tiny_sou(path)
    return version, path


def starter_version(session, url: str, user) -> int:
    """The id of `user`'s ready starter model version (SmolLM2-135M-Instruct), added the
    first time through the API as a user would (`POST /api/v1/model-versions/starter/` with
    `session`, a `requests.Session` signed in as `user`): pip fetches it and a worker imports
    it, which takes minutes; later runs find it in the benchmark's var directory."""
    from apps.registry.models import ModelVersion

    version = ModelVersion.objects.filter(owner=user, source=ModelVersion.Source.STARTER,
                                          status=ModelVersion.Status.READY).first()
    if version is not None:
        return version.pk
    log("adding the starter model (downloaded and imported once; this takes minutes)")
    created = session.post(f"{url}/api/v1/model-versions/starter/", timeout=60)
    created.raise_for_status()
    deadline = time.monotonic() + 3600
    while (body := session.get(f"{url}/api/v1/model-versions/{created.json()['id']}/",
                               timeout=60).json())["status"] == "importing":
        if time.monotonic() > deadline:
            raise RuntimeError("the starter model did not finish importing within an hour")
        time.sleep(5)
    if body["status"] != "ready":
        raise RuntimeError(f"the starter model could not be added: {body.get('error')}")
    return body["id"]


@contextmanager
def daphne_server():
    """A daphne process serving the site; yields its base URL and stops it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port),
         "sloughgpt_site.asgi:application"],
        cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        wait_for_port(port, process, 60, "daphne")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def product_server(log_path: Path, env: dict[str, str] | None = None):
    """The product as `make run` serves it (migrate, then daphne, the `default,train` worker
    and the `inference` worker) on a free port, its output in `log_path`; yields the base URL
    once daphne answers and both workers answer a ping, and stops it all afterwards."""
    from sloughgpt_site.celery import app

    port = free_port()
    output = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "sloughgpt_site.launcher"], cwd=ROOT,
        env={**os.environ, **(env or {}), "SLOUGHGPT_PORT": str(port)},
        stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_port(port, process, 180, f"the site (see {log_path})")
        deadline = time.monotonic() + 180
        # This Redis is the benchmark's own, so any two workers answering are ours.
        while len(app.control.ping(timeout=1.0)) < 2:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery workers did not start; see {log_path}")
        yield f"http://127.0.0.1:{port}"
    finally:
        # The launcher stops its children on SIGTERM; its group holds only itself.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.close()
