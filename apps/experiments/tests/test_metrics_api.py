"""Batched metric ingestion, its validation, the downsampled series and run comparison."""

import json
import math
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.experiments.models import MetricBatch, MetricPoint

from .factories import log_series, make_run

pytestmark = pytest.mark.django_db


def _post(client, run, body, **headers):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/v1/runs/{run.pk}/metrics/", raw, content_type="application/json",
                       headers=headers)


def test_a_batch_is_stored_and_summarized(make_user, api_client_for):
    # given
    user = make_user()
    run = make_run(user)
    client = api_client_for(user)
    points = [
        {"key": "train/loss", "value": 5.0 - step, "step": step, "timestamp": 1000.0 + step}
        for step in range(4)
    ]
    points.append({"key": "lr", "value": 3, "step": 0})
    # when
    stored = _post(client, run, {"metrics": points})
    # a later batch re-logging an earlier step must not become the "last" value
    _post(client, run, {"metrics": [{"key": "train/loss", "value": 9.0, "step": 1}]})
    summaries = client.get(f"/api/v1/runs/{run.pk}/metrics/").json()["results"]
    series = client.get(f"/api/v1/runs/{run.pk}/metrics/train/loss/").json()
    # then
    assert stored.status_code == 201 and stored.json() == {"count": 5}
    assert summaries == [
        {"key": "lr", "count": 1, "last": 3.0, "last_step": 0, "min": 3.0, "max": 3.0},
        {"key": "train/loss", "count": 5, "last": 2.0, "last_step": 3, "min": 2.0, "max": 9.0},
    ]
    assert series["key"] == "train/loss" and series["total_points"] == 5
    assert series["steps"] == [0, 1, 1, 2, 3]
    assert series["values"] == [5.0, 4.0, 9.0, 3.0, 2.0] == series["min"] == series["max"]


def test_a_batch_resent_with_its_idempotency_key_is_stored_once(make_user, api_client_for):
    # given a batch that was stored, but whose answer the client never saw
    user = make_user()
    run, other_run = make_run(user), make_run(user)
    client = api_client_for(user)
    batch = {"metrics": [{"key": "loss", "value": 1.5, "step": s} for s in range(3)]}
    first = _post(client, run, batch, **{"Idempotency-Key": "batch-7"})
    # when the client sends it again with the same key, and a new batch with a new key
    again = _post(client, run, batch, **{"Idempotency-Key": "batch-7"})
    later = _post(client, run, {"metrics": [{"key": "loss", "value": 1.0, "step": 3}]},
                  **{"Idempotency-Key": "batch-8"})
    # and another run happens to use the same key
    elsewhere = _post(client, other_run, batch, **{"Idempotency-Key": "batch-7"})
    # then the resend gets the first answer and stores nothing
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"count": 3}
    assert later.json() == {"count": 1} and elsewhere.json() == {"count": 3}
    summaries = client.get(f"/api/v1/runs/{run.pk}/metrics/").json()["results"]
    assert summaries[0]["count"] == 4
    assert MetricPoint.objects.filter(series__run=run).count() == 4


def test_idempotency_keys_older_than_a_day_are_dropped_when_a_new_batch_arrives(
        make_user, api_client_for):
    # given a key stored two days ago and one stored an hour ago
    user = make_user()
    run = make_run(user)
    client = api_client_for(user)
    point = {"metrics": [{"key": "loss", "value": 1.0, "step": 0}]}
    for key, age in (("old", timedelta(days=2)), ("recent", timedelta(hours=1))):
        _post(client, run, point, **{"Idempotency-Key": key})
        MetricBatch.objects.filter(run=run, key=key).update(created_at=timezone.now() - age)
    # when a new batch comes with a new key
    _post(client, run, point, **{"Idempotency-Key": "new"})
    # then the day-old key is gone, the recent one still deduplicates
    assert set(MetricBatch.objects.filter(run=run).values_list("key", flat=True)) == {"recent", "new"}
    assert _post(client, run, point, **{"Idempotency-Key": "recent"}).json() == {"count": 1}
    assert MetricPoint.objects.filter(series__run=run).count() == 3


def test_a_bad_idempotency_key_is_a_400_naming_the_header(make_user, api_client_for):
    # given
    user = make_user()
    run = make_run(user)
    batch = {"metrics": [{"key": "loss", "value": 1.5, "step": 0}]}
    # when
    response = _post(api_client_for(user), run, batch, **{"Idempotency-Key": "x" * 65})
    # then
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert not MetricPoint.objects.filter(series__run=run).exists()


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (
            '{"metrics": [{"key": "a", "value": 1, "step": 0}, {"key": "a", "value": NaN, "step": 1}]}',
            "metrics[1].value",
        ),
        ('{"metrics": [{"key": "a", "value": Infinity, "step": 0}]}', "metrics[0].value"),
        ('{"metrics": [{"key": "a", "value": 1e999, "step": 0}]}', "metrics[0].value"),
        ('{"metrics": [{"key": "a", "value": "1.0", "step": 0}]}', "metrics[0].value"),
        ('{"metrics": [{"key": "a", "value": true, "step": 0}]}', "metrics[0].value"),
        ('{"metrics": [{"key": "a", "value": 1, "step": -1}]}', "metrics[0].step"),
        ('{"metrics": [{"key": "a", "value": 1, "step": 1.5}]}', "metrics[0].step"),
        ('{"metrics": [{"key": "a", "value": 1}]}', "metrics[0].step"),
        ('{"metrics": [{"key": "", "value": 1, "step": 0}]}', "metrics[0].key"),
        ('{"metrics": [{"key": ["a"], "value": 1, "step": 0}]}', "metrics[0].key"),
        ('{"metrics": [{"key": "a\\u0000", "value": 1, "step": 0}]}', "metrics[0].key"),
        (
            '{"metrics": [{"key": "a", "value": 1, "step": 0, "timestamp": -5}]}',
            "metrics[0].timestamp",
        ),
        ('{"metrics": [{"key": "a", "value": 1, "step": 0, "wall": 1}]}', "metrics[0].wall"),
        ('{"metrics": [7]}', "metrics[0]"),
        ('{"metrics": []}', "metrics"),
        ('{"points": []}', "metrics"),
        ("[1, 2]", "metrics"),
    ],
)
def test_a_bad_point_is_a_400_naming_it_and_nothing_is_stored(
    make_user, api_client_for, raw, field
):
    # given
    user = make_user()
    run = make_run(user)
    # when
    response = _post(api_client_for(user), run, raw)
    # then
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not MetricPoint.objects.filter(series__run=run).exists()


def test_more_than_ten_thousand_points_are_refused(make_user, api_client_for):
    # given
    user = make_user()
    run = make_run(user)
    points = [{"key": "a", "value": 1.0, "step": step} for step in range(10_001)]
    # when
    response = _post(api_client_for(user), run, {"metrics": points})
    # then
    assert response.status_code == 400
    assert "10000" in response.json()["error"]["fields"]["metrics"][0]


def test_downsampling_keeps_the_true_extremes(make_user, api_client_for):
    # given: 10k noisy points with two single-step spikes
    user = make_user()
    run = make_run(user)
    rng = random.Random(7)
    values = [math.sin(step / 300) + rng.uniform(-0.1, 0.1) for step in range(10_000)]
    values[1234], values[8765] = 50.0, -50.0
    log_series(user, run, "loss", values)
    # when
    series = api_client_for(user).get(f"/api/v1/runs/{run.pk}/metrics/loss/?points=100").json()
    # then
    assert series["total_points"] == 10_000
    assert (
        len(series["steps"])
        == len(series["values"])
        == len(series["min"])
        == len(series["max"])
        == 100
    )
    assert max(series["max"]) == 50.0 and min(series["min"]) == -50.0
    assert series["steps"] == sorted(series["steps"]) and series["steps"][-1] == 9_999
    assert all(
        low <= mean <= high
        for low, mean, high in zip(series["min"], series["values"], series["max"])
    )


def test_a_long_chart_over_negative_steps_buckets_each_step_once(make_user, api_client_for):
    # given a series over steps -128..127 whose value is its step, logged as MLflow's API
    # logs (negative steps allowed)
    from apps.experiments.services import run_metrics_log
    from apps.experiments.validation import MIN_INT64

    user = make_user()
    run = make_run(user)
    points = [{"key": "loss", "value": float(step), "step": step} for step in range(-128, 128)]
    run_metrics_log(user=user, run_id=run.pk, metrics=points, min_step=MIN_INT64)
    # when the chart asks for 4 points
    series = api_client_for(user).get(f"/api/v1/runs/{run.pk}/metrics/loss/?points=4").json()
    # then each bucket holds 64 consecutive steps, the ones either side of 0 apart
    assert series["steps"] == [-65, -1, 63, 127]
    assert series["min"] == [-128.0, -64.0, 0.0, 64.0]
    assert series["max"] == [-65.0, -1.0, 63.0, 127.0]


def test_unknown_metric_key_is_404_and_bad_points_is_400(make_user, api_client_for):
    user = make_user()
    run = make_run(user)
    log_series(user, run, "loss", [1.0])
    client = api_client_for(user)
    assert client.get(f"/api/v1/runs/{run.pk}/metrics/nope/").status_code == 404
    bad = client.get(f"/api/v1/runs/{run.pk}/metrics/loss/?points=1")
    assert bad.status_code == 400 and "points" in bad.json()["error"]["fields"]


def test_compare_shows_param_diffs_curves_and_summaries(make_user, api_client_for):
    # given
    user = make_user()
    first = make_run(user, params={"lr": 0.1, "layers": 4, "amp": True})
    second = make_run(
        user, experiment=first.experiment, params={"lr": 0.2, "layers": 4.0, "amp": 1}
    )
    log_series(user, first, "loss", [3.0, 2.0, 1.0])
    log_series(user, second, "loss", [4.0, 3.0])
    log_series(user, second, "acc", [0.5])
    # when
    response = api_client_for(user).get(
        f"/api/v1/experiments/runs/compare/?ids={first.pk},{second.pk}"
    )
    # then
    body = response.json()
    assert [run["id"] for run in body["runs"]] == [first.pk, second.pk]
    assert {p["key"]: (p["values"], p["differs"]) for p in body["params"]} == {
        "amp": ([True, 1], True),
        "layers": ([4, 4.0], False),
        "lr": ([0.1, 0.2], True),
    }
    acc, loss = body["metrics"]
    assert acc["key"] == "acc" and acc["runs"][0] is None
    assert loss["runs"][0]["summary"] == {
        "count": 3,
        "last": 1.0,
        "last_step": 2,
        "min": 1.0,
        "max": 3.0,
    }
    assert loss["runs"][1]["series"]["values"] == [4.0, 3.0]


def test_compare_refuses_other_users_runs_and_bad_ids(make_user, api_client_for):
    # given
    owner, intruder = make_user(), make_user()
    theirs = make_run(owner)
    mine = make_run(intruder)
    client = api_client_for(intruder)
    # when
    foreign = client.get(f"/api/v1/experiments/runs/compare/?ids={mine.pk},{theirs.pk}")
    malformed = client.get("/api/v1/experiments/runs/compare/?ids=1,x")
    too_many = client.get(
        "/api/v1/experiments/runs/compare/?ids=" + ",".join(map(str, range(1, 12)))
    )
    # then
    assert foreign.status_code == 404
    assert malformed.status_code == 400 and "ids" in malformed.json()["error"]["fields"]
    assert too_many.status_code == 400
