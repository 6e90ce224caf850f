"""Model instances from hand-written SQL, for the few hot paths where the ORM's query building
costs more than the query (chat's send and the inference worker's first read). Column lists
come from the models and values pass through each field's database converters, so the
instances are the ones the ORM would build. `only` (attnames) selects some columns; the others
are deferred, as with `QuerySet.only`, and load on first access."""

from __future__ import annotations

from functools import cache

from django.db import connection, models


def _fields(model: type[models.Model], only: tuple[str, ...] | None) -> tuple:
    """`model`'s concrete fields in field order, or those of them named in `only`."""
    fields = model._meta.concrete_fields
    return tuple(fields) if only is None else tuple(f for f in fields if f.attname in only)


def select_columns(model: type[models.Model], alias: str, only: tuple[str, ...] | None = None) -> str:
    """`model`'s columns (or `only` those), in field order, qualified by `alias`, for a SELECT list."""
    return ", ".join(f'{alias}."{field.column}"' for field in _fields(model, only))


def column_count(model: type[models.Model], only: tuple[str, ...] | None = None) -> int:
    return len(_fields(model, only))


@cache
def _converters(model: type[models.Model], alias: str, only: tuple[str, ...] | None) -> tuple:
    """(index, column expression, converters) for each selected field of `model` whose
    database value the ORM converts (JSON text to objects...)."""
    found = []
    for index, field in enumerate(_fields(model, only)):
        expression = field.get_col(alias)
        converters = (*connection.ops.get_db_converters(expression),
                      *field.get_db_converters(connection))
        if converters:
            found.append((index, expression, converters))
    return tuple(found)


def instance_from_row(model: type[models.Model], values, alias: str,
                      only: tuple[str, ...] | None = None) -> models.Model:
    """`model` from the values `select_columns(model, alias, only)` selected."""
    values = list(values)
    for index, expression, converters in _converters(model, alias, only):
        for convert in converters:
            values[index] = convert(values[index], expression, connection)
    return model.from_db(connection.alias, [f.attname for f in _fields(model, only)], values)
