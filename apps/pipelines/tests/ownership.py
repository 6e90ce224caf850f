"""Access-matrix cases for the recipe and feature store routes (apps/core/ownership.py).
Recipes are shareable roots like datasets; runs stay their owner's; features are reached
through their dataset version. Work that costs compute (a run, a cancel, features) needs
the run action; a preview only reads its inputs."""

from apps.core.ownership import Case, Raw
from apps.datasets.models import DatasetVersion
from apps.pipelines.models import Recipe, RecipeRun

from .factories import finished_run, jsonl, materialization, recipe, valid_version

MARKER = "owner-private-recipe"
CONTENT = jsonl([{"text": "owner-private words to keep"}, {"text": "owner-private words to keep"}])


def _recipe(user):
    return {"recipe_id": recipe(user, name=MARKER).pk}, MARKER


def _recipe_and_input(user):
    made = recipe(user, name=MARKER)
    valid_version(user, CONTENT)
    return {"recipe_id": made.pk}, MARKER


def _owners_input(ids) -> int:
    """The version the setup made beside the recipe (the route's URL names the recipe only)."""
    owner = Recipe.objects.get(pk=ids["recipe_id"]).owner
    return DatasetVersion.objects.filter(owner=owner).latest("pk").pk


def _run(user, status=RecipeRun.Status.SUCCEEDED):
    made = recipe(user, name=MARKER)
    run = finished_run(user, made, valid_version(user, CONTENT), status=status)
    return {"run_id": run.pk}, MARKER


def _queued_run(user):
    return _run(user, status=RecipeRun.Status.QUEUED)


def _version(user):
    version = valid_version(user, CONTENT, name=MARKER)
    materialization(user, version)
    return {"version_id": version.pk}, MARKER


def _compare_with_another(ids) -> Raw:
    owner = DatasetVersion.objects.get(pk=ids["version_id"]).owner
    return Raw(b"", query={"other": valid_version(owner, CONTENT, name="other").pk})


OWNED_ROUTES = {
    "api-v1:recipe-list": Case(setup=_recipe),
    "api-v1:recipe-detail": Case(setup=_recipe, methods={
        "get": None, "patch": {"steps": [{"type": "normalize"}]}, "delete": None}),
    "api-v1:recipe-preview": Case(
        setup=_recipe_and_input, ids_in_body="detail", actions={"post": "read"},
        methods={"post": lambda ids: {"steps": [{"type": "normalize"}], "inputs": [_owners_input(ids)]}}),
    "api-v1:recipe-run-create": Case(
        setup=_recipe_and_input, actions={"post": "run"},
        methods={"post": lambda ids: {"inputs": [_owners_input(ids)], "output_name": "cleaned"}}),
    # A run is its owner's: its report quotes records of inputs its recipe's team may not read.
    "api-v1:recipe-run-list": Case(setup=_run, reach="private"),
    "api-v1:recipe-run-detail": Case(setup=_run, reach="private"),
    "api-v1:recipe-run-cancel": Case(setup=_queued_run, methods={"post": None}, reach="private"),
    "api-v1:recipe-run-rerun": Case(setup=_run, methods={"post": None}, reach="private"),
    "api-v1:dataset-version-features": Case(setup=_version, methods={"get": None, "post": {"groups": ["basic"]}},
                                            actions={"post": "run"}),
    "api-v1:dataset-version-features-compare": Case(setup=_version, methods={"get": _compare_with_another}),
    "api-v1:dataset-version-records": Case(setup=_version),
}

PUBLIC_ROUTES = {"api-v1:feature-group-list": "the feature registry: the same for everyone, no user's data"}
