"""The run search language, parsed into a small tree (no Django here; run_query.py turns
the tree into parameterized ORM expressions):

    filter   := or_expr
    or_expr  := and_expr ("or" and_expr)*
    and_expr := atom ("and" atom)*
    atom     := "(" or_expr ")" | field OP literal
    field    := "status" | "name" | ("params" | "tags") "." KEY
              | "metrics" "." KEY ["." ("last" | "min" | "max")]
    KEY      := NAME ("." NAME)*       (params.optim.lr is the param "optim.lr")
    order_by := field ["asc" | "desc"] ("," field ["asc" | "desc"])*   (fields also: created_at, ...)
    OP       := "=" | "==" | "!=" | "<" | "<=" | ">" | ">="
    literal  := number | 'string' | "string" | true | false
    NAME     := [A-Za-z0-9_/-]+ | `any name, dots or spaces included`

A metric key whose last part is last, min or max reads that part as the aggregate
(`metrics.train.loss.min` is the minimum of "train.loss"); backticks name such a key itself.
Every error says what was expected and the 0-based character offset where it went wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_DEPTH = 32
STATUSES = ("queued", "running", "finished", "failed", "cancelled")
FILTER_ATTRIBUTES = ("status", "name")
ORDER_ATTRIBUTES = ("name", "status", "created_at", "updated_at", "started_at", "finished_at")
METRIC_AGGREGATES = ("last", "min", "max")
OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
_PREFIXES = {
    "params": "params",
    "param": "params",
    "metrics": "metrics",
    "metric": "metrics",
    "tags": "tags",
    "tag": "tags",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<op><=|>=|!=|==|=|<|>)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<dot>\.)
  | (?P<comma>,)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]+`)
  | (?P<name>[A-Za-z0-9_][A-Za-z0-9_/\-]*(?:\.[A-Za-z0-9_/\-]+)*)
    """,
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class QuerySyntaxError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str  # number, op, lparen, rparen, dot, comma, string, quoted, name, end
    text: str
    offset: int


@dataclass(frozen=True)
class Field:
    kind: str  # "params", "metrics", "tags" or "attribute"
    name: str  # the key, or the attribute's name
    aggregate: str = "last"  # metrics only
    offset: int = 0


@dataclass(frozen=True)
class Comparison:
    field: Field
    op: str
    value: float | int | str | bool


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" or "or"
    operands: tuple[Comparison | BoolOp, ...]


Node = Comparison | BoolOp


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            if char in "'\"`":
                raise QuerySyntaxError(f"Unterminated quote {char}", position)
            raise QuerySyntaxError(f"Unexpected character {char!r}", position)
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _describe(token: Token) -> str:
    return "the end of the query" if token.kind == "end" else repr(token.text)


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str, token: Token | None = None):
        token = token or self.current
        raise QuerySyntaxError(f"Expected {expected} but found {_describe(token)}", token.offset)

    def keyword(self, *words: str) -> str | None:
        token = self.current
        if token.kind == "name" and token.text.lower() in words:
            self.advance()
            return token.text.lower()
        return None

    def expect_end(self, expected: str) -> None:
        if self.current.kind != "end":
            self.fail(expected)

    # filter := or_expr
    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.keyword("or"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_expr(self) -> Node:
        operands = [self.atom()]
        while self.keyword("and"):
            operands.append(self.atom())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def atom(self) -> Node:
        token = self.current
        if token.kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"Parentheses nest deeper than {MAX_DEPTH}", token.offset)
            self.advance()
            node = self.or_expr()
            if self.current.kind != "rparen":
                self.fail("')' to close the '(' at offset " + str(token.offset))
            self.advance()
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.field(FILTER_ATTRIBUTES)
        token = self.current
        if token.kind != "op":
            self.fail("a comparison operator (=, !=, <, <=, >, >=)")
        self.advance()
        op = "=" if token.text == "==" else token.text
        value_token = self.current
        value = self.literal()
        _check_types(field, op, value, value_token)
        return Comparison(field, op, value)

    def key_parts(self, what: str) -> list[tuple[str, bool]]:
        """The dot-separated parts of a key, each with whether it was `backticked`."""
        parts: list[tuple[str, bool]] = []
        while True:
            token = self.current
            if token.kind == "name" or token.kind == "number" and token.text.isdigit():
                parts.extend((part, False) for part in token.text.split("."))
            elif token.kind == "quoted":
                parts.append((token.text[1:-1], True))
            else:
                self.fail(what)
            self.advance()
            if self.current.kind != "dot":
                return parts
            self.advance()
            what = "a name after '.'"

    def field(self, attributes: tuple[str, ...]) -> Field:
        token = self.current
        expected = "a field (params.X, metrics.X, tags.X, " + ", ".join(attributes) + ")"
        if token.kind != "name":
            self.fail(expected)
        # A dotted name arrives as one token: "params.optim.lr".
        word, _, rest = token.text.partition(".")
        self.advance()
        if not rest and word.lower() in attributes:
            return Field("attribute", word.lower(), offset=token.offset)
        kind = _PREFIXES.get(word.lower())
        if kind is None:
            self.fail(expected, token)
        what = f"a {kind[:-1]} name after '{word}.'"
        if rest:
            parts = [(part, False) for part in rest.split(".")]
            if self.current.kind == "dot":
                self.advance()
                parts += self.key_parts("a name after '.'")
        elif self.current.kind == "dot":
            self.advance()
            parts = self.key_parts(what)
        else:
            self.fail(f"'.' and a key after {token.text!r}")
        aggregate = "last"
        last, quoted = parts[-1]
        if kind == "metrics" and len(parts) > 1 and not quoted and last.lower() in METRIC_AGGREGATES:
            aggregate = last.lower()
            parts.pop()
        return Field(kind, ".".join(part for part, _ in parts), aggregate, offset=token.offset)

    def literal(self) -> float | int | str | bool:
        token = self.current
        if token.kind == "number":
            self.advance()
            text = token.text
            return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
        if token.kind == "string":
            self.advance()
            return _ESCAPE.sub(r"\1", token.text[1:-1])
        if token.kind == "name" and token.text.lower() in ("true", "false"):
            self.advance()
            return token.text.lower() == "true"
        self.fail("a number, a quoted string, true or false")

    # order_by := field [asc|desc] ("," field [asc|desc])*
    def order_by(self) -> list[tuple[Field, bool]]:
        terms = []
        while True:
            field = self.field(ORDER_ATTRIBUTES)
            direction = self.keyword("asc", "desc")
            terms.append((field, direction == "desc"))
            if self.current.kind != "comma":
                break
            self.advance()
        self.expect_end("',', asc, desc or the end of order_by")
        return terms


def _check_types(field: Field, op: str, value, token: Token) -> None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if field.kind == "metrics" and not is_number:
        raise QuerySyntaxError("A metric compares with numbers", token.offset)
    if field.kind in ("tags", "attribute") and not isinstance(value, str):
        label = field.name.capitalize() if field.kind == "attribute" else "A tag"
        raise QuerySyntaxError(f"{label} compares with quoted strings", token.offset)
    if field.kind == "attribute" and field.name == "status" and value not in STATUSES:
        raise QuerySyntaxError("Status is one of " + ", ".join(STATUSES), token.offset)
    if isinstance(value, bool) and op not in ("=", "!="):
        raise QuerySyntaxError("true and false compare only with = or !=", token.offset)


def parse_filter(text: str) -> Node | None:
    """The tree of `text`, or None for an empty filter; QuerySyntaxError otherwise."""
    if not text.strip():
        return None
    parser = _Parser(text)
    node = parser.or_expr()
    parser.expect_end("'and', 'or' or the end of the filter")
    return node


def parse_order_by(text: str) -> list[tuple[Field, bool]]:
    """(field, descending) terms, or an empty list for an empty text."""
    if not text.strip():
        return []
    return _Parser(text).order_by()
