"""Reads of remote endpoints, always the requesting user's own (another user's id is a 404),
and their models as the rest of the product names them: `remote/<endpoint>/<model>`."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from apps.core.selectors import owned_get, owned_queryset

from .models import RemoteEndpoint

PREFIX = "remote/"


@dataclass(frozen=True)
class RemoteModel:
    endpoint: RemoteEndpoint
    model: str

    @property
    def id(self) -> str:
        return remote_model_id(self.endpoint.name, self.model)


def remote_model_id(endpoint_name: str, model: str) -> str:
    """The name /v1 and the model pickers give a remote model."""
    return f"{PREFIX}{endpoint_name}/{model}"


def endpoint_list(*, user) -> QuerySet[RemoteEndpoint]:
    return owned_queryset(RemoteEndpoint, user=user)


def endpoint_get(*, user, endpoint_id) -> RemoteEndpoint:
    return owned_get(RemoteEndpoint, user=user, pk=endpoint_id)


def endpoint_for_owner(*, owner_id: int, endpoint_id: int | None) -> RemoteEndpoint:
    """The endpoint a queued generation names, read again by the worker: still there and
    still its owner's (no one else's reply spends its key); NotFound otherwise."""
    endpoint = RemoteEndpoint.objects.filter(pk=endpoint_id, owner_id=owner_id).first()
    if endpoint is None:
        raise NotFound("This remote endpoint was deleted; choose another model.")
    return endpoint


def remote_model_get(*, user, endpoint_id, model: str, field: str = "remote_model") -> RemoteModel:
    """The user's endpoint and one of the models it listed: NotFound for another user's
    endpoint or an unknown one, a ValidationError on `field` for a model it did not list."""
    endpoint = endpoint_get(user=user, endpoint_id=endpoint_id)
    if model not in endpoint.model_ids:
        raise ValidationError({field: [f"endpoint {endpoint.name} lists no model {model!r}; refresh its "
                                       "models if it is new"]})
    return RemoteModel(endpoint, model)


def remote_model_list(*, user) -> list[RemoteModel]:
    return [RemoteModel(endpoint, model) for endpoint in endpoint_list(user=user) for model in endpoint.model_ids]


def remote_model_resolve(*, user, name: str) -> RemoteModel:
    """The remote model `remote/<endpoint>/<model>` names (the model id may hold "/");
    NotFound when it names none of the user's."""
    endpoint_name, _, model = name.removeprefix(PREFIX).partition("/")
    endpoint = endpoint_list(user=user).filter(name=endpoint_name).first()
    if endpoint is None or model not in endpoint.model_ids:
        raise NotFound(f"No remote model {name!r}: GET /v1/models lists yours.")
    return RemoteModel(endpoint, model)
