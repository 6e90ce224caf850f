"""The run search language: what parses, and every error with the offset it names."""

import pytest

from apps.experiments.query_language import (
    BoolOp,
    Comparison,
    Field,
    QuerySyntaxError,
    parse_filter,
    parse_order_by,
)


def test_and_binds_tighter_than_or_and_parentheses_override():
    # when
    flat = parse_filter("params.lr > 1e-4 or metrics.loss < 2 and tags.team = 'nlp'")
    grouped = parse_filter("(params.lr > 1e-4 or metrics.loss < 2) and tags.team = 'nlp'")
    # then
    assert flat.op == "or" and flat.operands[1].op == "and"
    assert grouped.op == "and" and grouped.operands[0].op == "or"


def test_fields_literals_and_operators():
    # when
    node = parse_filter(
        'metrics.`val.loss`.min <= -0.5 AND params.optimizer == "adam" '
        "and params.amp != true and status = 'running' and name >= 'b' and params.layers = 12"
    )
    # then
    assert isinstance(node, BoolOp)
    first, optimizer, amp, status, name, layers = node.operands
    assert first == Comparison(Field("metrics", "val.loss", "min", offset=0), "<=", -0.5)
    assert (optimizer.field.name, optimizer.op, optimizer.value) == ("optimizer", "=", "adam")
    assert amp.value is True and amp.op == "!="
    assert status.field == Field("attribute", "status", offset=status.field.offset)
    assert name.value == "b"
    assert layers.value == 12 and isinstance(layers.value, int)


def test_names_may_hold_slashes_and_dashes_and_strings_escapes():
    # when
    node = parse_filter(r"metrics.train/loss-ema.max > 3 and tags.note = 'it\'s'")
    # then
    assert node.operands[0].field == Field("metrics", "train/loss-ema", "max", offset=0)
    assert node.operands[1].value == "it's"


def test_dotted_keys_as_the_readme_writes_them():
    # when
    node = parse_filter("params.optim.lr > 1e-4 and metrics.val_loss < 2 and metrics.train.loss.min < 3")
    # then
    lr, val_loss, train_loss = node.operands
    assert lr == Comparison(Field("params", "optim.lr", offset=0), ">", 1e-4)
    assert val_loss.field == Field("metrics", "val_loss", "last", offset=27)
    assert train_loss.field == Field("metrics", "train.loss", "min", offset=52)


def test_backticks_name_keys_with_odd_characters_or_an_aggregate_name():
    # when
    node = parse_filter("params.optim.`beta 1` = 0.9 and metrics.`loss.min` > 1 and params.layer.0.lr = 1")
    # then
    odd, literal_min, digits = node.operands
    assert odd.field.name == "optim.beta 1"
    assert (literal_min.field.name, literal_min.field.aggregate) == ("loss.min", "last")
    assert digits.field.name == "layer.0.lr"


def test_empty_filter_means_no_filter():
    assert parse_filter("   ") is None
    assert parse_order_by("") == []


@pytest.mark.parametrize(
    ("query", "offset", "fragment"),
    [
        ("params.lr >", 11, "Expected a number"),
        ("params.lr > 1 and", 17, "Expected a field"),
        ("foo = 1", 0, "Expected a field"),
        ("params = 1", 7, "'.' and a key"),
        ("params.lr 1", 10, "comparison operator"),
        ("params.lr = 1 params.b = 2", 14, "'and', 'or'"),
        ("(params.lr = 1", 14, "')' to close the '(' at offset 0"),
        ("params.lr = 1)", 13, "'and', 'or'"),
        ("params.a = 'abc", 11, "Unterminated quote"),
        ("params.a # 1", 9, "Unexpected character '#'"),
        ("metrics.loss = 'low'", 15, "A metric compares with numbers"),
        ("params.optim. = 1", 14, "a name after '.'"),
        ("foo.bar = 1", 0, "but found 'foo.bar'"),
        ("tags.team = 3", 12, "A tag compares with quoted strings"),
        ("status = 'done'", 9, "Status is one of"),
        ("params.amp > true", 13, "true and false compare only with = or !="),
        ("params. = 1", 8, "a param name"),
        ("(" * 40 + "params.a = 1" + ")" * 40, 32, "nest deeper"),
    ],
)
def test_each_error_names_its_offset(query, offset, fragment):
    # when
    with pytest.raises(QuerySyntaxError) as error:
        parse_filter(query)
    # then
    assert error.value.offset == offset
    assert fragment in str(error.value)
    assert str(error.value).endswith(f"at offset {offset}")


def test_order_by_terms_and_directions():
    # when
    terms = parse_order_by("metrics.val_loss.min ASC, params.lr desc, created_at")
    # then
    assert [(f.kind, f.name, f.aggregate, desc) for f, desc in terms] == [
        ("metrics", "val_loss", "min", False),
        ("params", "lr", "last", True),
        ("attribute", "created_at", "last", False),
    ]


def test_order_by_errors_name_the_offset():
    with pytest.raises(QuerySyntaxError) as error:
        parse_order_by("metrics.loss sideways")
    assert error.value.offset == 13
