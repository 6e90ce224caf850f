"""Drift detection as a model's owner sees it: a window of traffic that really moved (prompts
on another topic, longer replies) is reported as drift, one that did not is not, too little
traffic says how much is needed, settings take only what the owner may use, and others see
nothing."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from apps.monitoring.drift import drift_check
from apps.monitoring.models import DriftResult
from apps.personalities.tests.factories import (
    CHEERFUL,
    GLOOMY,
    config_personality,
    ready_evaluation,
)
from apps.training.tests.factories import valid_dataset_version
from ml.personality.embeddings import embed
from ml.personality.metrics import measure

from .drift_factories import model_version, prompts, served

pytestmark = pytest.mark.django_db

N = 80  # per side: comfortably over the default minimum of 50


def _api(version, what: str = "") -> str:
    return f"/api/v1/monitoring/model-versions/{version.pk}/drift/{what}"


def _with_reference_week(version, now, **features):
    # The version's first week (its reference) started ten days ago.
    served(version, at=now - timedelta(days=10), n=N, **features)


def test_prompts_on_another_topic_are_drift_and_new_prompts_on_the_same_topic_are_not(make_user, api_client_for):
    # given: two versions asked about cooking in their first week; this day one is asked
    # about programming, the other about cooking again (other questions)
    owner, now = make_user(), timezone.now()
    moved, steady = model_version(owner, "moved"), model_version(owner, "steady")
    cooking = prompts("cooking", 3 * N, seed=2)
    for version, window_texts in ((moved, prompts("coding", N, seed=2)), (steady, cooking[2 * N:])):
        reference_texts = cooking[:N] if version is moved else cooking[N:2 * N]
        _with_reference_week(version, now, embeddings=embed(reference_texts))
        served(version, at=now - timedelta(hours=2), n=N, embeddings=embed(window_texts))
    # when
    drift_check(version_id=moved.pk, window_end=now)
    drift_check(version_id=steady.pk, window_end=now)
    client = api_client_for(owner)
    moved_prompt = client.get(_api(moved)).json()["results"]["prompt"]
    steady_prompt = client.get(_api(steady)).json()["results"]["prompt"]
    # then
    assert moved_prompt["status"] == "ok" and moved_prompt["drifted"] is True
    assert moved_prompt["p_value"] < moved_prompt["threshold"] == 0.01
    assert (moved_prompt["n_reference"], moved_prompt["n_window"]) == (N, N)
    assert steady_prompt["status"] == "ok" and steady_prompt["drifted"] is False
    assert steady_prompt["p_value"] > 0.01
    assert moved_prompt["statistic"] > steady_prompt["statistic"]


def test_longer_replies_are_length_drift_while_the_refusal_rate_holds(make_user, api_client_for):
    # given: replies about 300 characters long in the first week, about 600 today; one in
    # ten refuses, then and now
    owner, now, rng = make_user(), timezone.now(), np.random.default_rng(0)
    version = model_version(owner)
    refusals = [i % 10 == 0 for i in range(N)]
    _with_reference_week(version, now, reply_chars=rng.normal(300, 60, N).clip(1), refused=refusals)
    served(version, at=now - timedelta(hours=3), n=N, reply_chars=rng.normal(600, 60, N).clip(1),
           refused=refusals)
    # when
    drift_check(version_id=version.pk, window_end=now)
    latest = api_client_for(owner).get(_api(version)).json()["results"]
    # then
    assert latest["length"]["drifted"] is True and latest["length"]["status"] == "ok"
    assert latest["refusal"]["drifted"] is False and latest["refusal"]["status"] == "ok"
    assert latest["refusal"]["details"]["window_rate"] == pytest.approx(0.1)


def test_shifted_personality_metrics_are_personality_drift(make_user):
    # given: replies whose sentiment fell and whose other metrics stayed where they were
    owner, now, rng = make_user(), timezone.now(), np.random.default_rng(1)
    version = model_version(owner)

    def scores(mean: float) -> list[dict]:
        return [{"vader_compound": float(v), "formality": float(f)}
                for v, f in zip(rng.normal(mean, 0.2, N), rng.normal(0.5, 0.1, N))]
    _with_reference_week(version, now, personality=scores(0.6))
    served(version, at=now - timedelta(hours=1), n=N, personality=scores(-0.2))
    # when
    result = {r.kind: r for r in drift_check(version_id=version.pk, window_end=now)}["personality"]
    # then
    assert result.drifted
    assert result.details["metrics"]["vader_compound"]["p_value"] < 0.01 / 2
    assert result.details["metrics"]["formality"]["p_value"] > 0.01


def test_personality_drift_is_measured_against_the_version_s_evaluation_once_it_has_one(
        make_user, api_client_for):
    # given: a version whose replies were gloomy in its first week and still are, and whose
    # personality evaluation answered cheerfully as served
    owner, now = make_user(), timezone.now()
    version = model_version(owner)
    gloomy = [dict(scores.values) for scores in measure((GLOOMY * 4)[:N])]
    _with_reference_week(version, now, personality=gloomy)
    served(version, at=now - timedelta(hours=1), n=N, personality=gloomy)
    against_week = {r.kind: r for r in drift_check(version_id=version.pk, window_end=now)}["personality"]
    evaluation = ready_evaluation(version, config_personality(owner).current_version, alignment=0.5)
    evaluation.report |= {"served": "none", "answers": [{"prompt": "How was it?", "none": text}
                                                        for text in CHEERFUL * 3]}
    evaluation.save()
    # when: the next check runs
    result = {r.kind: r for r in drift_check(version_id=version.pk, window_end=now + timedelta(minutes=5))}
    # then: against the first week nothing moved; against the evaluation the replies drifted,
    # and the result says which baseline it used
    assert not against_week.drifted and against_week.reference_evaluation_id is None
    assert result["personality"].drifted
    assert result["personality"].reference_evaluation_id == evaluation.pk
    assert result["personality"].n_reference == len(CHEERFUL) * 3
    assert result["length"].reference_evaluation_id is None
    latest = api_client_for(owner).get(_api(version)).json()["results"]
    assert latest["personality"]["reference_evaluation_id"] == evaluation.pk
    assert latest["personality"]["reference_start"] is None


def test_a_window_with_too_little_traffic_says_how_many_requests_it_needs(make_user, api_client_for):
    # given: a full reference week and a quiet day of 12 requests
    owner, now, rng = make_user(), timezone.now(), np.random.default_rng(0)
    version = model_version(owner)
    _with_reference_week(version, now, reply_chars=rng.normal(300, 60, N).clip(1))
    served(version, at=now - timedelta(hours=5), n=12, reply_chars=rng.normal(900, 60, 12).clip(1))
    # when
    drift_check(version_id=version.pk, window_end=now)
    history = api_client_for(owner).get(_api(version, "history/"), {"kind": "length"}).json()
    # then: no p-value, no drift, and the reason
    assert len(history) == 1
    assert history[0]["status"] == "insufficient"
    assert history[0]["p_value"] is None and history[0]["drifted"] is False
    assert "needs at least 50 requests" in history[0]["message"]
    assert "the window has 12" in history[0]["message"]


def test_a_dataset_version_the_owner_picks_is_the_prompt_reference(make_user, api_client_for):
    # given: a dataset of cooking questions and answers as the reference, and a day of
    # programming questions
    owner, now = make_user(), timezone.now()
    version = model_version(owner)
    lines = "\n".join('{"prompt": "%s", "response": "Season it well and cook it slowly."}' % p
                      for p in prompts("cooking", N, seed=3))
    dataset_version = valid_dataset_version(owner, text=lines, filename="cooking.jsonl")
    client = api_client_for(owner)
    changed = client.patch(_api(version, "settings/"), {"reference_dataset_version_id": dataset_version.pk},
                           format="json")
    served(version, at=now - timedelta(hours=1), n=N, embeddings=embed(prompts("coding", N, seed=4)))
    # when
    drift_check(version_id=version.pk, window_end=now)
    prompt = client.get(_api(version)).json()["results"]["prompt"]
    # then
    assert changed.status_code == 200
    assert changed.json()["reference_dataset_version_id"] == dataset_version.pk
    assert changed.json()["reference_dataset_id"] == dataset_version.dataset_id
    assert prompt["drifted"] is True
    assert prompt["reference_dataset_version_id"] == dataset_version.pk and prompt["n_reference"] == N


def test_settings_change_with_edit_access_and_only_to_a_readable_dataset(make_user, api_client_for):
    # given
    owner, stranger = make_user(), make_user()
    version = model_version(owner)
    strangers_data = valid_dataset_version(stranger)
    client = api_client_for(owner)
    # when
    defaults = client.get(_api(version, "settings/")).json()
    changed = client.patch(_api(version, "settings/"), {"window_hours": 6, "min_requests": 100, "alpha": 0.05},
                           format="json")
    foreign = client.patch(_api(version, "settings/"), {"reference_dataset_version_id": strangers_data.pk},
                           format="json")
    too_small = client.patch(_api(version, "settings/"), {"min_requests": 3}, format="json")
    # then
    assert (defaults["window_hours"], defaults["min_requests"], defaults["alpha"]) == (24, 50, 0.01)
    assert defaults["reference_dataset_version_id"] is None and defaults["reference_dataset_id"] is None
    assert changed.status_code == 200
    assert (changed.json()["window_hours"], changed.json()["min_requests"]) == (6, 100)
    assert foreign.status_code == 404
    assert too_small.status_code == 400 and "min_requests" in too_small.json()["error"]["fields"]
    assert client.get(_api(version, "settings/")).json()["window_hours"] == 6


def test_another_user_sees_no_drift_of_a_version_and_cannot_start_a_check(make_user, api_client_for):
    # given: a version with a drift result
    owner, stranger, now = make_user(), make_user(), timezone.now()
    version = model_version(owner)
    served(version, at=now - timedelta(hours=1), n=3)
    drift_check(version_id=version.pk, window_end=now)
    client = api_client_for(stranger)
    # when
    answers = [client.get(_api(version)), client.get(_api(version, "history/"), {"kind": "prompt"}),
               client.get(_api(version, "settings/")), client.post(_api(version, "check/")),
               client.patch(_api(version, "settings/"), {"window_hours": 1}, format="json")]
    # then
    assert [answer.status_code for answer in answers] == [404] * 5
    assert DriftResult.objects.filter(model_version=version).count() == 5


def test_check_now_twice_at_once_queues_one_check_and_says_when_to_ask_again(
        make_user, api_client_for, django_capture_on_commit_callbacks):
    # given a version its owner may check
    owner = make_user()
    version = model_version(owner)
    client = api_client_for(owner)
    # when the owner presses "Check now" twice
    with django_capture_on_commit_callbacks() as queued:
        first = client.post(_api(version, "check/"))
        second = client.post(_api(version, "check/"))
    # then the first check is queued, the second is refused with when to try again
    assert first.status_code == 202 and len(queued) == 1
    assert second.status_code == 429
    assert 1 <= int(second.headers["Retry-After"]) <= 300


def test_a_personality_metric_missing_from_the_first_reply_is_still_tested(make_user):
    # given: each side's first reply was measured without "formality", the others with it;
    # this day's replies are far more formal than the first week's
    owner, now, rng = make_user(), timezone.now(), np.random.default_rng(5)
    version = model_version(owner)

    def replies(formality: float) -> list[dict]:
        return [{"warmth": 0.5}] + [{"warmth": float(w), "formality": float(f)} for w, f in
                                    zip(rng.normal(0.5, 0.05, N - 1), rng.normal(formality, 0.05, N - 1))]
    _with_reference_week(version, now, personality=replies(0.2))
    served(version, at=now - timedelta(hours=1), n=N, personality=replies(0.8))
    # when
    result = {r.kind: r for r in drift_check(version_id=version.pk, window_end=now)}["personality"]
    # then the formality that moved is drift
    assert result.drifted is True
    assert "formality" in str(result.details)
