"""The search space: a JSON list of parameter specs, checked before a sweep is stored and
turned into Optuna suggestions for each trial.

    [{"name": "optim.lr", "type": "float", "low": 1e-4, "high": 1e-2, "log": true},
     {"name": "model.n_embd", "type": "int", "low": 32, "high": 128, "step": 32},
     {"name": "optim.schedule", "type": "categorical", "choices": ["cosine", "constant"]},
     {"name": "optim.warmup_iters", "type": "int", "low": 0, "high": 50,
      "when": {"optim.schedule": "cosine"}}]

`name` is a training-engine option a user may set ("section.key", see
apps.training.services.USER_OPTIONS) for a training sweep, or any short name for an external
one. `when` makes a parameter conditional: it is drawn only in trials where each named
(earlier, categorical) parameter took the given value or one of a list of values. A spec that
cannot be drawn from is refused naming the parameter (`search_space.<name>`)."""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError

TYPES = ("float", "int", "categorical")
KEYS = {"name", "type", "low", "high", "log", "step", "choices", "when"}
EXTERNAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
MAX_PARAMS = 32
MAX_CHOICES = 100


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError({f"search_space.{name}": [message]})


def _number(spec: dict, key: str, name: str, *, whole: bool) -> float | int:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _refuse(name, f"{key} must be a {'whole ' if whole else ''}number")
    if whole and value != int(value):
        raise _refuse(name, f"{key} must be a whole number for an int parameter")
    return int(value) if whole else float(value)


def _spec_clean(spec, *, known_names: set[str], earlier: dict[str, dict], allowed) -> dict:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValidationError({"search_space": ["each parameter is an object with a name"]})
    name = spec["name"]
    allowed(name)
    if name in known_names:
        raise _refuse(name, "named twice")
    unknown = set(spec) - KEYS
    if unknown:
        raise _refuse(name, f"unknown keys {', '.join(sorted(unknown))} (known: {', '.join(sorted(KEYS))})")
    kind = spec.get("type")
    if kind not in TYPES:
        raise _refuse(name, f"type must be one of {', '.join(TYPES)}")
    clean: dict = {"name": name, "type": kind}
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices or len(choices) > MAX_CHOICES:
            raise _refuse(name, f"choices must be a list of 1 to {MAX_CHOICES} values")
        if any(not isinstance(c, (str, int, float, bool)) for c in choices):
            raise _refuse(name, "choices are strings, numbers or booleans")
        if len({repr(c) for c in choices}) != len(choices):
            raise _refuse(name, "choices repeat a value")
        if {"low", "high", "log", "step"} & set(spec):
            raise _refuse(name, "a categorical parameter takes choices, not low/high/log/step")
        clean["choices"] = choices
    else:
        if "choices" in spec:
            raise _refuse(name, f"an {kind} parameter takes low and high, not choices")
        whole = kind == "int"
        low, high = _number(spec, "low", name, whole=whole), _number(spec, "high", name, whole=whole)
        if low > high:
            raise _refuse(name, f"low ({low}) is above high ({high})")
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise _refuse(name, "log is true or false")
        if log and low <= 0:
            raise _refuse(name, f"a log scale needs low above 0 (got {low})")
        clean.update(low=low, high=high, log=log)
        if "step" in spec:
            step = _number(spec, "step", name, whole=whole)
            if step <= 0:
                raise _refuse(name, "step must be above 0")
            if log:
                raise _refuse(name, "a log scale takes no step")
            clean["step"] = step
    when = spec.get("when")
    if when is not None:
        if not isinstance(when, dict) or not when:
            raise _refuse(name, "when is an object of {earlier parameter: value or [values]}")
        for parent, values in when.items():
            parent_spec = earlier.get(parent)
            if parent_spec is None or parent_spec["type"] != "categorical":
                raise _refuse(name, f"when names {parent!r}, which is not an earlier categorical parameter")
            values = values if isinstance(values, list) else [values]
            missing = [v for v in values if v not in parent_spec["choices"]]
            if missing or not values:
                raise _refuse(name, f"when: {parent} never takes {missing or values}")
            when[parent] = values
        clean["when"] = when
    return clean


def space_clean(space, *, allowed) -> list[dict]:
    """The checked specs; `allowed(name)` raises for a name the sweep's kind may not search."""
    if not isinstance(space, list) or not space:
        raise ValidationError({"search_space": ["give at least one parameter to search"]})
    if len(space) > MAX_PARAMS:
        raise ValidationError({"search_space": [f"at most {MAX_PARAMS} parameters"]})
    clean: dict[str, dict] = {}
    for spec in space:
        checked = _spec_clean(spec, known_names=set(clean), earlier=clean, allowed=allowed)
        clean[checked["name"]] = checked
    return list(clean.values())


def external_name_check(name: str) -> None:
    """Refuses an external sweep's parameter name that is not a short identifier (it reaches
    the agent's script as a JSON key and the run as a param name)."""
    if not EXTERNAL_NAME.match(name):
        raise _refuse(name[:100], "a parameter name is letters, digits, '_', '.' or '-' (at most 100)")


def grid_of(space: list[dict]) -> dict[str, list]:
    """Every value of each parameter, for the grid sampler: finite choices or a stepped range."""
    grid = {}
    for spec in space:
        name = spec["name"]
        if spec.get("when"):
            raise _refuse(name, "grid search draws every parameter in every trial; drop when or use another sampler")
        if spec["type"] == "categorical":
            grid[name] = spec["choices"]
        elif "step" in spec or spec["type"] == "int":
            step = spec.get("step", 1)
            count = int(math.floor((spec["high"] - spec["low"]) / step + 1e-9)) + 1
            if count > MAX_CHOICES:
                raise _refuse(name, f"the grid would hold {count} values; at most {MAX_CHOICES}")
            values = [spec["low"] + i * step for i in range(count)]
            grid[name] = [int(v) for v in values] if spec["type"] == "int" else [round(v, 12) for v in values]
        else:
            raise _refuse(name, "grid search needs finite values: give a step, or make it categorical with choices")
    return grid


def grid_size(space: list[dict]) -> int:
    return math.prod(len(values) for values in grid_of(space).values())


def suggest(trial, space: list[dict]) -> dict:
    """Draws the trial's values through Optuna (so the sampler sees each distribution),
    skipping a conditional parameter whose condition the trial's draws do not meet."""
    params: dict = {}
    for spec in space:
        name = spec["name"]
        when = spec.get("when", {})
        if any(params.get(parent, object()) not in values for parent, values in when.items()):
            continue
        if spec["type"] == "categorical":
            params[name] = trial.suggest_categorical(name, spec["choices"])
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"], step=spec.get("step", 1),
                                             log=spec["log"])
        else:
            params[name] = trial.suggest_float(name, spec["low"], spec["high"], step=spec.get("step"),
                                               log=spec["log"])
    return params


def sample_points(space: list[dict]) -> list[dict]:
    """Two corners of the space (every low or first choice, every high or last choice), to
    check the training options before any trial runs."""
    def corner(first: bool) -> dict:
        return {spec["name"]: (spec["choices"][0 if first else -1] if spec["type"] == "categorical"
                               else spec["low" if first else "high"]) for spec in space}
    return [corner(True), corner(False)]


def config_with(base: dict, params: dict) -> dict:
    """The training config of one trial: the sweep's base with each "section.key" value set."""
    config = {section: dict(options) for section, options in base.items()}
    for name, value in params.items():
        section, key = name.split(".", 1)
        config.setdefault(section, {})[key] = value
    return config
