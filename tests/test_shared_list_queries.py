"""Lists of shareable kinds cost the same number of queries however many objects are shared
with the user (the access role and scope are computed in SQL, not per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.chat.tests.factories import conversation
from apps.datasets.models import Dataset, DatasetVersion
from apps.experiments.models import Experiment, Run
from apps.personalities.models import Personality
from apps.personalities.tests.factories import config_personality
from apps.rag.models import Collection, Document
from apps.registry.models import ModelVersion, RegisteredModel
from apps.teams.tests.factories import make_team, share
from apps.training.models import TrainingRun

pytestmark = pytest.mark.django_db


def _shared_with_a_member(make_user, n: int):
    """`n` of each shareable kind shared with a member's team; the first dataset holds `n`
    versions, the first experiment `n` runs (each with its training run), the first model
    `n` versions and the first collection `n` documents."""
    owner, member = make_user(), make_user()
    team = make_team(owner, (member, "member"))
    datasets = [Dataset.objects.create(owner=owner, name=f"d{i}") for i in range(n)]
    versions = [DatasetVersion.objects.create(owner=owner, dataset=datasets[0], number=i + 1, filename="d.txt",
                                              format="txt", sha256=f"{i:064d}", size_bytes=1, status="valid")
                for i in range(n)]
    experiments = [Experiment.objects.create(owner=owner, name=f"e{i}") for i in range(n)]
    for i in range(n):
        run = Run.objects.create(owner=owner, experiment=experiments[0], name=f"r{i}")
        TrainingRun.objects.create(owner=owner, run=run, dataset_version=versions[i], config={}, max_steps=1)
    models = [RegisteredModel.objects.create(owner=owner, name=f"m{i}") for i in range(n)]
    model_versions = [ModelVersion.objects.create(owner=owner, registered_model=models[0], major=1, minor=0, patch=i,
                                                  source="starter", status="ready") for i in range(n)]
    collections = [Collection.objects.create(owner=owner, name=f"c{i}") for i in range(n)]
    for i in range(n):
        Document.objects.create(owner=owner, collection=collections[0], name=f"doc{i}.md", format="md",
                                size_bytes=5, sha256=f"{i:064d}", text="Whales sing.")
    personalities = [config_personality(owner, name=f"p{i}") for i in range(n)]
    conversations = [conversation(owner, model_versions[0], title=f"chat {i}") for i in range(n)]
    for shared in (*datasets, *experiments, *models, *collections, *personalities, *conversations):
        share(shared, team, level="write")
    return member, {
        "datasets": "/api/v1/datasets/",
        "dataset versions": f"/api/v1/datasets/{datasets[0].pk}/versions/",
        "experiments": "/api/v1/experiments/",
        "runs": f"/api/v1/experiments/{experiments[0].pk}/runs/",
        "training runs": "/api/v1/training-runs/",
        "models": "/api/v1/models/",
        "model versions": f"/api/v1/models/{models[0].pk}/versions/",
        "collections": "/api/v1/rag/collections/",
        "documents": f"/api/v1/rag/collections/{collections[0].pk}/documents/",
        "personalities": "/api/v1/personalities/",
        "conversations": "/api/v1/chat/conversations/",
    }


def _query_counts(client, urls: dict) -> dict:
    counts = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.content)
        counts[name] = (len(queries), response.json()["count"])
    return counts


def test_list_queries_do_not_grow_with_the_number_of_shared_objects(make_user, api_client_for):
    # given
    few_user, few_urls = _shared_with_a_member(make_user, 2)
    many_user, many_urls = _shared_with_a_member(make_user, 20)
    # when
    few = _query_counts(api_client_for(few_user), few_urls)
    many = _query_counts(api_client_for(many_user), many_urls)
    # then: every row is listed (and the built-in personalities every user sees), at the same cost
    builtins = Personality.objects.filter(owner=None).count()
    assert {name: count for name, (_, count) in few.items()} == {**dict.fromkeys(few_urls, 2),
                                                                 "personalities": 2 + builtins}
    assert {name: count for name, (_, count) in many.items()} == {**dict.fromkeys(many_urls, 20),
                                                                  "personalities": 20 + builtins}
    assert {name: queries for name, (queries, _) in few.items()} == \
        {name: queries for name, (queries, _) in many.items()}
