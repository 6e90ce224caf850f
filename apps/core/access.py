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

from enum import StrEnum
from typing import TypeVar

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat
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
    "personalities.Personality": "",
    "personalities.PersonalityVersion": "personality",
    "chat.Conversation": "",
    "chat.Message": "conversation",
}
# Roots that can only ever be shared to read (a conversation is its owner's to continue).
READ_ONLY_ROOTS = frozenset({"chat.Conversation"})
# Roots whose rows with no owner are built-ins every user may read.
PUBLIC_WHEN_OWNERLESS = frozenset({"personalities.Personality"})


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def root_model(model: type[models.Model]) -> type[models.Model] | None:
    """The shareable root `model` is reached through, or None for a private-only model."""
    path = ROOTS.get(_label(model))
    if path is None:
        return None
    for part in filter(None, path.split("__")):
        model = model._meta.get_field(part).related_model
    return model


def _prefix(model: type[models.Model]) -> str:
    path = ROOTS[_label(model)]
    return f"{path}__" if path else ""


def _roles_for(action: Action) -> list[str]:
    return [role for role, allowed in ROLE_ACTIONS.items() if action in allowed]


def _levels_for(action: Action, root_label: str) -> list[str]:
    if root_label in READ_ONLY_ROOTS:
        return [ShareLevel.READ, ShareLevel.WRITE] if action is Action.READ else []
    return [level for level, allowed in LEVEL_ACTIONS.items() if action in allowed]


def _has_team(root: type[models.Model]) -> bool:
    return any(field.name == "team" for field in root._meta.get_fields())


def _mine(model: type[models.Model], root: type[models.Model], user) -> Q:
    """The user's own private objects: theirs, and not moved into a team."""
    prefix = _prefix(model)
    mine = Q(**{f"{prefix}owner": user})
    return mine & Q(**{f"{prefix}team__isnull": True}) if _has_team(root) else mine


def access_filter(model: type[models.Model], *, user, action: Action = Action.READ) -> Q:
    """A Q over `model` that keeps the rows `user` may do `action` to."""
    root = root_model(model)
    if root is None:
        return Q(owner=user)
    prefix, root_label = _prefix(model), _label(root)
    team_owned = _has_team(root)
    allowed = _mine(model, root, user)
    roles = _roles_for(action)
    if team_owned:
        teams = Membership.objects.filter(user=user, role__in=roles).values("team_id")
        allowed |= Q(**{f"{prefix}team__in": teams})
    levels = _levels_for(action, root_label)
    if levels:
        shares = Share.objects.filter(
            content_type=ContentType.objects.get_for_model(root), level__in=levels,
            team__memberships__user=user, team__memberships__role__in=roles,
        ).values("object_id")
        allowed |= Q(**{f"{prefix}pk__in": shares})
    if root_label in PUBLIC_WHEN_OWNERLESS and action is Action.READ:
        allowed |= Q(**{f"{prefix}owner__isnull": True})
    return allowed


def access_queryset(model: type[M] | QuerySet[M], *, user, action: Action = Action.READ) -> QuerySet[M]:
    """The rows of `model` (or of a queryset of it) that `user` may do `action` to."""
    queryset = model if isinstance(model, QuerySet) else model.objects.all()
    if user is None or not user.is_authenticated:
        return queryset.none()
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
    reads as "read"); "public" for built-ins. One query, whatever the list's length."""
    model = queryset.model
    root = root_model(model)
    if root is None or user is None or not user.is_authenticated:
        return queryset.annotate(access_role=Value("owner"))
    prefix, root_label = _prefix(model), _label(root)
    root_pk = OuterRef(f"{prefix}pk") if prefix else OuterRef("pk")
    text = models.CharField()
    # Two subqueries, not one EXISTS per role and level: building and compiling each costs
    # Python time on every request (benchmarks/access_overhead.py).
    candidates = [models.Case(models.When(_mine(model, root, user), then=Value("owner")), output_field=text)]
    if _has_team(root):
        # A user has at most one membership per team.
        candidates.append(Subquery(Membership.objects.filter(user=user, team=OuterRef(f"{prefix}team"))
                                   .values_list(Concat(Value("team_"), "role", output_field=text))[:1]))
    if root_label in READ_ONLY_ROOTS:
        level = Value("read")
    else:
        # The member and their role are the membership row the share's filter joined.
        level = models.Case(models.When(level=ShareLevel.WRITE, team__memberships__role__in=_roles_for(Action.EDIT),
                                        then=Value("write")), default=Value("read"), output_field=text)
    shares = (Share.objects.filter(content_type=ContentType.objects.get_for_model(root), object_id=root_pk,
                                   team__memberships__user=user)
              .annotate(access=level).order_by("-access").values("access")[:1])  # "write" before "read"
    candidates += [Subquery(shares, output_field=text), Value("public")]
    return queryset.annotate(access_role=Coalesce(*candidates, output_field=text))


SCOPES = ("mine", "shared")


def access_scope(queryset: QuerySet[M], *, user, scope: str | None) -> QuerySet[M]:
    """A list narrowed to one side of "yours / shared with you": `mine` keeps the user's own
    private objects, `shared` everything else they can see (team-owned, shared, built-in);
    None keeps both. An unknown scope is a 400 naming the field."""
    if scope is None or scope == "":
        return queryset
    if scope not in SCOPES:
        raise ValidationError({"scope": [f"one of {', '.join(SCOPES)}"]})
    root = root_model(queryset.model)
    if root is None:
        return queryset if scope == "mine" else queryset.none()
    mine = _mine(queryset.model, root, user)
    return queryset.filter(mine) if scope == "mine" else queryset.exclude(mine)


def shareable_root(label: str) -> type[models.Model]:
    """The root model for a kind a client names ("datasets.Dataset"), if it is one."""
    if ROOTS.get(label) != "":
        raise LookupError(label)
    return apps.get_model(label)
