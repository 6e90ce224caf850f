"""The feature store API: the registry's groups, asking for a group (computed once and reused),
its statistics once materialized, comparing two versions, the records browser filtered by
feature ranges, a recipe's feature filter over materialized values, bad input as 400s and
another user's version as a 404."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from apps.pipelines import feature_samples
from apps.pipelines.models import FeatureMaterialization
from apps.pipelines.selectors import RECORDS_MAX_OFFSET
from apps.pipelines.services import features_materialize, recipe_run_execute
from apps.pipelines.storage import features_path
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.quotas.tests.factories import override
from ml.data.features import materialize

from .factories import jsonl, recipe, valid_version

pytestmark = pytest.mark.django_db


def _materialized(client, version_id: int, group: str = "basic") -> dict:
    """Asks for the group and runs the worker's service for it here."""
    asked = client.post(f"/api/v1/dataset-versions/{version_id}/features/", {"groups": [group]}, format="json")
    assert asked.status_code == 202, asked.content
    features_materialize(materialization_id=asked.json()[0]["id"], execution_id="test")
    return next(m for m in client.get(f"/api/v1/dataset-versions/{version_id}/features/").json()
                if m["group"] == group)


def test_the_registry_lists_groups_with_their_features(make_user, api_client_for):
    # when
    groups = {g["name"]: g for g in api_client_for(make_user()).get("/api/v1/feature-groups/").json()}
    # then
    assert set(groups) == {"basic", "dedup", "personality", "embedding"}
    basic = {f["name"]: f for f in groups["basic"]["features"]}
    assert basic["tokens"]["dtype"] == "int" and basic["language"]["dtype"] == "str"
    assert groups["embedding"]["features"][0]["dtype"] == "vector"


def test_materialized_basic_features_have_statistics_and_are_computed_once(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl([{"text": "a" * n} for n in (5, 10, 15, 20)]))
    client = api_client_for(user)
    # when
    done = _materialized(client, version.pk)
    again = client.post(f"/api/v1/dataset-versions/{version.pk}/features/", {"groups": ["basic"]}, format="json")
    # then
    assert done["status"] == "succeeded" and done["rows"] == 4
    chars = done["statistics"]["chars"]
    assert (chars["count"], chars["min"], chars["max"], chars["mean"]) == (4, 5, 20, 12.5)
    assert sum(chars["histogram"]["counts"]) == 4
    assert again.json()[0]["status"] == "succeeded"
    assert FeatureMaterialization.objects.count() == 1


def test_the_records_browser_keeps_records_within_every_feature_range(make_user, api_client_for):
    # given
    user = make_user()
    texts = ["tiny", "a medium sized sentence here", "x" * 80, "another medium sentence"]
    version = valid_version(user, jsonl([{"text": t} for t in texts]))
    client = api_client_for(user)
    _materialized(client, version.pk)
    # when
    page = client.get(f"/api/v1/dataset-versions/{version.pk}/records/?where=chars:10:50&limit=1").json()
    rest = client.get(f"/api/v1/dataset-versions/{version.pk}/records/?where=chars:10:50&offset=1").json()
    bad = client.get(f"/api/v1/dataset-versions/{version.pk}/records/?where=flavour:1:2")
    # then
    assert [(r["index"], r["record"]["data"]["text"]) for r in page["results"]] == [(1, texts[1])]
    assert page["next_offset"] == 1
    assert [r["index"] for r in rest["results"]] == [3]
    assert rest["results"][0]["features"]["chars"] == len(texts[3])
    assert bad.status_code == 400 and "where" in bad.json()["error"]["fields"]


def test_the_records_browser_ends_with_the_records_and_bounds_the_offset(make_user, api_client_for):
    # given: three records and no features computed
    user = make_user()
    version = valid_version(user, jsonl([{"text": f"record {i}"} for i in range(3)]))
    client = api_client_for(user)
    url = f"/api/v1/dataset-versions/{version.pk}/records/"
    # when
    last = client.get(f"{url}?offset=2&limit=5").json()
    past = client.get(f"{url}?offset=50").json()
    huge = client.get(f"{url}?offset={RECORDS_MAX_OFFSET + 1}")
    # then
    assert [r["record"]["data"]["text"] for r in last["results"]] == ["record 2"]
    assert last["next_offset"] is None
    assert past["results"] == [] and past["next_offset"] is None
    assert huge.status_code == 400 and "offset" in huge.json()["error"]["fields"]


def test_a_version_id_that_is_not_a_plain_number_is_a_400(make_user, api_client_for):
    # given
    user = make_user()
    version = valid_version(user, jsonl([{"text": "hello"}]))
    client = api_client_for(user)
    url = f"/api/v1/dataset-versions/{version.pk}/features/compare/"
    # when
    answers = [client.get(url, {"other": other}) for other in ["\u00b2", "9" * 5000, "0", ""]]
    # then
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert all("other" in a.json()["error"]["fields"] for a in answers)


def test_comparing_two_versions_names_the_shifted_feature(make_user, api_client_for):
    # given: the same kind of English, three times longer
    user = make_user()
    short = [{"text": f"This is a short English sentence number {i}."} for i in range(40)]
    long = [{"text": r["text"] * 3} for r in short]
    a, b = valid_version(user, jsonl(short), name="a"), valid_version(user, jsonl(long), name="b")
    client = api_client_for(user)
    _materialized(client, a.pk)
    _materialized(client, b.pk)
    # when
    shifts = client.get(f"/api/v1/dataset-versions/{a.pk}/features/compare/?other={b.pk}").json()["features"]
    # then
    assert shifts["chars"]["shifted"] is True
    assert shifts["language"]["shifted"] is False


def test_two_versions_are_compared_on_a_bounded_sample_of_each(make_user, api_client_for, monkeypatch):
    # given: two versions of 60 records, one computed before samples were kept, and a sample of 25
    monkeypatch.setattr(feature_samples, "SAMPLE_ROWS", 25)
    user = make_user()
    short = [{"text": f"This is a short English sentence number {i}."} for i in range(60)]
    a = valid_version(user, jsonl(short), name="a")
    b = valid_version(user, jsonl([{"text": r["text"] * 3} for r in short]), name="b")
    client = api_client_for(user)
    _materialized(client, a.pk)
    _materialized(client, b.pk)
    feature_samples.sample_path(features_path(b, "basic")).unlink()
    compared_rows = []
    real_compare = materialize.compare

    def compare(a_path, b_path):
        compared_rows.extend(pq.ParquetFile(p).metadata.num_rows for p in (a_path, b_path))
        return real_compare(a_path, b_path)

    monkeypatch.setattr(materialize, "compare", compare)
    # when
    shifts = client.get(f"/api/v1/dataset-versions/{a.pk}/features/compare/?other={b.pk}").json()["features"]
    # then
    assert compared_rows == [25, 25]
    assert shifts["chars"]["shifted"] is True


def test_an_unknown_group_is_a_400_and_another_users_version_a_404(make_user, api_client_for):
    # given
    owner, other = make_user(), make_user()
    version = valid_version(owner, jsonl([{"text": "hello"}]))
    # when
    unknown = api_client_for(owner).post(f"/api/v1/dataset-versions/{version.pk}/features/",
                                         {"groups": ["flavour"]}, format="json")
    theirs = api_client_for(other).post(f"/api/v1/dataset-versions/{version.pk}/features/",
                                        {"groups": ["basic"]}, format="json")
    # then
    assert unknown.status_code == 400 and "groups" in unknown.json()["error"]["fields"]
    assert theirs.status_code == 404
    assert api_client_for(other).get(f"/api/v1/dataset-versions/{version.pk}/records/").status_code == 404


def test_features_that_would_not_fit_the_storage_quota_are_refused_before_they_are_computed(
        make_user, api_client_for):
    # given: ten thousand records, and room for a few hundred bytes more
    user = make_user()
    version = valid_version(user, jsonl([{"text": f"record {i}"} for i in range(10000)]))
    override(user=user, storage_bytes=storage_used(account_for_user(user)) + 500)
    # when
    asked = api_client_for(user).post(f"/api/v1/dataset-versions/{version.pk}/features/", {"groups": ["basic"]},
                                      format="json")
    # then
    assert asked.status_code == 413, asked.content
    assert not FeatureMaterialization.objects.filter(dataset_version=version).exists()


def test_a_feature_filter_keeps_the_records_within_the_materialized_range(make_user, api_client_for):
    # given: a version whose basic features are materialized
    user = make_user()
    texts = ["tiny", "a sentence of medium length", "x" * 90]
    version = valid_version(user, jsonl([{"text": t} for t in texts]))
    client = api_client_for(user)
    _materialized(client, version.pk)
    made = recipe(user, steps=[{"type": "feature_filter", "feature": "chars", "min": 10, "max": 50}])
    run = client.post(f"/api/v1/recipes/{made.pk}/runs/", {"inputs": [version.pk], "output_name": "mid"},
                      format="json").json()
    # when
    status = recipe_run_execute(run_id=run["id"], execution_id="test")
    # then
    shown = client.get(f"/api/v1/recipe-runs/{run['id']}/").json()
    assert status == "succeeded", shown["error"]
    assert [(s["records_in"], s["records_out"]) for s in shown["report"]["steps"]] == [(3, 1)]
    assert shown["outputs"][0]["records"] == 1
