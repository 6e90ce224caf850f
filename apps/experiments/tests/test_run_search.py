"""Run search: the filter language against real rows, ordering by metrics and params, and
syntax errors as 400s that name the offset."""

import pytest

from .factories import log_series, make_experiment, make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(make_user):
    user = make_user()
    experiment = make_experiment(user)
    made = {}
    for name, lr, loss, team in [
        ("a", 1e-3, [3.0, 1.5], "nlp"),
        ("b", 1e-5, [2.5, 1.0], "nlp"),
        ("c", 3e-4, [4.0, 2.5], "vision"),
    ]:
        run = make_run(
            user, experiment=experiment, name=name, params={"lr": lr}, tags={"team": team}
        )
        log_series(user, run, "val_loss", loss)
        made[name] = run
    # A string lr must never compare as a number.
    make_run(user, experiment=experiment, name="d", params={"lr": "0.01"})
    return user, experiment, made


def _names(api_client_for, user, experiment, **query):
    response = api_client_for(user).get(f"/api/v1/experiments/{experiment.pk}/runs/", query)
    assert response.status_code == 200, response.content
    return [run["name"] for run in response.json()["results"]]


def test_filter_on_params_and_last_metric_value(runs, api_client_for):
    user, experiment, _ = runs
    # when
    names = _names(
        api_client_for,
        user,
        experiment,
        filter="params.lr > 1e-4 and metrics.val_loss < 2",
        order_by="name",
    )
    # then: c's last loss is 2.5; b's lr is too small; d's lr is a string
    assert names == ["a"]


def test_filter_on_dotted_param_names_as_training_runs_record_them(make_user, api_client_for):
    # given: params as a training run records them ("optim.lr", "model.n_layer")
    user = make_user()
    experiment = make_experiment(user)
    for name, lr in [("slow", 1e-5), ("fast", 3e-4)]:
        run = make_run(user, experiment=experiment, name=name, params={"optim.lr": lr, "model.n_layer": 2})
        log_series(user, run, "val_loss", [1.5])
    # when
    names = _names(
        api_client_for, user, experiment,
        filter="params.optim.lr > 1e-4 and metrics.val_loss < 2 and params.model.n_layer = 2",
    )
    # then
    assert names == ["fast"]


def test_filter_on_metric_min_tags_or_and_parentheses(runs, api_client_for):
    user, experiment, _ = runs
    # when
    names = _names(
        api_client_for,
        user,
        experiment,
        filter="(tags.team = 'vision' or metrics.val_loss.max >= 3) and status = 'running'",
        order_by="name desc",
    )
    # then
    assert names == ["c", "a"]


def test_string_params_compare_as_strings(runs, api_client_for):
    user, experiment, _ = runs
    assert _names(api_client_for, user, experiment, filter="params.lr = '0.01'") == ["d"]
    assert _names(
        api_client_for, user, experiment, filter="params.lr != 0.001", order_by="name"
    ) == ["b", "c"]


def test_order_by_last_metric_puts_runs_without_it_last(runs, api_client_for):
    user, experiment, _ = runs
    # when
    ascending = _names(api_client_for, user, experiment, order_by="metrics.val_loss")
    by_lr = _names(
        api_client_for, user, experiment, order_by="params.lr desc", filter="metrics.val_loss > 0"
    )
    # then
    assert ascending == ["b", "a", "c", "d"]
    assert by_lr == ["a", "c", "b"]


def test_runs_list_shows_metric_summaries(runs, api_client_for):
    user, _, made = runs
    # when
    run = api_client_for(user).get(f"/api/v1/runs/{made['a'].pk}/").json()
    # then
    assert run["metrics"]["val_loss"] == {
        "count": 2,
        "last": 1.5,
        "last_step": 1,
        "min": 1.5,
        "max": 3.0,
    }


@pytest.mark.parametrize(
    ("query", "field", "offset"),
    [
        ({"filter": "params.lr >> 1"}, "filter", 11),
        ({"filter": "metrics.loss < 'x'"}, "filter", 15),
        ({"order_by": "metrics.loss up"}, "order_by", 13),
    ],
)
def test_syntax_errors_are_400_with_the_offset(runs, api_client_for, query, field, offset):
    user, experiment, _ = runs
    # when
    response = api_client_for(user).get(f"/api/v1/experiments/{experiment.pk}/runs/", query)
    # then
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field][0].endswith(f"at offset {offset}")


def test_search_never_crosses_users(runs, make_user, api_client_for):
    # given: another user's identical-looking run, beside the first user's runs
    other = make_user()
    other_experiment = make_experiment(other)
    make_run(other, experiment=other_experiment, name="theirs", params={"lr": 1.0})
    # when
    names = _names(api_client_for, other, other_experiment, filter="params.lr > 0")
    # then
    assert names == ["theirs"]
