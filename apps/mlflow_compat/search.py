"""MLflow's search syntax in the terms of our run search language (apps.experiments
.query_language), which already reads its common subset: `metrics.rmse < 1 and
params.model = 'tree'`, AND/OR, `tags.team = 'nlp'`, ASC/DESC. What differs is renamed
here: double-quoted names (`tags."mlflow.source.name"`), the `attributes.` prefix, its
field names (run_name, start_time, end_time) and its status names (FINISHED, KILLED).
What our language lacks (LIKE, IN) stays an INVALID_PARAMETER_VALUE naming the offset."""

from __future__ import annotations

import re

from .shapes import RUN_NAME_TAG, STATUS_FROM_MLFLOW

_QUOTED_NAME = re.compile(r"\b(params?|metrics?|tags?|attributes?)\.\"([^\"]+)\"", re.IGNORECASE)
_BACKTICKED_RUN_NAME = re.compile(rf"\btags?\.`?{re.escape(RUN_NAME_TAG)}`?", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"(?<![\w.`])(?:attributes?\.)?(run_name|start_time|end_time|status)\b",
                        re.IGNORECASE)
_STATUS_VALUE = re.compile(r"\bstatus(\s*!?=\s*)(['\"])(\w+)\2", re.IGNORECASE)
_ATTRIBUTE_NAMES = {"run_name": "name", "start_time": "started_at", "end_time": "finished_at",
                    "status": "status"}


def _names(text: str) -> str:
    text = _QUOTED_NAME.sub(lambda m: f"{m[1]}.`{m[2]}`", text)
    text = _BACKTICKED_RUN_NAME.sub("name", text)
    return _ATTRIBUTE.sub(lambda m: _ATTRIBUTE_NAMES[m[1].lower()], text)


def _status(match: re.Match) -> str:
    ours = STATUS_FROM_MLFLOW.get(match[3].upper())
    return f"status{match[1]}'{ours}'" if ours else match[0]


def filter_text(mlflow_filter: str) -> str:
    return _STATUS_VALUE.sub(_status, _names(mlflow_filter or ""))


def order_text(order_by: list[str]) -> str:
    return ", ".join(_names(term) for term in order_by or [])
