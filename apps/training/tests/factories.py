"""Builders for training tests: a small valid dataset version and a tiny engine config."""

import io

from apps.datasets import services as dataset_services

TEXT = ("To be, or not to be, that is the question:\n"
        "Whether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\n") * 40


def valid_dataset_version(user, text: str = TEXT, filename: str = "hamlet.txt", **columns):
    dataset = dataset_services.dataset_create(user=user, name="hamlet")
    body = text.encode()
    version, _ = dataset_services.dataset_version_upload(
        user=user, dataset_id=dataset.pk, stream=io.BytesIO(body), filename=filename,
        content_length=len(body), **columns,
    )
    return dataset_services.dataset_version_validate(version_id=version.pk)


def tiny_config(max_iters: int = 30, **train) -> dict:
    return {
        "model": {"preset": "nanogpt-char", "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16},
        "optim": {"warmup_iters": 5},
        "train": {"max_iters": max_iters, "batch_size": 4, "eval_interval": 10, "eval_iters": 2,
                  "log_interval": 5, **train},
    }
