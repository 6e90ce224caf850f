"""Applying personalities through the API, two users each time: what a create queues and
lists, what is refused up front (another user's model or personality, a context too small
for the probes, an architecture the steering engine cannot steer, options off the
allow-list), and the report and chart once the evaluation is ready."""

import pytest

from apps.chat.tests.factories import write_tiny_sou
from apps.personalities.models import Personality, PersonalityApplication
from apps.registry import storage as registry_storage

from .factories import PNG, config_personality, ready_evaluation, tiny_model_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/personality-applications/"


@pytest.fixture
def owner(make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_user()


def _cheerful() -> Personality:
    return Personality.objects.get(owner=None, archetype="cheerful enthusiast")


def test_an_application_is_queued_with_its_options_and_listed_only_for_its_owner(owner, make_user, api_client_for):
    # given
    version = tiny_model_version(owner)
    other = make_user()
    tiny_model_version(other, "theirs")
    client = api_client_for(owner)
    # when
    created = client.post(URL, {"model_version_id": version.pk, "personality_id": _cheerful().pk,
                                "method": "steering", "options": {"probes": 3, "strength": 0.1,
                                                                  "layers": [1], "max_tokens": 8}}, format="json")
    # then
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "queued" and body["method"] == "steering" and body["evaluation"] is None
    assert body["options"] == {"probe_ids": [0, 20, 40], "max_tokens": 8, "strength": 0.1, "layers": [1]}
    assert body["personality_name"] == "Cheerful Enthusiast" and body["model_version_label"] == "tiny:1.0.0"
    mine = client.get(URL, {"model_version": version.pk}).json()
    assert [a["id"] for a in mine["results"]] == [body["id"]]
    assert client.get(URL, {"personality": config_personality(owner).pk}).json()["count"] == 0
    assert api_client_for(other).get(URL).json()["count"] == 0
    assert api_client_for(other).get(f"{URL}{body['id']}/").status_code == 404


def test_another_users_model_version_or_personality_is_not_found(owner, make_user, api_client_for):
    # given
    other = make_user()
    theirs, mine = tiny_model_version(other, "theirs"), tiny_model_version(owner)
    their_personality = config_personality(other, name="their voice")
    client = api_client_for(owner)
    # when
    on_their_model = client.post(URL, {"model_version_id": theirs.pk, "personality_id": _cheerful().pk,
                                       "method": "prompt"}, format="json")
    with_their_personality = client.post(URL, {"model_version_id": mine.pk, "method": "prompt",
                                               "personality_id": their_personality.pk}, format="json")
    with_their_version = client.post(URL, {"model_version_id": mine.pk, "method": "prompt",
                                           "personality_version_id": their_personality.current_version_id},
                                     format="json")
    # then
    assert [r.status_code for r in (on_their_model, with_their_personality, with_their_version)] == [404] * 3
    assert not PersonalityApplication.objects.exists()


def test_a_model_whose_context_cannot_hold_the_probes_is_refused_saying_so(owner, api_client_for):
    # given a model with a 64-token context
    version = tiny_model_version(owner, block_size=64)
    # when
    response = api_client_for(owner).post(URL, {"model_version_id": version.pk, "personality_id": _cheerful().pk,
                                                "method": "prompt"}, format="json")
    # then
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["model_version_id"][0]
    assert "holds 64 tokens" in message and "cannot hold them" in message


def test_steering_a_model_the_engine_cannot_steer_is_refused_up_front(owner, api_client_for):
    # given a model file of an architecture the steering engine has no blocks to hook
    version = tiny_model_version(owner, write_file=False)
    path = write_tiny_sou(registry_storage.canonical_sou(owner.pk, version.pk))
    from ml.sou import read_sou, write_sou

    with read_sou(path) as sou:
        tensors = {info.name: sou.tensor(info.name).clone() for info in sou.tensor_infos}
        config = {**sou.config, "arch": "rwkv"}
        tokenizer, template, generation = sou.tokenizer_json, sou.chat_template, dict(sou.metadata["generation"])
    write_sou(path, config=config, tensors=tensors, tokenizer_json=tokenizer, chat_template=template,
              generation=generation, provenance={"base_model": "tiny-random"})
    client = api_client_for(owner)
    body = {"model_version_id": version.pk, "personality_id": _cheerful().pk, "options": {"probes": 2}}
    # when
    steering = client.post(URL, {**body, "method": "steering"}, format="json")
    # then
    assert steering.status_code == 400
    assert "can steer only gpt2, llama models" in steering.json()["error"]["fields"]["method"][0]
    assert not PersonalityApplication.objects.exists()


@pytest.mark.parametrize(("options", "field", "words"), [
    ({"device": "cuda"}, "options.device", "not an option of steering"),
    ({"steps": 10}, "options.steps", "not an option of steering"),
    ({"probes": 0}, "options.probes", "at least 1"),
    ({"probe_ids": [70]}, "probe_ids", "probe ids run from 0 to 60"),
    ({"layers": [7]}, "options.layers", "has 2 blocks"),
    ({"strength": 0}, "options.strength", "above 0.0"),
])
def test_options_off_the_allow_list_or_out_of_range_are_refused_by_name(owner, api_client_for, options, field,
                                                                        words):
    # given
    version = tiny_model_version(owner)
    # when
    response = api_client_for(owner).post(URL, {"model_version_id": version.pk, "personality_id": _cheerful().pk,
                                                "method": "steering", "options": options}, format="json")
    # then
    assert response.status_code == 400
    assert words in response.json()["error"]["fields"][field][0]


def test_report_and_chart_answer_409_until_the_evaluation_is_ready_then_serve_it(owner, make_user, api_client_for):
    # given a queued application, and one whose evaluation is ready
    version = tiny_model_version(owner)
    personality_version = _cheerful().current_version
    queued = PersonalityApplication.objects.create(owner=owner, model_version=version,
                                                   personality_version=personality_version, method="prompt")
    done = PersonalityApplication.objects.create(
        owner=owner, model_version=version, personality_version=personality_version, method="prompt",
        status="ready", evaluation=ready_evaluation(version, personality_version, alignment=0.7, chart=True))
    client = api_client_for(owner)
    # when
    early = [client.get(f"{URL}{queued.pk}/{what}/") for what in ("report", "chart")]
    report = client.get(f"{URL}{done.pk}/report/")
    chart = client.get(f"{URL}{done.pk}/chart/")
    # then
    assert [r.status_code for r in early] == [409, 409]
    assert "not started yet" in early[0].json()["error"]["message"]
    assert report.status_code == 200 and report.json()["alignment"] == 0.7
    assert report.json()["evaluation"] == done.evaluation_id
    assert chart.status_code == 200 and b"".join(chart.streaming_content) == PNG
    assert chart["Content-Type"] == "image/png" and chart["X-Content-Type-Options"] == "nosniff"
    assert chart["Content-Disposition"].startswith("attachment")
    detail = client.get(f"{URL}{done.pk}/").json()
    assert detail["evaluation"]["alignment"] == 0.7 and detail["evaluation"]["probes"] == 3
    assert api_client_for(make_user()).get(f"{URL}{done.pk}/chart/").status_code == 404


def test_the_probe_list_names_every_probe_a_subset_can_pick(owner, api_client_for):
    # when
    probes = api_client_for(owner).get("/api/v1/personality-probes/").json()
    # then
    assert len(probes) == 61 and probes[0]["id"] == 0
    assert {p["category"] for p in probes} >= {"advice", "facts", "emotional", "small_talk"}


def test_deleting_a_model_version_removes_its_evaluations_files_and_a_lost_chart_is_404(
        owner, api_client_for, django_capture_on_commit_callbacks):
    # given two evaluations with charts: one whose version is deleted, one whose chart file is lost
    from apps.personalities import storage
    from apps.personalities.models import PersonalityApplication

    version, kept = tiny_model_version(owner), tiny_model_version(owner, "kept")
    personality_version = _cheerful().current_version
    doomed = ready_evaluation(version, personality_version, alignment=0.5, chart=True)
    PersonalityApplication.objects.create(owner=owner, model_version=version, personality_version=personality_version,
                                          method="prompt", status="ready", evaluation=doomed)
    work = storage.application_dir(owner.pk, PersonalityApplication.objects.get().pk)
    work.mkdir(parents=True)
    lost = ready_evaluation(kept, personality_version, alignment=0.5, chart=True)
    storage.evaluation_chart(owner.pk, lost.pk).unlink()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        version.delete()
    chart = api_client_for(owner).get(f"/api/v1/personality-evaluations/{lost.pk}/chart/")
    # then
    assert not storage.evaluation_dir(owner.pk, doomed.pk).exists() and not work.exists()
    assert storage.evaluation_dir(owner.pk, lost.pk).exists()
    assert chart.status_code == 404 and "no longer stored" in chart.json()["error"]["message"]


def test_the_application_list_costs_the_same_queries_for_one_or_many(owner, api_client_for):
    # given
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.personalities.models import PersonalityApplication

    client = api_client_for(owner)
    personality_version = _cheerful().current_version

    def applied(name):
        version = tiny_model_version(owner, name)
        PersonalityApplication.objects.create(
            owner=owner, model_version=version, personality_version=personality_version, method="prompt",
            result_version=version, evaluation=ready_evaluation(version, personality_version, alignment=0.5))

    applied("one")
    # The request throttle reads the account's limits once in a few minutes (cached in Redis),
    # so the first request of an account costs more, however long the list.
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for name in ("two", "three", "four"):
        applied(name)
    # when
    with CaptureQueriesContext(connection) as many:
        listed = client.get(URL)
    # then
    assert listed.json()["count"] == 4
    assert len(many.captured_queries) == len(one.captured_queries)
