"""The access policy: who may do what to which object. Every selector and service that
reads or changes a user's objects asks here; no view checks access by itself.

An object is reachable through its *root* (`ROOTS`): a dataset version through its dataset,
a training run through its experiment. A root is readable by

- its owner, while it is private (`team` is null);
- every member of the team that owns it (`team` set), as far as their `Role` allows;
- every member of a team it is shared with (`Share`), as far as both the share's level and
  the member's role allow (a viewer of a team with write access still only reads).

Sharing never grants `delete`, `share` or `promote`: those stay with the object's owners (its
user, or its team's admins and owners). Models not in `ROOTS` stay private to their owner.
Objects a user cannot read are indistinguishable from ids that do not exist (404); objects
they can read but not change answer 403 naming their access.

Built-in personalities (owner null) are readable by everyone and changeable by no one.

Every query here is one SQL statement: membership and share checks are subqueries, so a list
costs the same number of queries whatever the number of teams or shares."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q, QuerySet, Value
from django.db.models.expressions import Expression
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

from apps.teams.models import Membership, Role, Share, ShareLevel

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    READ = "read"  # see it; use it as an input (train on a dataset, chat with a model)
    EDIT = "edit"  # rename, change settings, add versions/documents/runs to it
    RUN = "run"  # start work that costs compute in it (training, evaluation, export)
    DELETE = "delete"
    SHARE = "share"  # change who can see it, move it into a team
    PROMOTE = "promote"  # move a model version to production


ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.READ}),
    Role.MEMBER: frozenset({Action.READ, Action.EDIT, Action.RUN}),
    Role.ADMIN: frozenset(Action),
    Role.OWNER: frozenset(Action),
}
LEVEL_ACTIONS: dict[str, frozenset[Action]] = {
    ShareLevel.READ: frozenset({Action.READ}),
    ShareLevel.WRITE: frozenset({Action.READ, Action.EDIT, Action.RUN}),
}

# "app_label.Model" -> the lookup from that model to its shareable root ("" for a root).
ROOTS: dict[str, str] = {
    "datasets.Dataset": "",
    "datasets.DatasetVersion": "dataset",
    "experiments.Experiment": "",
    "experiments.Run": "experiment",
    "experiments.Artifact": "run__experiment",
    "training.TrainingRun": "run__experiment",
    "registry.RegisteredModel": "",
    "registry.ModelVersion": "registered_model",
    "registry.ModelExport": "model_version__registered_model",
    "rag.Collection": "",
    "rag.Document": "collection",
    "rag.Chunk": "collection",
    "knowledge.Entity": "collection",
    "knowledge.Relation": "collection",
    "knowledge.Mention": "collection",
    "personalities.Personality": "",
    "personalities.PersonalityVersion": "personality",
    "chat.Conversation": "",
    "chat.Message": "conversation",
    "pipelines.Recipe": "",
    "pipelines.RecipeVersion": "recipe",
    "pipelines.FeatureMaterialization": "dataset_version__dataset",
}
# Roots that can only ever be shared to read (a conversation is its owner's to continue).
READ_ONLY_ROOTS = frozenset({"chat.Conversation"})
# Roots whose rows with no owner are built-ins every user may read.
PUBLIC_WHEN_OWNERLESS = frozenset({"personalities.Personality"})


def _label(model: type[models.Model]) -> str:
    return model._meta.label


@dataclass(frozen=True)
class _Shape:
    """How a model reaches its shareable root, worked out once per model."""

    root: type[models.Model]
    label: str  # the root's "app_label.Model"
    prefix: str  # the lookup from the model to its root and "__"; "" for a root
    team_owned: bool  # the root has a `team` field


@functools.cache
def _shape(model: type[models.Model]) -> _Shape | None:
    path = ROOTS.get(_label(model))
    if path is None:
        return None
    root = model
    for part in filter(None, path.split("__")):
        root = root._meta.get_field(part).related_model
    team_owned = any(field.name == "team" for field in root._meta.get_fields())
    return _Shape(root=root, label=_label(root), prefix=f"{path}__" if path else "", team_owned=team_owned)


def root_model(model: type[models.Model]) -> type[models.Model] | None:
    """The shareable root `model` is reached through, or None for a private-only model."""
    shape = _shape(model)
    return shape.root if shape else None


def _roles_for(action: Action) -> list[str]:
    return [role for role, allowed in ROLE_ACTIONS.items() if action in allowed]


def _levels_for(action: Action, root_label: str) -> list[str]:
    if root_label in READ_ONLY_ROOTS:
        return [ShareLevel.READ, ShareLevel.WRITE] if action is Action.READ else []
    return [level for level, allowed in LEVEL_ACTIONS.items() if action in allowed]


def _mine(shape: _Shape, user) -> Q:
    """The user's own private objects: theirs, and not moved into a team."""
    mine = Q(**{f"{shape.prefix}owner": user})
    return mine & Q(**{f"{shape.prefix}team__isnull": True}) if shape.team_owned else mine


class _RootSQL(Expression):
    """SQL over columns of a row's root (`names`: its owner, its team, its id), joined
    through `ROOTS` where the row is a child. The policy is written as SQL rather than as
    querysets: building and compiling its subqueries took most of a list request's time
    (benchmarks/access_overhead.py), while this costs a few string operations. The values
    (user, roles, levels, content type) are always parameters."""

    names: tuple[str, ...] = ("owner", "team", "pk")

    def __init__(self, shape: _Shape, user_pk: int, output_field: models.Field, columns=None):
        super().__init__(output_field=output_field)
        self.shape, self.user_pk = shape, user_pk
        self.columns = columns or [F(f"{shape.prefix}{name}") for name in self._names()]

    def _names(self) -> list[str]:
        return [name for name in self.names if name != "team" or self.shape.team_owned]

    @property
    def identity(self):
        return (type(self), self.shape, self.user_pk, *self._extra_identity(), *self.columns)

    def _extra_identity(self) -> tuple:
        return ()

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def _columns_sql(self, compiler) -> dict[str, str]:
        """The columns as SQL: plain columns, which carry no parameters."""
        return {name: compiler.compile(column)[0] for name, column in zip(self._names(), self.columns, strict=True)}

    def _content_type_id(self) -> int:
        return ContentType.objects.get_for_model(self.shape.root).pk


_MEMBERSHIPS = Membership._meta.db_table
_SHARES = Share._meta.db_table
# The teams where the user holds one of the roles (parameters: user id, roles).
_TEAMS_SQL = f"SELECT team_id FROM {_MEMBERSHIPS} WHERE user_id = %s AND role = ANY(%s)"


class _Allowed(_RootSQL):
    """True for the rows `user` may do `action` to: the user's own private rows, rows of a
    team where their role allows it, rows shared with such a team at a level that allows
    it, and built-ins where `action` is read. One statement, whatever the number of teams
    or shares: the root's id is looked up in the union of those sets of ids, which
    PostgreSQL joins to the rows by hash or through indexes (the owner's, the team's, the
    primary key) as their sizes suit. An OR of conditions on the row would make it read
    every row of the table, everyone's."""

    conditional = True
    names = ("pk",)

    def __init__(self, shape: _Shape, user_pk: int, action: Action, columns=None):
        super().__init__(shape, user_pk, models.BooleanField(), columns)
        self.action = action

    def _extra_identity(self) -> tuple:
        return (self.action,)

    def for_action(self, action: Action) -> _Allowed:
        """The same rows' test for another action (the columns stay resolved)."""
        return _Allowed(self.shape, self.user_pk, action, self.columns)

    def as_sql(self, compiler, connection):
        meta, quote = self.shape.root._meta, connection.ops.quote_name
        root, pk, owner = quote(meta.db_table), quote(meta.pk.column), quote(meta.get_field("owner").column)
        roles = _roles_for(self.action)
        if self.shape.team_owned:
            team = quote(meta.get_field("team").column)
            ids = [f"SELECT {pk} FROM {root} WHERE {owner} = %s AND {team} IS NULL",
                   f"SELECT {pk} FROM {root} WHERE {team} IN ({_TEAMS_SQL})"]
            params = [self.user_pk, self.user_pk, roles]
        else:
            ids, params = [f"SELECT {pk} FROM {root} WHERE {owner} = %s"], [self.user_pk]
        levels = _levels_for(self.action, self.shape.label)
        if levels:
            ids.append(f"SELECT object_id FROM {_SHARES} WHERE content_type_id = %s AND level = ANY(%s)"
                       f" AND team_id IN ({_TEAMS_SQL})")
            params += [self._content_type_id(), levels, self.user_pk, roles]
        if self.shape.label in PUBLIC_WHEN_OWNERLESS and self.action is Action.READ:
            ids.append(f"SELECT {pk} FROM {root} WHERE {owner} IS NULL")
        return f"{self._columns_sql(compiler)['pk']} IN ({' UNION ALL '.join(ids)})", params


class _AccessRole(_RootSQL):
    """The user's access to the row's root, as `access_annotate` names it. The first that
    applies wins: own private object; a role that may edit in the owning team; a write
    share through a team where the user may edit (stronger than a viewer's role in the
    owning team, and allowed by `_Allowed` alike); a viewer's role in the owning team; any
    share ("read"); else a built-in. Evaluated only for the rows a page returns."""

    def __init__(self, shape: _Shape, user_pk: int, columns=None):
        super().__init__(shape, user_pk, models.CharField(), columns)

    def as_sql(self, compiler, connection):
        col = self._columns_sql(compiler)
        editors = _roles_for(Action.EDIT)
        shared = (f"FROM {_SHARES} s JOIN {_MEMBERSHIPS} m ON m.team_id = s.team_id"
                  f" WHERE s.content_type_id = %s AND s.object_id = {col['pk']} AND m.user_id = %s")
        share_params = [self._content_type_id(), self.user_pk]
        if not self.shape.team_owned:
            candidates, params = [f"CASE WHEN {col['owner']} = %s THEN 'owner' END"], [self.user_pk]
        else:
            team_role = f"SELECT 'team_' || role FROM {_MEMBERSHIPS} WHERE team_id = {col['team']} AND user_id = %s"
            candidates = [f"CASE WHEN {col['owner']} = %s AND {col['team']} IS NULL THEN 'owner' END",
                          f"({team_role} AND role = ANY(%s))"]
            params = [self.user_pk, self.user_pk, editors]
        if self.shape.label not in READ_ONLY_ROOTS:
            candidates.append(f"(SELECT 'write' {shared} AND s.level = %s AND m.role = ANY(%s) LIMIT 1)")
            params += [*share_params, ShareLevel.WRITE, editors]
        if self.shape.team_owned:
            candidates.append(f"({team_role})")
            params.append(self.user_pk)
        candidates += [f"(SELECT 'read' {shared} LIMIT 1)", "'public'"]
        params += share_params
        return f"COALESCE({', '.join(candidates)})", params


def _policy_terms(queryset: QuerySet, user) -> list[tuple[WhereNode, int, _Allowed]]:
    """The `_Allowed` tests for `user` that every row of `queryset` already passes: those
    reached from the WHERE clause through AND alone (never under NOT or OR)."""
    query = queryset.query
    if query.combinator:
        return []
    found, nodes = [], [query.where]
    while nodes:
        node = nodes.pop()
        if node.negated or node.connector != AND:
            continue
        for index, child in enumerate(node.children):
            if isinstance(child, WhereNode):
                nodes.append(child)
            elif (isinstance(child, Exact) and child.rhs is True and isinstance(child.lhs, _Allowed)
                  and child.lhs.user_pk == user.pk):
                found.append((node, index, child.lhs))
    return found


def access_filter(model: type[models.Model], *, user, action: Action = Action.READ) -> Q:
    """A Q over `model` that keeps the rows `user` may do `action` to."""
    shape = _shape(model)
    if shape is None:
        return Q(owner=user)
    return Q(_Allowed(shape, user.pk, action))


def access_queryset(model: type[M] | QuerySet[M], *, user, action: Action = Action.READ) -> QuerySet[M]:
    """The rows of `model` (or of a queryset of it) that `user` may do `action` to. A
    queryset that already keeps only those rows (a selector's list) is returned as it is,
    so the policy is not worked out twice in one statement."""
    queryset = model if isinstance(model, QuerySet) else model.objects.all()
    if user is None or not user.is_authenticated:
        return queryset.none()
    terms = _policy_terms(queryset, user)
    if any(allowed.action is action for _, _, allowed in terms):
        return queryset
    if any(allowed.action is Action.READ for _, _, allowed in terms):
        # Every action's rows are among the readable ones, so the read test this queryset
        # carries is replaced rather than joined by a second one.
        queryset = queryset.all()
        node, index, allowed = next(term for term in _policy_terms(queryset, user)
                                    if term[2].action is Action.READ)
        node.children[index] = Exact(allowed.for_action(action), True)
        return queryset
    return queryset.filter(access_filter(queryset.model, user=user, action=action))


def access_get(model: type[M] | QuerySet[M], *, user, pk, action: Action = Action.READ) -> M:
    """The row with this id if `user` may do `action` to it. NotFound (404) if they cannot
    even read it, PermissionDenied (403) if they can read it but not do `action`."""
    queryset = model if isinstance(model, QuerySet) else model.objects.all()
    label = queryset.model._meta.verbose_name
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise NotFound(f"No {label} with id {pk}.") from None
    found = access_queryset(queryset, user=user, action=action).filter(pk=pk).first()
    if found is not None:
        return found
    if action is not Action.READ and access_queryset(queryset, user=user).filter(pk=pk).exists():
        raise PermissionDenied(f"Your access to this {label} does not allow {action.value}.")
    raise NotFound(f"No {label} with id {pk}.")


def access_check(obj: models.Model, *, user, action: Action) -> None:
    """Raises like `access_get` unless `user` may do `action` to `obj` (already loaded)."""
    access_get(type(obj)._default_manager.all(), user=user, pk=obj.pk, action=action)


def access_annotate(queryset: QuerySet[M], *, user) -> QuerySet[M]:
    """Adds `access_role` to each row, the user's effective access: "owner" for their own
    private objects; "team_owner", "team_admin", "team_member", "team_viewer" for objects
    their team owns; "write" or "read" for objects shared with them (a viewer's write share
    reads as "read"; a write share outranks a viewer's role in the owning team); "public"
    for built-ins. One query, whatever the list's length."""
    shape = _shape(queryset.model)
    if shape is None or user is None or not user.is_authenticated:
        return queryset.annotate(access_role=Value("owner"))
    return queryset.annotate(access_role=_AccessRole(shape, user.pk))


SCOPES = ("mine", "shared")


def access_scope(queryset: QuerySet[M], *, user, scope: str | None) -> QuerySet[M]:
    """A list narrowed to one side of "yours / shared with you": `mine` keeps the user's own
    private objects, `shared` everything else they can see (team-owned, shared, built-in);
    None keeps both. An unknown scope is a 400 naming the field."""
    if scope is None or scope == "":
        return queryset
    if scope not in SCOPES:
        raise ValidationError({"scope": [f"one of {', '.join(SCOPES)}"]})
    shape = _shape(queryset.model)
    if shape is None:
        return queryset if scope == "mine" else queryset.none()
    mine = _mine(shape, user)
    return queryset.filter(mine) if scope == "mine" else queryset.exclude(mine)


def shareable_root(label: str) -> type[models.Model]:
    """The root model for a kind a client names ("datasets.Dataset"), if it is one."""
    if ROOTS.get(label) != "":
        raise LookupError(label)
    return apps.get_model(label)
