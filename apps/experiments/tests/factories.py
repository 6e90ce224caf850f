"""Factories for experiment tracking tests: rows made through the services, as users would."""

from __future__ import annotations

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.experiments import services

_names = itertools.count(1)


def make_experiment(user, name: str | None = None):
    return services.experiment_create(user=user, name=name or f"experiment-{next(_names)}")


def make_run(user, *, experiment=None, name: str | None = None, params=None, tags=None, **extra):
    experiment = experiment or make_experiment(user)
    return services.run_create(
        user=user,
        experiment_id=experiment.pk,
        name=name or f"run-{next(_names)}",
        params=params,
        tags=tags,
        **extra,
    )


def log_series(user, run, key: str, values, *, start_step: int = 0) -> None:
    points = [
        {"key": key, "value": float(value), "step": start_step + index}
        for index, value in enumerate(values)
    ]
    for begin in range(0, len(points), 10_000):
        services.run_metrics_log(user=user, run_id=run.pk, metrics=points[begin : begin + 10_000])


def make_artifact(user, run, *, name: str = "weights.bin", content: bytes = b"hello weights"):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return services.artifact_upload(user=user, run_id=run.pk, file=upload)
