"""`sloughgpt pull REPO[:FILE]`: a hub repo to a local `.sou` file, without the web app.
Downloads go to `OUT.download/` beside the output and stay there when a pull fails, so
running the same command again continues where it stopped."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from ml.hub.repo import DEFAULT_ENDPOINT


def register(subparsers) -> None:
    pull = subparsers.add_parser("pull", help="download a model from Hugging Face (or a mirror) as a .sou file")
    pull.add_argument("repo", metavar="REPO[:FILE]", help="owner/name, with :FILE to pick a GGUF file")
    pull.add_argument("--revision", default="main", help="branch, tag or commit (default main)")
    pull.add_argument("--endpoint", default=os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT),
                      help="the hub's URL (default $HF_ENDPOINT or https://huggingface.co)")
    pull.add_argument("--token-env", metavar="VAR", default=None,
                      help="the environment variable holding your access token (for gated repos)")
    pull.add_argument("--type", dest="qtype", default="F32", help="tensor type of the .sou (default F32)")
    pull.add_argument("--max-bytes", type=int, default=None, help="refuse downloads larger than this")
    pull.add_argument("-o", "--output", metavar="OUT.sou", default=None,
                      help="the file to write (default: the repo's name, or the GGUF file's, .sou)")
    pull.set_defaults(func=pull_command)


def _bar():
    from tqdm import tqdm

    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc="download")

    def on_progress(progress) -> None:
        bar.total = progress.total
        bar.n = progress.done
        bar.refresh()

    return bar, on_progress


def pull_command(args: argparse.Namespace) -> int:
    from ml.hub import HubError, RepoSpec, inspect_repo, pull_to_sou

    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"error: the environment variable {args.token_env} is empty or not set", file=sys.stderr)
            return 2
    try:
        spec = RepoSpec.parse(args.repo, revision=args.revision, endpoint=args.endpoint.rstrip("/"), token=token)
        found = inspect_repo(spec, max_bytes=args.max_bytes)
        print(f"{spec.repo_id} @ {found.commit_sha[:12]}: {found.architecture or 'unknown architecture'}, "
              f"license {found.license or 'not stated'}, {found.total_bytes:,} bytes to download")
        stem = Path(found.filename).stem if found.filename else spec.repo_id.split("/")[-1]
        out = Path(args.output or f"{stem}.sou")
        work = out.with_name(out.name + ".download")
        bar, on_progress = _bar()
        try:
            pull_to_sou(spec, out, work, qtype=args.qtype, inspection=found, on_progress=on_progress)
        finally:
            bar.close()
    except HubError as exc:
        again = "; run the same command again to continue from there" if exc.code in ("cut", "stopped") else ""
        print(f"error: {exc}{again}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0
