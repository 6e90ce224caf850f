"""The errors a recipe raises: a bad recipe (naming the step and the field) and a cancelled run."""

from __future__ import annotations


class RecipeError(ValueError):
    """A recipe that cannot run: `step` is the step's 0-based index in the recipe (None for the
    recipe as a whole; messages count from 1, as people do), `step_type` its type when known,
    `field` the option at fault."""

    def __init__(self, step: int | None, field: str, message: str, step_type: str | None = None):
        self.step = step
        self.field = field
        self.message = message
        self.step_type = step_type
        where = (
            "recipe"
            if step is None
            else f"step {step + 1}" + (f" ({step_type})" if step_type else "")
        )
        super().__init__(f"{where}, field {field!r}: {message}")

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "type": self.step_type,
            "field": self.field,
            "message": self.message,
        }


class RecipeCancelled(Exception):
    """`should_stop()` answered True; the partial outputs were removed."""


class DeadlineReached(Exception):
    """A preview's time budget ran out; what was shown so far is returned, marked stopped."""
