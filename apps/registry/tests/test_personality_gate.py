"""The personality gate on moves to production: a model targets a personality version with
thresholds; a version below them is refused with what was measured, staff may override with
a note kept in the stage history, a version without an evaluation starts one and is told to
try again, and export reports gain a personality row."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.core.leases import LEASE_TIMEOUT
from apps.personalities import evaluations
from apps.personalities.models import Personality, PersonalityEvaluation
from apps.personalities.tests.factories import (
    config_personality,
    ready_evaluation,
    tiny_model_version,
)
from apps.registry import services
from apps.registry.models import ModelExport, ModelVersion, RegisteredModel, Stage
from apps.registry.personality_gate import GATE_MAX_TOKENS, gate_probe_ids
from apps.teams.tests.factories import make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _cheerful_version():
    return Personality.objects.get(owner=None, archetype="cheerful enthusiast").current_version


def _gated(owner, api_client_for, **thresholds):
    version = tiny_model_version(owner)
    response = api_client_for(owner).patch(f"/api/v1/models/{version.registered_model_id}/", {
        "target_personality_version_id": _cheerful_version().pk, **thresholds}, format="json")
    assert response.status_code == 200, response.json()
    return version


def _gate_evaluation(version, alignment: float):
    """A ready evaluation on the gate's own probes and answer length."""
    return ready_evaluation(version, _cheerful_version(), alignment=alignment, probe_ids=gate_probe_ids(),
                            max_tokens=GATE_MAX_TOKENS)


def _promote(client, version, **extra):
    return client.post(f"/api/v1/model-versions/{version.pk}/stage/", {"stage": "production", **extra},
                       format="json")


def test_a_model_declares_its_target_personality_and_thresholds(owner, make_user, api_client_for):
    # given
    version = tiny_model_version(owner)
    url = f"/api/v1/models/{version.registered_model_id}/"
    their_personality = config_personality(make_user(), name="their voice")
    client = api_client_for(owner)
    # when
    set_target = client.patch(url, {"target_personality_version_id": _cheerful_version().pk,
                                    "min_alignment": 0.6, "max_alignment_drift": 0.05}, format="json")
    theirs = client.patch(url, {"target_personality_version_id": their_personality.current_version_id,
                                "min_alignment": 0.6}, format="json")
    cleared = client.patch(url, {"target_personality_version_id": None}, format="json")
    # then
    assert set_target.status_code == 200
    assert set_target.json()["target_personality_name"] == "Cheerful Enthusiast"
    assert set_target.json()["min_alignment"] == 0.6 and set_target.json()["max_alignment_drift"] == 0.05
    assert theirs.status_code == 404
    assert cleared.json()["target_personality_version"] is None and cleared.json()["min_alignment"] is None


def test_a_promotion_below_the_minimum_alignment_is_refused_with_what_was_measured(owner, api_client_for):
    # given
    version = _gated(owner, api_client_for, min_alignment=0.7)
    evaluation = _gate_evaluation(version, 0.4)
    # when
    response = _promote(api_client_for(owner), version)
    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "personality_gate_failed"
    assert "alignment 0.400 is below the minimum 0.700" in error["message"]
    assert f"evaluation {evaluation.pk}" in error["message"]
    version.refresh_from_db()
    assert version.stage == Stage.DEVELOPMENT


def test_staff_may_override_the_gate_with_a_note_kept_in_the_stage_history(owner, make_user, api_client_for):
    # given a staff member's model below its threshold
    owner.is_staff = True
    owner.save()
    version = _gated(owner, api_client_for, min_alignment=0.7)
    _gate_evaluation(version, 0.4)
    client = api_client_for(owner)
    # when
    without_note = _promote(client, version, override=True)
    overridden = _promote(client, version, override=True, note="launch demo; tone fix follows")
    # then
    assert without_note.status_code == 400 and "note" in without_note.json()["error"]["fields"]
    assert overridden.status_code == 200 and overridden.json()["stage"] == "production"
    history = client.get(f"/api/v1/model-versions/{version.pk}/stage/").json()
    assert history[0]["note"] == "launch demo; tone fix follows"
    assert history[0]["gate"]["overridden"] is True and history[0]["gate"]["passed"] is False
    assert "below the minimum" in history[0]["gate"]["reasons"][0]


def test_only_staff_may_override_the_gate(owner, api_client_for):
    # given
    version = _gated(owner, api_client_for, min_alignment=0.7)
    _gate_evaluation(version, 0.4)
    # when
    response = _promote(api_client_for(owner), version, override=True, note="please")
    # then
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.stage == Stage.DEVELOPMENT


def test_a_version_that_passes_goes_to_production_and_the_history_keeps_the_measure(owner, api_client_for):
    # given
    version = _gated(owner, api_client_for, min_alignment=0.5)
    _gate_evaluation(version, 0.8)
    # when
    response = _promote(api_client_for(owner), version)
    # then
    assert response.status_code == 200 and response.json()["stage"] == "production"
    gate = version.transitions.first().gate
    assert gate["passed"] is True and gate["alignment"] == 0.8


def test_a_fall_from_the_production_versions_alignment_beyond_the_drift_is_refused(owner, api_client_for):
    # given production at 0.8 and a candidate at 0.6, at most 0.1 of drift allowed
    production = _gated(owner, api_client_for, max_alignment_drift=0.1)
    _gate_evaluation(production, 0.8)
    services.model_version_set_stage(user=owner, version_id=production.pk, stage=Stage.PRODUCTION)
    candidate = tiny_model_version(owner)
    _gate_evaluation(candidate, 0.6)
    # when
    response = _promote(api_client_for(owner), candidate)
    # then
    assert response.status_code == 409
    assert "alignment fell 0.200 from production 1.0.0's 0.800, more than the allowed 0.100" in (
        response.json()["error"]["message"])


def test_without_an_evaluation_the_gate_starts_one_and_asks_to_try_again(owner, api_client_for):
    # given
    version = _gated(owner, api_client_for, min_alignment=0.5)
    client = api_client_for(owner)
    # when
    first, second = _promote(client, version), _promote(client, version)
    # then
    assert first.status_code == 409 and first.json()["error"]["code"] == "personality_evaluation_running"
    assert "try again when it finishes" in first.json()["error"]["message"]
    assert second.status_code == 409
    evaluation = PersonalityEvaluation.objects.get(model_version=version)  # one, not one per attempt
    assert evaluation.status == "queued" and len(evaluation.probe_ids) == 16
    listed = client.get("/api/v1/personality-evaluations/", {"model_version": version.pk}).json()
    assert [e["id"] for e in listed["results"]] == [evaluation.pk]


def test_the_gate_evaluation_a_team_admin_starts_is_theirs_to_follow(owner, make_user, api_client_for):
    # given a gated model of the team's, made by the owner, and a team admin asking for production
    admin = make_user()
    version = _gated(owner, api_client_for, min_alignment=0.5)
    RegisteredModel.objects.filter(pk=version.registered_model_id).update(team=make_team(owner, (admin, "admin")))
    client = api_client_for(admin)
    # when
    response = _promote(client, version)
    # then the evaluation it started is the admin's, who may open it and find it in their list
    assert response.status_code == 409 and response.json()["error"]["code"] == "personality_evaluation_running"
    evaluation = PersonalityEvaluation.objects.get(model_version=version)
    assert evaluation.owner_id == admin.pk
    assert client.get(f"/api/v1/personality-evaluations/{evaluation.pk}/").status_code == 200
    listed = client.get("/api/v1/personality-evaluations/", {"model_version": version.pk}).json()
    assert [e["id"] for e in listed["results"]] == [evaluation.pk]


def test_an_evaluation_on_hand_picked_probes_does_not_pass_the_gate(owner, api_client_for):
    # given a glowing evaluation on the two probes the owner picked when applying
    version = _gated(owner, api_client_for, min_alignment=0.5)
    picked = ready_evaluation(version, _cheerful_version(), alignment=0.95, probe_ids=[3, 7],
                              max_tokens=GATE_MAX_TOKENS)
    # when
    response = _promote(api_client_for(owner), version)
    # then the gate measures on its own probes before deciding
    assert response.status_code == 409 and response.json()["error"]["code"] == "personality_evaluation_running"
    started = PersonalityEvaluation.objects.exclude(pk=picked.pk).get(model_version=version)
    assert started.probe_ids == gate_probe_ids() and started.max_tokens == GATE_MAX_TOKENS
    version.refresh_from_db()
    assert version.stage == Stage.DEVELOPMENT


def test_the_drift_check_measures_production_on_the_gate_probes_too(owner, api_client_for):
    # given production measured only on other probes, and a candidate on the gate's
    production = _gated(owner, api_client_for, max_alignment_drift=0.1)
    ready_evaluation(production, _cheerful_version(), alignment=0.2, probe_ids=[1, 2], max_tokens=GATE_MAX_TOKENS)
    ModelVersion.objects.filter(pk=production.pk).update(stage=Stage.PRODUCTION)
    candidate = tiny_model_version(owner)
    _gate_evaluation(candidate, 0.6)
    # when
    response = _promote(api_client_for(owner), candidate)
    # then production's evaluation on the gate probes is started, not compared across probe sets
    assert response.status_code == 409 and response.json()["error"]["code"] == "personality_evaluation_running"
    started = PersonalityEvaluation.objects.get(model_version=production, status="queued")
    assert started.probe_ids == gate_probe_ids()


def test_a_dead_gate_evaluation_is_replaced_instead_of_blocking_promotion(owner, api_client_for):
    # given the gate's evaluation was queued long ago and no worker ever took it up
    version = _gated(owner, api_client_for, min_alignment=0.5)
    client = api_client_for(owner)
    _promote(client, version)
    dead = PersonalityEvaluation.objects.get(model_version=version)
    PersonalityEvaluation.objects.filter(pk=dead.pk).update(
        created_at=timezone.now() - evaluations.QUEUED_TIMEOUT - timedelta(minutes=1))
    # when
    response = _promote(client, version)
    # then
    assert response.status_code == 409 and response.json()["error"]["code"] == "personality_evaluation_running"
    dead.refresh_from_db()
    assert dead.status == "failed" and "no worker took it up" in dead.error
    fresh = PersonalityEvaluation.objects.get(model_version=version, status="queued")
    assert f"evaluation {fresh.pk}" in response.json()["error"]["message"]


def test_an_evaluation_waiting_behind_a_busy_train_queue_is_not_replaced(owner, api_client_for):
    # given the gate's evaluation has waited in the queue longer than a lease, not an hour
    version = _gated(owner, api_client_for, min_alignment=0.5)
    client = api_client_for(owner)
    _promote(client, version)
    PersonalityEvaluation.objects.filter(model_version=version).update(
        created_at=timezone.now() - 10 * LEASE_TIMEOUT)
    # when the user tries again
    response = _promote(client, version)
    # then the same evaluation is still the one to wait for; no second one joins the queue
    assert response.json()["error"]["code"] == "personality_evaluation_running"
    assert list(PersonalityEvaluation.objects.filter(model_version=version).values_list("status", flat=True)) == [
        "queued"]


def test_a_running_evaluation_with_a_stale_heartbeat_is_dead_and_a_live_one_is_not(owner, api_client_for):
    # given two gated versions: one evaluation beating its heartbeat, one whose worker died
    client = api_client_for(owner)
    alive, stalled = _gated(owner, api_client_for, min_alignment=0.5), tiny_model_version(owner, "other")
    client.patch(f"/api/v1/models/{stalled.registered_model_id}/", {
        "target_personality_version_id": _cheerful_version().pk, "min_alignment": 0.5}, format="json")
    _promote(client, alive), _promote(client, stalled)
    old = timezone.now() - 2 * LEASE_TIMEOUT
    PersonalityEvaluation.objects.filter(model_version=alive).update(
        status="running", created_at=old, heartbeat_at=timezone.now(), lease_owner="a")
    PersonalityEvaluation.objects.filter(model_version=stalled).update(
        status="running", created_at=old, heartbeat_at=old + timedelta(seconds=1), lease_owner="b")
    # when
    _promote(client, alive), _promote(client, stalled)
    # then
    assert PersonalityEvaluation.objects.filter(model_version=alive).count() == 1
    assert sorted(PersonalityEvaluation.objects.filter(model_version=stalled).values_list("status", flat=True)) == [
        "failed", "queued"]


def test_a_gate_cannot_target_a_personality_version_that_is_not_ready(owner, api_client_for):
    # given a personality version still training
    personality = config_personality(owner, name="in training")
    personality.current_version.status = "training"
    personality.current_version.save()
    version = tiny_model_version(owner)
    # when
    response = api_client_for(owner).patch(f"/api/v1/models/{version.registered_model_id}/", {
        "target_personality_version_id": personality.current_version_id, "min_alignment": 0.5}, format="json")
    # then
    assert response.status_code == 400
    assert "not ready" in response.json()["error"]["fields"]["target_personality_version_id"][0]


@pytest.mark.django_db(transaction=True)
def test_two_promotions_at_once_start_one_gate_evaluation(owner, api_client_for):
    # given another request holds the version's row while it starts the gate's evaluation
    version = _gated(owner, api_client_for, min_alignment=0.5)
    locked, created = threading.Event(), threading.Event()
    answers = []

    def first_request():
        try:
            with transaction.atomic():
                ModelVersion.objects.select_for_update().get(pk=version.pk)
                locked.set()
                created.wait(60)
                evaluations.evaluation_create(user=owner, version=version, personality_version=_cheerful_version(),
                                              probe_ids=gate_probe_ids(), max_tokens=GATE_MAX_TOKENS, enqueue=False)
        finally:
            connection.close()

    def second_request():
        try:
            answers.append(_promote(api_client_for(owner), version))
        finally:
            connection.close()

    first = threading.Thread(target=first_request)
    first.start()
    locked.wait(60)
    # when a second promotion arrives meanwhile
    second = threading.Thread(target=second_request)
    second.start()
    while second.is_alive() and not _someone_waits_on_a_lock():
        time.sleep(0.05)
    created.set()
    first.join(60), second.join(60)
    # then it waited for the first and reports that evaluation instead of starting its own
    assert answers[0].status_code == 409
    assert PersonalityEvaluation.objects.filter(model_version=version).count() == 1


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND datname = current_database()")
        return cursor.fetchone()[0] > 0


@pytest.mark.slow
def test_an_export_of_a_model_with_a_target_personality_reports_its_alignment_against_f32(owner, api_client_for):
    # given
    version = _gated(owner, api_client_for, min_alignment=0.5)
    export = services.model_export_create(user=owner, version_id=version.pk, qtypes=["Q8_0"])[0]
    # when
    services.model_export_run(export_id=export.pk)
    # then
    export = ModelExport.objects.get(pk=export.pk)
    assert export.status == "ready", export.error
    row = export.report["personality"]
    assert row["personality"] == "Cheerful Enthusiast v1" and row["probes"] == 6
    assert 0.0 <= row["f32"]["alignment"] <= 1.0 and 0.0 <= row["quantized"]["alignment"] <= 1.0
    assert row["alignment_delta"] == round(row["quantized"]["alignment"] - row["f32"]["alignment"], 4)
    assert "vader_compound" in row["quantized"] and "vader_delta" in row
