"""Fairness between people, not accounts: a user whose runs are in several teams' experiments
gets one turn per round like anyone else, their own caps (concurrent runs, monthly compute)
hold in every team they train in, compute stays charged where it was measured, one user may
only queue so many waiting runs, and a list's places in line take the same queries however
long the line is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.experiments.tests.factories import make_experiment
from apps.quotas.accounts import Account
from apps.quotas.limits import limits_invalidate
from apps.quotas.tests.factories import override
from apps.teams.services import object_move
from apps.teams.tests.factories import make_team
from apps.training import services
from apps.training.compute import compute_record, month_start
from apps.training.dispatch import dispatch
from apps.training.models import TrainingRun
from apps.training.selectors import compute_used_seconds

from .factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/training-runs/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _queued(user, version, experiment=None):
    return services.training_run_create(user=user, dataset_version_id=version.pk, config=tiny_config(),
                                        experiment_id=experiment.pk if experiment else None)


def _team_experiment(user, name):
    experiment = make_experiment(user, name=name)
    experiment.team = make_team(user, name=name)
    experiment.save(update_fields=["team"])
    return experiment


def test_a_user_with_runs_in_two_teams_experiments_gets_one_turn_per_round(make_user, settings):
    # given two slots; A queued one run in each of two teams' experiments, then B two runs
    settings.SLOUGHGPT_TRAIN_SLOTS = 2
    a, b = make_user(), make_user()
    a_version, b_version = valid_dataset_version(a), valid_dataset_version(b)
    a_first = _queued(a, a_version, _team_experiment(a, "red"))
    _queued(a, a_version, _team_experiment(a, "blue"))
    b_first = _queued(b, b_version)
    _queued(b, b_version)
    # when
    handed = dispatch()
    # then each user's oldest run starts, not both of A's
    assert handed == [a_first.pk, b_first.pk]


def test_a_users_own_cap_holds_across_the_teams_they_train_in(make_user, settings):
    # given A may run one run at a time, and queues runs in two teams' experiments
    settings.SLOUGHGPT_TRAIN_SLOTS = 5
    a = make_user()
    override(user=a, concurrent_runs=1)
    limits_invalidate()
    version = valid_dataset_version(a)
    first = _queued(a, version, _team_experiment(a, "red"))
    _queued(a, version, _team_experiment(a, "blue"))
    # when
    handed = dispatch()
    # then only one starts though both teams have room
    assert handed == [first.pk]


def test_a_users_compute_quota_holds_in_team_experiments_and_stays_where_it_was_measured(
        make_user, api_client_for):
    # given A's month allows 100 CPU-seconds; a run in A's private experiment used 100
    a = make_user()
    override(user=a, compute_seconds_per_month=100)
    limits_invalidate()
    version = valid_dataset_version(a)
    private = make_experiment(a, name="mine")
    run = _queued(a, version, private)
    compute_record(training_run_id=run.pk, account=Account(user_id=a.pk), user_id=a.pk, cpu_seconds=100,
                   gpu_seconds=0)
    team_experiment = _team_experiment(a, "red")
    # when A moves the experiment into a team and queues a run in another team's experiment
    object_move(user=a, kind="experiment", object_id=private.pk, team_id=team_experiment.team_id)
    refused = api_client_for(a).post(URL, {"dataset_version_id": version.pk, "config": tiny_config(),
                                           "experiment_id": team_experiment.pk}, format="json")
    # then the compute stays A's (the team it moved to took none of it) and A is refused
    start = month_start()
    assert compute_used_seconds(account=Account(user_id=a.pk), month_start=start) == 100
    assert compute_used_seconds(account=Account(team_id=team_experiment.team_id), month_start=start) == 0
    assert refused.status_code == 429 and "compute quota" in refused.json()["error"]["message"]


def test_one_user_may_only_queue_so_many_waiting_runs(make_user, api_client_for, settings):
    # given a cap of two waiting runs, and no slots
    settings.SLOUGHGPT_TRAIN_SLOTS = 0
    settings.SLOUGHGPT_WAITING_RUNS_PER_USER = 2
    a = make_user()
    version = valid_dataset_version(a)
    _queued(a, version), _queued(a, version)
    # when
    refused = api_client_for(a).post(URL, {"dataset_version_id": version.pk, "config": tiny_config()},
                                     format="json")
    # then
    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("You already have 2 training runs waiting for a slot")
    assert int(refused["Retry-After"]) > 0
    assert TrainingRun.objects.filter(owner=a).count() == 2


def _list_queries(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL).json()
    return len(queries), {row["id"]: row["runs_ahead"] for row in body["results"]}


def test_places_in_line_take_the_same_queries_however_long_the_line(make_user, api_client_for, settings):
    # given no slots; A queued two runs, then B one
    settings.SLOUGHGPT_TRAIN_SLOTS = 0
    a, b = make_user(), make_user()
    a_version, b_version = valid_dataset_version(a), valid_dataset_version(b)
    a1, a2 = _queued(a, a_version), _queued(a, a_version)
    b1 = _queued(b, b_version)
    client = api_client_for(a)
    short, places = _list_queries(client)
    # when B queues five more and another user three
    for _ in range(5):
        _queued(b, b_version)
    c = make_user()
    c_version = valid_dataset_version(c)
    for _ in range(3):
        _queued(c, c_version)
    longer, places_after = _list_queries(client)
    # then A's list costs the same queries, and the places follow the turns
    assert longer == short
    assert places == {a1.pk: 0, a2.pk: 2}
    assert places_after == {a1.pk: 0, a2.pk: 3}
    assert api_client_for(b).get(f"{URL}{b1.pk}/").json()["runs_ahead"] == 1
