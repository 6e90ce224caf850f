"""Turns a parsed run search (query_language.py) into ORM filters and orderings. Every key
and literal travels as a query parameter; no SQL text is built from user input.

A comparison matches only runs that have the key with the literal's type: `params.lr > 1e-4`
never matches a run whose lr is the string "0.001" or that has no lr at all. Metrics compare
on the summary row (the last value, or `.min` / `.max`)."""

from __future__ import annotations

from django.db.models import (
    CharField,
    Exists,
    F,
    Func,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

from .models import MetricSeries
from .query_language import Comparison, Field, Node

_LOOKUPS = {
    "=": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
_SUFFIXES = {"=": "exact", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_SUMMARY_COLUMNS = {"last": "last_value", "min": "min_value", "max": "max_value"}


class JsonbTypeof(Func):
    function = "jsonb_typeof"
    output_field = CharField()


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else "string"


def _compare(lhs, op: str, rhs) -> Q:
    if op == "!=":
        return ~Q(Exact(lhs, rhs))
    return Q(_LOOKUPS[op](lhs, rhs))


def _comparison_q(node: Comparison) -> Q:
    field, op, value = node.field, node.op, node.value
    if field.kind == "params":
        # jsonb compares numbers numerically and strings by collation; the type check keeps
        # a string "0.001" out of a numeric comparison instead of ordering it by type.
        lhs = KeyTransform(field.name, "params")
        same_type = Q(Exact(JsonbTypeof(lhs), Value(_json_type(value))))
        return same_type & _compare(lhs, op, Value(value, output_field=JSONField()))
    if field.kind == "tags":
        lhs = KeyTransform(field.name, "tags")
        same_type = Q(Exact(JsonbTypeof(lhs), Value("string")))
        return same_type & _compare(KeyTextTransform(field.name, "tags"), op, Value(value))
    if field.kind == "metrics":
        column = _SUMMARY_COLUMNS[field.aggregate]
        condition = (
            ~Q(**{column: value}) if op == "!=" else Q(**{f"{column}__{_SUFFIXES[op]}": value})
        )
        series = MetricSeries.objects.filter(condition, run=OuterRef("pk"), key=field.name)
        return Q(Exists(series))
    return _compare(F(field.name), op, Value(value))


def filter_q(node: Node) -> Q:
    if isinstance(node, Comparison):
        return _comparison_q(node)
    parts = [filter_q(operand) for operand in node.operands]
    combined = parts[0]
    for part in parts[1:]:
        combined = (combined & part) if node.op == "and" else (combined | part)
    return combined


def _order_expression(field: Field):
    if field.kind == "params":
        return KeyTransform(field.name, "params")
    if field.kind == "tags":
        return KeyTextTransform(field.name, "tags")
    if field.kind == "metrics":
        column = _SUMMARY_COLUMNS[field.aggregate]
        series = MetricSeries.objects.filter(run=OuterRef("pk"), key=field.name)
        return Subquery(series.values(column)[:1])
    return F(field.name)


def apply_search(queryset: QuerySet, *, where: Node | None, order: list[tuple[Field, bool]]):
    if where is not None:
        queryset = queryset.filter(filter_q(where))
    if order:
        # Runs without the key sort last either way; the id keeps pages stable.
        terms = [
            _order_expression(field).desc(nulls_last=True)
            if descending
            else _order_expression(field).asc(nulls_last=True)
            for field, descending in order
        ]
        queryset = queryset.order_by(*terms, "-id")
    return queryset
