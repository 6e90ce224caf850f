"""Usage rollups and the monitoring API: records add up per hour and day, percentiles come
from the rollups' histograms, thumbs and arena votes count, a version's monitoring is read
with the version, the site's by staff, and a year of hourly buckets reads in a fixed number
of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.arena.services import battle_vote
from apps.arena.tests.factories import finished_battle
from apps.chat.inference import GenerationResult
from apps.chat.models import Message
from apps.chat.services import message_feedback
from apps.chat.tests.factories import conversation, model_version
from apps.monitoring.models import LATENCY_BUCKETS_MS, UsageRollup
from apps.monitoring.records import inference_record_write
from apps.teams.services import share_set, team_create

pytestmark = pytest.mark.django_db
HOUR = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _served(version, user, *, at=HOUR, latency_s=0.4, ttft_s=0.1, tokens=10, message=None, error=None):
    """A generation received at `at` whose last token came `latency_s` later."""
    start = at.timestamp()
    result = None if error else GenerationResult(
        "Hello there.", 5, tokens, "stop", ttft_s * 1000, 20.0, submitted_at=start + 0.02,
        first_token_at=start + ttft_s, last_token_at=start + latency_s)
    return inference_record_write(
        source="chat", model_version_id=version.pk, user_id=user.pk, result=result, error=error,
        received_at=start, queued_at=start + 0.005, worker_started_at=start + 0.01,
        relayed_at=start + latency_s + 0.001, message_id=message.pk if message else None)


def _get(client, version, **query):
    query = {"granularity": "hour", "start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=2)).isoformat(),
             **query}
    return client.get(f"/api/v1/model-versions/{version.pk}/monitoring/", query)


def test_two_replies_add_up_in_their_hour_and_day_with_percentiles_from_the_buckets(make_user, api_client_for):
    # given two replies in one hour, 0.4 s and 3 s from request to last token, and a failure
    user = make_user()
    version = model_version(user, write_file=False)
    _served(version, user, latency_s=0.4)
    _served(version, user, at=HOUR + timedelta(minutes=30), latency_s=3.0, tokens=30)
    _served(version, user, at=HOUR + timedelta(minutes=40), error=RuntimeError("boom"))
    # when the owner reads the hour buckets
    response = _get(api_client_for(user), version,
                    series="requests,errors,error_rate,completion_tokens,latency_p50_ms,latency_p95_ms")
    # then the first hour holds all three, the second none
    assert response.status_code == 200, response.content
    series = response.json()["series"]
    assert series["requests"] == [3, 0] and series["errors"] == [1, 0]
    assert series["error_rate"] == [pytest.approx(1 / 3), None]
    assert series["completion_tokens"] == [40, 0]
    # the median falls in the (250, 500] ms bucket, the 95th in (2500, 5000]
    assert 250 < series["latency_p50_ms"][0] <= 500 and 2500 < series["latency_p95_ms"][0] <= 5000
    assert series["latency_p50_ms"][1] is None
    # and the day rollup has the same counts, as does the site's
    day = UsageRollup.objects.get(model_version=version, granularity="day")
    assert (day.requests, day.errors, sum(day.latency_buckets)) == (3, 1, 2)
    site = UsageRollup.objects.get(model_version=None, granularity="hour", bucket_start=HOUR)
    assert site.requests == 3 and len(site.latency_buckets) == len(LATENCY_BUCKETS_MS) + 1


def test_thumbs_count_in_the_bucket_the_reply_was_served_in(make_user, api_client_for):
    # given a reply served in the first hour
    user = make_user()
    version = model_version(user, write_file=False)
    chat = conversation(user, version)
    reply = Message.objects.create(owner=user, conversation=chat, role="assistant", content="Hi.")
    _served(version, user, message=reply)
    # when the user likes it, then changes their mind
    message_feedback(user=user, message_id=reply.pk, rating="up")
    liked = _get(api_client_for(user), version, series="feedback_up,feedback_down,feedback_ratio").json()
    message_feedback(user=user, message_id=reply.pk, rating="down")
    disliked = _get(api_client_for(user), version, series="feedback_up,feedback_down,feedback_ratio").json()
    # then
    assert liked["series"] == {"feedback_up": [1, 0], "feedback_down": [0, 0], "feedback_ratio": [1.0, None]}
    assert disliked["series"] == {"feedback_up": [0, 0], "feedback_down": [1, 0], "feedback_ratio": [0.0, None]}


def test_an_arena_vote_is_a_win_for_one_version_and_a_loss_for_the_other(make_user, api_client_for):
    # given a finished battle between two versions
    user = make_user()
    first, second = model_version(user, "first", write_file=False), model_version(user, "second", write_file=False)
    battle = finished_battle(user, first, second)
    # when the user votes for A
    battle_vote(user=user, battle_id=battle.pk, vote="a")
    # then
    today = {"granularity": "day", "start": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
             "end": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(), "series": "arena_win_rate"}
    client = api_client_for(user)
    assert client.get(f"/api/v1/model-versions/{first.pk}/monitoring/", today).json()["series"]["arena_win_rate"][-1] == 1.0
    assert client.get(f"/api/v1/model-versions/{second.pk}/monitoring/", today).json()["series"]["arena_win_rate"][-1] == 0.0


def test_a_version_is_monitored_by_who_may_read_it_and_the_site_by_staff(make_user, api_client_for):
    # given a version with traffic, a stranger, a member of a team it is shared with, staff
    owner, stranger, reader, staff = make_user(), make_user(), make_user(), make_user(is_staff=True)
    version = model_version(owner, write_file=False)
    _served(version, owner)
    team = team_create(user=owner, name="readers")
    from apps.teams.models import Membership

    Membership.objects.create(team=team, user=reader, role="viewer")
    share_set(user=owner, kind="model", object_id=version.registered_model_id, team_id=team.pk, level="read")
    # when / then the stranger is told it does not exist; the reader sees the traffic
    assert _get(api_client_for(stranger), version).status_code == 404
    assert _get(api_client_for(reader), version).json()["series"]["requests"] == [1, 0]
    # and only staff see the site
    site = {"granularity": "hour", "start": HOUR.isoformat(), "end": (HOUR + timedelta(hours=1)).isoformat()}
    assert api_client_for(owner).get("/api/v1/monitoring/site/", site).status_code == 404
    assert api_client_for(staff).get("/api/v1/monitoring/site/", site).json()["series"]["requests"] == [1]


def test_an_unknown_series_or_range_is_a_400_naming_the_field(make_user, api_client_for):
    user = make_user()
    version = model_version(user, write_file=False)
    client = api_client_for(user)
    assert "series" in _get(client, version, series="requests,nonsense").json()["error"]["fields"]
    assert "end" in _get(client, version, end=HOUR.isoformat()).json()["error"]["fields"]
    too_long = _get(client, version, start=(HOUR - timedelta(days=800)).isoformat())
    assert too_long.status_code == 400 and "start" in too_long.json()["error"]["fields"]


def test_dates_past_the_calendar_s_ends_are_a_400_naming_the_field(make_user, api_client_for):
    # given a version its owner may read
    user = make_user()
    version = model_version(user, write_file=False)
    client = api_client_for(user)
    # when the range starts or ends where adding a bucket would overflow
    too_early = _get(client, version, end="0001-01-01T00:00:00Z")
    too_late = _get(client, version, start="9999-12-31T00:00:00Z")
    # then each is a 400 naming its field, not a server error
    assert too_early.status_code == 400 and list(too_early.json()["error"]["fields"]) == ["end"]
    assert too_late.status_code == 400 and list(too_late.json()["error"]["fields"]) == ["start"]


def test_a_series_named_twice_comes_once_and_too_many_names_are_a_400(make_user, api_client_for):
    # given a version with one request
    user = make_user()
    version = model_version(user, write_file=False)
    _served(version, user)
    client = api_client_for(user)
    # when a series is asked for twice, and a thousand names are asked for
    twice = _get(client, version, series="requests,errors,requests")
    many = _get(client, version, series=",".join(f"requests{i}" for i in range(1000)))
    # then the first answers each series once, the second is refused by its field
    assert twice.json()["series"] == {"requests": [1, 0], "errors": [0, 0]}
    assert many.status_code == 400 and "at most" in many.json()["error"]["fields"]["series"][0]


def test_a_year_of_hourly_rollups_reads_in_a_fixed_number_of_queries(make_user, api_client_for,
                                                                     django_assert_max_num_queries):
    # given a year of hourly rollups of one version
    user = make_user()
    version = model_version(user, write_file=False)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    counts = [0] * (len(LATENCY_BUCKETS_MS) + 1)
    counts[3] = 2
    UsageRollup.objects.bulk_create(
        UsageRollup(model_version=version, granularity="hour", bucket_start=start + timedelta(hours=i),
                    requests=2, latency_buckets=counts, ttft_buckets=counts)
        for i in range(365 * 24))
    client = api_client_for(user)
    # when the owner reads every hour of it
    query = {"granularity": "hour", "start": start.isoformat(), "end": (start + timedelta(days=365)).isoformat(),
             "series": "requests,latency_p95_ms,ttft_p50_ms,feedback_ratio"}
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/model-versions/{version.pk}/monitoring/", query)
    # then
    series = response.json()["series"]
    assert len(series["requests"]) == 365 * 24 and sum(series["requests"]) == 2 * 365 * 24
    assert all(250 < value <= 500 for value in series["latency_p95_ms"])
