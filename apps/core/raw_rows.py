"""Model instances from hand-written SQL, for the few hot paths where the ORM's query building
costs more than the query (chat's send and the inference worker's first read). Column lists
come from the models and values pass through each field's database converters, so the
instances are the ones the ORM would build."""

from __future__ import annotations

from functools import cache

from django.db import connection, models


def select_columns(model: type[models.Model], alias: str) -> str:
    """`model`'s columns, in field order, qualified by `alias`, for a SELECT list."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


def column_count(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


@cache
def _converters(model: type[models.Model], alias: str) -> tuple:
    """(index, column expression, converters) for each field of `model` whose database value
    the ORM converts (JSON text to objects...)."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        expression = field.get_col(alias)
        converters = (*connection.ops.get_db_converters(expression),
                      *field.get_db_converters(connection))
        if converters:
            found.append((index, expression, converters))
    return tuple(found)


def instance_from_row(model: type[models.Model], values, alias: str) -> models.Model:
    """`model` from the values `select_columns(model, alias)` selected."""
    values = list(values)
    for index, expression, converters in _converters(model, alias):
        for convert in converters:
            values[index] = convert(values[index], expression, connection)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields],
                         values)
