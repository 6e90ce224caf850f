"""Data recipes: ordered steps (filters, dedup, PII scrubbing, normalization, templating,
split, mix) run as a stream over dataset files into new JSON-lines files, with a report of
what each step did. Pure library: the web app and the CLI call `run_recipe`."""

from ml.data.pipeline.errors import RecipeCancelled, RecipeError
from ml.data.pipeline.recipe import Recipe, load_recipe_toml, parse_recipe, recipe_to_dict
from ml.data.pipeline.records import RecipeInput, iter_texts, record_text
from ml.data.pipeline.report import ProgressEvent, RecipeReport, StepPreview
from ml.data.pipeline.runner import check_recipe, preview_recipe, run_recipe

__all__ = [
    "ProgressEvent",
    "Recipe",
    "RecipeCancelled",
    "RecipeError",
    "RecipeInput",
    "RecipeReport",
    "StepPreview",
    "check_recipe",
    "iter_texts",
    "load_recipe_toml",
    "parse_recipe",
    "preview_recipe",
    "recipe_to_dict",
    "record_text",
    "run_recipe",
]
