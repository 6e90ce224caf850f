"""Benchmark: what the access policy (apps.core.access) costs list and detail endpoints. A
user owns 1,000 registered models and 1,000 datasets, and another user shares as many with
20 teams the first belongs to (50 each; half read, half write). Each endpoint is timed
through the whole Django stack (URL routing, authentication, DRF, serializers, PostgreSQL)
with Django's test client, alternating request by request between

- "before": the policy patched to owner-only (no root is shareable, so every query is
  `owner = user`, as the code was before teams) — the user sees their own 1,000;
- "after": the policy as shipped — the user sees 2,000.

`--other-rows N` adds N private models and datasets of a user who shares nothing (a table
holding everyone's rows). Prints one JSON line: p50/p95 milliseconds and queries per request
of each endpoint in both modes, and the after/before ratio of the p95s. Goal: list p95 < 50
ms and <= 1.2x before.

    python -m sloughgpt_site.devservices --var var/bench-access -- python benchmarks/access_overhead.py"""

from __future__ import annotations

import argparse
import json
import os
import time
from contextlib import contextmanager
from unittest import mock

from stack import log, prepare_django

OWN = 1_000
SHARED = 1_000
TEAMS = 20


def _populate(user, others: int) -> dict[str, int]:
    """The rows, made once per database; returns ids for the detail endpoints."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from apps.accounts.models import User
    from apps.datasets.models import Dataset
    from apps.registry.models import RegisteredModel
    from apps.teams.models import Membership, Share, Team

    other, _ = User.objects.get_or_create(email="bench-sharer@example.com")
    kinds = (RegisteredModel, Dataset)
    with transaction.atomic():
        if not RegisteredModel.objects.filter(owner=other).exists():
            for model in kinds:
                model.objects.filter(owner__in=[user, other]).delete()
            teams = Team.objects.bulk_create([Team(name=f"bench-team-{i}") for i in range(TEAMS)])
            Membership.objects.bulk_create(
                [Membership(team=t, user=other, role="owner") for t in teams]
                + [Membership(team=t, user=user, role="member") for t in teams])
            for model in kinds:
                label = model._meta.model_name
                model.objects.bulk_create([model(owner=user, name=f"own-{label}-{i}") for i in range(OWN)])
                shared = model.objects.bulk_create(
                    [model(owner=other, name=f"shared-{label}-{i}") for i in range(SHARED)])
                kind = ContentType.objects.get_for_model(model)
                Share.objects.bulk_create([
                    Share(content_type=kind, object_id=obj.pk, team=teams[i % TEAMS],
                          level="write" if i % 2 else "read", shared_by=other)
                    for i, obj in enumerate(shared)])
    _populate_others(others)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "own_model": RegisteredModel.objects.filter(owner=user).order_by("pk").values_list("pk", flat=True)[0],
        "shared_model": RegisteredModel.objects.filter(owner=other).order_by("pk").values_list("pk", flat=True)[0],
        "own_dataset": Dataset.objects.filter(owner=user).order_by("pk").values_list("pk", flat=True)[0],
        "shared_dataset": Dataset.objects.filter(owner=other).order_by("pk").values_list("pk", flat=True)[0],
    }


def _populate_others(count: int) -> None:
    """`count` private models and datasets of a user who shares nothing: the rows of
    everyone else that a list must not read through."""
    from apps.accounts.models import User
    from apps.datasets.models import Dataset
    from apps.registry.models import RegisteredModel

    stranger, _ = User.objects.get_or_create(email="bench-stranger@example.com")
    for model in (RegisteredModel, Dataset):
        have = model.objects.filter(owner=stranger).count()
        model.objects.bulk_create([model(owner=stranger, name=f"other-{i}") for i in range(have, count)],
                                  batch_size=5_000)


def _unthrottled(user) -> None:
    """Lifts the user's per-minute API request limit (the count is still kept, as in
    production): this script sends thousands a minute on purpose."""
    from apps.quotas.limits import limits_invalidate
    from apps.quotas.models import AccountQuota

    AccountQuota.objects.update_or_create(user=user, team=None, defaults={"api_requests_per_minute": 10**9})
    limits_invalidate()


@contextmanager
def _owner_only():
    """The policy as it was before teams: no model has a shareable root, so every filter is
    the owner's and every row's access_role is "owner"."""
    with mock.patch("apps.core.access._shape", lambda model: None):
        yield


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))], 2)


def _time(client, url: str, modes: dict, requests: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = {mode: [] for mode in modes}
    queries, counts = {}, {}
    for _ in range(requests):
        for mode, patch in modes.items():
            with patch():
                started = time.perf_counter()
                response = client.get(url)
                timings[mode].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, mode, response.status_code)
    for mode, patch in modes.items():
        with patch(), CaptureQueriesContext(connection) as captured:
            body = client.get(url).json()
        queries[mode] = len(captured)
        counts[mode] = body.get("count")
    return {mode: {"p50_ms": _percentile(values, 50), "p95_ms": _percentile(values, 95),
                   "queries": queries[mode], "rows": counts[mode]}
            for mode, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint and mode")
    parser.add_argument("--other-rows", type=int, default=0,
                        help="also this many models and datasets of a user who shares nothing (kept in the database)")
    args = parser.parse_args()
    user, _ = prepare_django()
    from contextlib import nullcontext

    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    _unthrottled(user)
    started = time.perf_counter()
    ids = _populate(user, args.other_rows)
    log(f"populated in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(user)
    both = {"before": _owner_only, "after": nullcontext}
    endpoints = {
        "models_list": ("/api/v1/models/", both),
        "datasets_list": ("/api/v1/datasets/", both),
        "models_list_shared": ("/api/v1/models/?scope=shared", {"after": nullcontext}),
        "model_detail_own": (f"/api/v1/models/{ids['own_model']}/", both),
        "dataset_detail_own": (f"/api/v1/datasets/{ids['own_dataset']}/", both),
        "model_detail_shared": (f"/api/v1/models/{ids['shared_model']}/", {"after": nullcontext}),
        "dataset_detail_shared": (f"/api/v1/datasets/{ids['shared_dataset']}/", {"after": nullcontext}),
    }
    results = {}
    for name, (url, modes) in endpoints.items():
        for mode, patch in modes.items():  # warm caches and connections
            with patch():
                client.get(url)
        results[name] = _time(client, url, modes, args.requests)
        if "before" in results[name]:
            results[name]["p95_ratio"] = round(results[name]["after"]["p95_ms"] / results[name]["before"]["p95_ms"], 2)
        log(f"{name}: {json.dumps(results[name])}")
    lists = [results[n] for n in ("models_list", "datasets_list")]
    print(json.dumps({
        "benchmark": "access_overhead",
        "own_objects": OWN, "shared_objects": SHARED, "teams": TEAMS, "requests": args.requests,
        "other_rows": args.other_rows,
        "load_average": round(os.getloadavg()[0], 1),
        "endpoints": results,
        "goal": {"list_p95_ms": 50, "list_p95_ratio": 1.2},
        "list_p95_after_ms": [r["after"]["p95_ms"] for r in lists],
        "list_p95_ratios": [r["p95_ratio"] for r in lists],
    }))


if __name__ == "__main__":
    main()
