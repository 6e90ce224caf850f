"""How a train worker runs its node of a multi-process training run: `torchrun` (c10d
rendezvous named after the run's execution, at the host:port node 0's worker opened) starting
`apps.training.torchrun_entry <run id>` once per process. The command is built here from the
run's ids and numbers only; what a process trains is the engine config the service wrote to the
run's folder (ENGINE_CONFIG). A process that dies makes torchrun stop the others on every node
and start them all once more (they resume from the last checkpoint); a second death ends it.

Rank 0 hands the run's outcome (or any process its error) back to node 0's worker through the
cache, keyed by run, so it reaches the worker on whichever host rank 0 ran."""

from __future__ import annotations

import ctypes
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import torch
from django.conf import settings
from django.db import connection

from apps.core.leases import heartbeat

from .models import TrainingRun
from .storage import training_run_dir

# The engine config (TrainConfig as JSON, paths filled in) every process of an execution reads.
ENGINE_CONFIG = "engine-config.json"
# Times torchrun starts the processes again after one died: the run resumes once.
MAX_RESTARTS = 1
# How long the outcome and error keys live (an execution reads them as soon as torchrun ends).
OUTCOME_TTL_S = 86400
# Seconds between beats of the lease while node 0's worker waits for torchrun.
HEARTBEAT_EVERY_S = 5.0
# Linux prctl option: the signal a process gets when its parent dies.
_PR_SET_PDEATHSIG = 1


def outcome_key(training_run_id: int) -> str:
    return f"training:outcome:{training_run_id}"


def error_key(training_run_id: int) -> str:
    return f"training:error:{training_run_id}"


def capacity_refusal(nproc_per_node: int) -> str | None:
    """Why this worker cannot run `nproc_per_node` processes (one per GPU, or per CPU core
    without GPUs), or None."""
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    have, what = (gpus, "GPUs") if gpus else (os.cpu_count() or 1, "CPU cores")
    if nproc_per_node > have:
        return (f"nproc_per_node is {nproc_per_node}, more than the {have} {what} of the worker that took "
                f"this node; ask for at most {have}, or add train workers with more")
    return None


def endpoint_open(nnodes: int) -> str:
    """host:port for a new rendezvous on this host: a free port, and the address other train
    hosts reach (SLOUGHGPT_TRAIN_NODE_ADDR, else this host's name; loopback for one node)."""
    host = "127.0.0.1" if nnodes == 1 else (settings.SLOUGHGPT_TRAIN_NODE_ADDR or socket.getfqdn())
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("", 0))
        port = sock.getsockname()[1]
    return f"{host}:{port}"


def rendezvous_id(training_run: TrainingRun) -> str:
    """The execution's rendezvous name: new for each execution (a resumed run meets afresh),
    the same on every node (all share SECRET_KEY), and not guessable from the run's id."""
    message = f"training-run-{training_run.pk}-{training_run.attempts}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def command(training_run: TrainingRun, *, node_rank: int) -> list[str]:
    is_host = "true" if node_rank == 0 else "false"
    # The address this node's processes are reached at (rank 0's store among them).
    local_addr = [f"--local-addr={settings.SLOUGHGPT_TRAIN_NODE_ADDR}"] if settings.SLOUGHGPT_TRAIN_NODE_ADDR else []
    return [
        sys.executable, "-m", "torch.distributed.run", *local_addr,
        f"--nnodes={training_run.nnodes}", f"--nproc-per-node={training_run.nproc_per_node}",
        f"--node-rank={node_rank}", "--rdzv-backend=c10d", f"--rdzv-endpoint={training_run.rdzv_endpoint}",
        f"--rdzv-id={rendezvous_id(training_run)}",
        f"--rdzv-conf=is_host={is_host},join_timeout={settings.SLOUGHGPT_TRAIN_JOIN_TIMEOUT_S}",
        f"--max-restarts={MAX_RESTARTS}", "--monitor-interval=0.5",
        "-m", "apps.training.torchrun_entry", str(training_run.pk),
    ]


def node_run(training_run: TrainingRun, *, node_rank: int, execution_id: str | None = None) -> int:
    """Runs this worker's node of the execution to its end; torchrun's exit code. Node 0
    (`execution_id` given) beats the run's lease meanwhile."""
    log_path = training_run_dir(training_run) / f"torchrun-node{node_rank}.log"
    env = dict(os.environ)
    # One intra-op thread pool per process, sized to its share of the cores.
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // training_run.nproc_per_node)))
    # Each start's processes meet in a store of their own (rank 0's): in the rendezvous store
    # torchrun shares by default, a restart's processes find the dead ones' addresses.
    env["TORCH_DISABLE_SHARE_RDZV_TCP_STORE"] = "1"
    node_status_set(training_run.pk, node_rank, "training")
    with log_path.open("w") as log:
        process = subprocess.Popen(command(training_run, node_rank=node_rank), cwd=Path(settings.BASE_DIR), env=env,
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        try:
            if execution_id is None:
                code = process.wait()
            else:
                with heartbeat(TrainingRun, training_run.pk, execution_id, every_s=HEARTBEAT_EVERY_S):
                    code = process.wait()
        except BaseException:
            # The task gave up (its time limit, a worker shutting down): its processes stop too.
            process.terminate()
            process.wait()
            raise
    node_status_set(training_run.pk, node_rank, "finished" if code == 0 else f"exited {code}")
    return code


def node_status_set(training_run_id: int, node_rank: int, state: str) -> None:
    """One node's entry of the run's node_status, written in one statement: nodes on other
    workers write theirs at the same time."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TrainingRun._meta.db_table} SET node_status = node_status || %s::jsonb "
                       "WHERE id = %s", [json.dumps({str(node_rank): state}), training_run_id])


def _die_with_parent() -> None:
    """torchrun gets SIGTERM (and stops its processes) if the worker process running it dies,
    so a redelivered task never finds the lost execution's processes still training."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
