"""Recipes as a user writes them: accepted options become typed steps, mistakes are refused
with the step and the field named."""

from __future__ import annotations

import pytest

from ml.data.pipeline import RecipeError, load_recipe_toml, parse_recipe, recipe_to_dict


@pytest.mark.parametrize(
    ("steps", "step", "field", "says"),
    [
        (
            [{"type": "normalize"}, {"type": "regex_filter", "pattern": "("}],
            1,
            "pattern",
            "does not compile",
        ),
        ([{"type": "shuffle"}], 0, "type", "unknown step type"),
        ([{"type": "normalize", "lowercase": True}], 0, "lowercase", "unknown option"),
        ([{"type": "length_filter", "min": "ten"}], 0, "min", "whole number"),
        ([{"type": "length_filter", "min": 10, "max": 5}], 0, "max", "at least min"),
        ([{"type": "split", "train": 0.8, "validation": 0.3, "test": 0.1}], 0, "test", "sum to 1"),
        ([{"type": "split"}, {"type": "normalize"}], 0, "type", "last step"),
        (
            [{"type": "normalize"}, {"type": "mix", "weights": [1, 1], "target_size": 5}],
            1,
            "type",
            "first step",
        ),
        ([{"type": "sample", "n": 5, "fraction": 0.5}], 0, "n", "exactly one"),
        (
            [{"type": "language_filter", "languages": ["english"]}],
            0,
            "languages",
            "unknown language",
        ),
        (
            [{"type": "feature_filter", "feature": "sparkle", "min": 1}],
            0,
            "feature",
            "unknown numeric feature",
        ),
        ([{"type": "pii_scrub", "kinds": ["email", "passport"]}], 0, "kinds", "choose from"),
        ([{"type": "template", "mode": "pair", "prompt": "{q}"}], 0, "response", "required"),
        ([{"type": "template", "mode": "text", "text": "{a.b}"}], 0, "text", "plain"),
        ([{"type": "dedup_near", "threshold": 1.5}], 0, "threshold", "between 0 and 1"),
    ],
)
def test_a_bad_step_is_refused_naming_its_step_and_field(steps, step, field, says):
    # when a recipe with a mistake is parsed
    with pytest.raises(RecipeError) as caught:
        parse_recipe({"steps": steps})
    # then the error points at the step and the option, in words
    assert (caught.value.step, caught.value.field) == (step, field)
    assert says in caught.value.message
    assert str(caught.value).startswith(f"step {step + 1} (")


def test_the_error_message_reads_as_the_user_counts_steps():
    # when
    with pytest.raises(RecipeError) as caught:
        parse_recipe({"steps": [{"type": "normalize"}, {"type": "regex_filter", "pattern": "["}]})
    # then
    assert str(caught.value).startswith("step 2 (regex_filter), field 'pattern': does not compile")


def test_canonical_form_spells_out_every_option_and_parses_back_the_same():
    # given a recipe with only some options set
    recipe = parse_recipe(
        {"steps": [{"type": "dedup_near", "threshold": 0.9}, {"type": "split", "seed": 3}]}
    )
    # when it is stored in canonical form and read back
    stored = recipe_to_dict(recipe)
    # then defaults are written out and the recipe is unchanged
    assert stored["steps"][0] == {
        "type": "dedup_near",
        "threshold": 0.9,
        "num_perm": 128,
        "ngram": 3,
        "field": None,
    }
    assert stored["steps"][1]["train"] == 0.8 and stored["steps"][1]["seed"] == 3
    assert parse_recipe(stored) == recipe


def test_a_toml_recipe_loads_its_steps_in_order(tmp_path):
    # given
    path = tmp_path / "recipe.toml"
    path.write_text(
        '[[steps]]\ntype = "normalize"\n\n[[steps]]\ntype = "pii_scrub"\nkinds = ["email"]\n'
    )
    # when
    recipe = load_recipe_toml(path)
    # then
    assert [s.type for s in recipe.steps] == ["normalize", "pii_scrub"]
    assert recipe.steps[1].kinds == ("email",)


def test_a_broken_toml_file_is_a_recipe_error(tmp_path):
    # given
    path = tmp_path / "recipe.toml"
    path.write_text("[[steps]\n")
    # when
    with pytest.raises(RecipeError) as caught:
        load_recipe_toml(path)
    # then
    assert caught.value.field == "toml"
