"""Builders for registry tests: a version registered from a tiny trained model."""

from apps.registry import services
from apps.training import services as training_services
from apps.training.tests.factories import tiny_config, valid_dataset_version


def trained_run(user, max_iters: int = 10, block_size: int = 16):
    config = tiny_config(max_iters=max_iters)
    config["model"]["block_size"] = block_size
    training_run = training_services.training_run_create(
        user=user, dataset_version_id=valid_dataset_version(user).pk, config=config
    )
    training_services.training_run_execute(training_run_id=training_run.pk, execution_id="factory")
    training_run.refresh_from_db()
    return training_run


def ready_version(user, name: str = "poet", training_run=None):
    training_run = training_run or trained_run(user)
    version = services.model_version_create_from_training_run(
        user=user, training_run_id=training_run.pk, name=name
    )
    return services.model_version_import(version_id=version.pk)
