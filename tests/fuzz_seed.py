"""Seed data for the schema-driven API test: one user's objects of every kind, made through
the services as users would, and the ids that fill each path parameter of the schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.services import api_token_create
from apps.arena.tests.factories import finished_battle
from apps.cards.tests.factories import deck
from apps.chat.models import Message
from apps.chat.tests.factories import conversation, model_version
from apps.endpoints.tests.factories import remote_endpoint
from apps.experiments.tests.factories import log_series, make_artifact, make_experiment, make_run
from apps.knowledge.tests.factories import entity
from apps.monitoring.alert_rules import alert_rule_create
from apps.monitoring.records import inference_record_write
from apps.personalities.models import PersonalityApplication
from apps.personalities.tests.factories import config_personality, ready_evaluation
from apps.pipelines.tests.factories import finished_run, recipe
from apps.rag.models import EMBEDDING_DIM, Chunk
from apps.rag.services import collection_create, document_upload
from apps.registry.services import model_export_create
from apps.sweeps.services import trial_next
from apps.sweeps.tests.factories import external_sweep
from apps.teams.services import invitation_create, share_set, team_create
from apps.training.services import training_run_create
from apps.training.tests.factories import tiny_config, valid_dataset_version


@dataclass
class Seed:
    token: str  # the Bearer secret the user's requests carry
    # "<path segment before the parameter>/<parameter name>" -> the user's object for it
    path_values: dict[str, object]


def seed_user(user) -> Seed:
    version = valid_dataset_version(user)
    experiment = make_experiment(user)
    run = make_run(user, experiment=experiment, params={"optim.lr": 3e-4})
    log_series(user, run, "train/loss", [3.0, 2.0, 1.5])
    artifact = make_artifact(user, run)
    training = training_run_create(user=user, dataset_version_id=version.pk,
                                   config=tiny_config(max_iters=10))
    ready = model_version(user, name="tiny")
    export = model_export_create(user=user, version_id=ready.pk, qtypes=["Q8_0"])[0]
    chat = conversation(user, ready, title="hello")
    message = Message.objects.create(owner=user, conversation=chat, role=Message.Role.ASSISTANT,
                                     content="Hi there.", status=Message.Status.DONE)
    served = inference_record_write(source="chat", model_version_id=ready.pk, user_id=user.pk, result=None,
                                    received_at=message.created_at, message_id=message.pk)
    rival = model_version(user, name="rival", write_file=False)
    battle = finished_battle(user, ready, rival)
    collection = collection_create(user=user, name="notes")
    document = document_upload(user=user, collection_id=collection.pk, uploaded=SimpleUploadedFile(
        "notes.txt", b"Sailors crossed the sea in small ships.", content_type="text/plain"))
    # Its one chunk as the embedding worker would write it, so the chunk view has a part to show.
    Chunk.objects.create(owner=user, collection=collection, document=document, index=0, text=document.text,
                         embedding=[1.0] + [0.0] * (EMBEDDING_DIM - 1))
    person = entity(collection, "Seed Sailor")
    personality = config_personality(user, name="seed voice")
    evaluation = ready_evaluation(ready, personality.current_version, alignment=0.5, chart=True)
    application = PersonalityApplication.objects.create(
        owner=user, model_version=ready, personality_version=personality.current_version, method="prompt",
        status="ready", evaluation=evaluation)
    rule = alert_rule_create(user=user, name="seed alert", model_version=ready.pk, series="error_rate", threshold=0.5)
    sweep = external_sweep(user)
    trial, _ = trial_next(user=user, sweep_id=sweep.pk)
    team = team_create(user=user, name="seed team")
    share_set(user=user, kind="dataset", object_id=version.dataset_id, team_id=team.pk, level="read")
    invitation = invitation_create(user=user, team_id=team.pk, email=f"invitee-{user.pk}@example.com",
                                   role="member", site_url="http://testserver")
    study = deck(user, name="seed deck", cards=(("Capital of Peru?", "Lima"),))
    cleanup = recipe(user, name="seed recipe")
    recipe_run = finished_run(user, cleanup, version)
    peer = remote_endpoint(user, name="seed-peer")
    spare_token = api_token_create(user=user, name="spare").token
    secret = api_token_create(user=user, name="schema test").secret
    return Seed(token=secret, path_values={
        "datasets/dataset_id": version.dataset_id,
        "dataset-versions/version_id": version.pk,
        "experiments/experiment_id": experiment.pk,
        "runs/run_id": run.pk,
        "metrics/key": "train/loss",
        "artifacts/artifact_id": artifact.pk,
        "training-runs/training_run_id": training.pk,
        "models/model_id": ready.registered_model_id,
        "model-versions/version_id": ready.pk,
        "model-exports/export_id": export.pk,
        "conversations/conversation_id": chat.pk,
        "entities/entity_id": person.pk,
        "messages/message_id": message.pk,
        "battles/battle_id": battle.pk,
        "collections/collection_id": collection.pk,
        "documents/document_id": document.pk,
        "chunks/chunk_index": 0,
        "tokens/token_id": spare_token.pk,
        "personalities/personality_id": personality.pk,
        "personality-versions/version_id": personality.current_version_id,
        "personality-applications/application_id": application.pk,
        "personality-evaluations/evaluation_id": evaluation.pk,
        "models/model": "tiny",
        "sweeps/sweep_id": sweep.pk,
        "trials/trial_id": trial.pk,
        "teams/team_id": team.pk,
        "members/user_id": user.pk,
        "invitations/invitation_id": invitation.pk,
        "sharing/kind": "dataset",
        "kind/object_id": version.dataset_id,
        "shares/team_id": team.pk,
        "quotas/kind": "user",
        "kind/account_id": user.pk,
        "traces/trace_id": served.pk,
        "rules/rule_id": rule.pk,
        "decks/deck_id": study.pk,
        "cards/card_id": study.cards.first().pk,
        "recipes/recipe_id": cleanup.pk,
        "recipe-runs/run_id": recipe_run.pk,
        "endpoints/endpoint_id": peer.pk,
    })
