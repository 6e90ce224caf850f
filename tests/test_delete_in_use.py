"""Deleting a dataset or dataset version that a training run was made from answers 409
naming the run, and removes nothing: no row, no file, no freed quota."""

from __future__ import annotations

import pytest

from apps.datasets import storage
from apps.datasets.models import Dataset, DatasetVersion
from apps.quotas.accounts import account_for_user
from apps.quotas.storage import storage_used
from apps.training.services import training_run_create
from apps.training.tests.factories import tiny_config, valid_dataset_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained_on(make_user):
    user = make_user()
    version = valid_dataset_version(user)
    training = training_run_create(user=user, dataset_version_id=version.pk,
                                   config=tiny_config(), name="lr sweep")
    return user, version, training


def _stored(user, version) -> tuple:
    return (Dataset.objects.filter(pk=version.dataset_id).exists(),
            DatasetVersion.objects.filter(pk=version.pk).exists(),
            storage.version_dir(user.pk, version.pk).exists(),
            storage_used(account_for_user(user)))


@pytest.mark.parametrize("url", ["/api/v1/datasets/{dataset}/", "/api/v1/dataset-versions/{version}/"])
def test_deleting_what_a_training_run_uses_is_a_409_naming_it(url, trained_on, api_client_for):
    # given
    user, version, training = trained_on
    before = _stored(user, version)
    # when
    response = api_client_for(user).delete(url.format(dataset=version.dataset_id,
                                                      version=version.pk))
    # then
    assert response.status_code == 409
    assert f"training run {training.pk} 'lr sweep'" in response.json()["error"]["message"]
    assert _stored(user, version) == before == (True, True, True, before[3])


def test_any_delete_the_database_refuses_is_a_409_and_removes_nothing(trained_on, api_client_for,
                                                                    monkeypatch):
    # given a delete path without its own check: the foreign key's PROTECT refuses it
    user, version, training = trained_on
    monkeypatch.setattr("apps.datasets.services._refuse_if_trained_on", lambda versions, user: None)
    before = _stored(user, version)
    # when
    response = api_client_for(user).delete(f"/api/v1/datasets/{version.dataset_id}/")
    # then
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"It cannot be deleted: it is used by training run {training.pk}.")
    assert _stored(user, version) == before


def test_a_dataset_used_by_many_runs_names_as_many_as_every_refusal_does(trained_on, api_client_for,
                                                                          monkeypatch):
    # given three runs made from one version, and refusals that name one holder
    user, version, first = trained_on
    for name in ("run 2", "run 3"):
        training_run_create(user=user, dataset_version_id=version.pk, config=tiny_config(), name=name)
    monkeypatch.setattr("apps.core.errors.NAMED_HOLDERS", 1)
    # when the dataset is deleted
    response = api_client_for(user).delete(f"/api/v1/datasets/{version.dataset_id}/")
    # then the first run is named and the others counted, as for any object in use
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"It is used by training run {first.pk} 'lr sweep' (version 1) and 2 more; "
        "delete those runs first.")
