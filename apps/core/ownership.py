"""What the two-user ownership matrix needs to know about each API route.

Every app lists its routes in `apps/<app>/tests/ownership.py`:

    OWNED_ROUTES = {"api-v1:<route name>": Case(setup=..., methods={...})}
    PUBLIC_ROUTES = {"api-v1:<route name>": "why it holds no user-owned id"}

`tests/test_access_matrix.py` fails for any /api/v1/, /api/2.0/ (namespace `mlflow:`) or
/v1/ (namespace `openai:`, called with an API token) route listed nowhere, and tries every
method of every case as the owner, team members by role and by how the objects reach them,
another user and an anonymous client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Raw:
    """A request body that is not JSON (an upload's bytes, a multipart form), with the query
    string the route reads beside it."""

    data: bytes
    content_type: str = "application/octet-stream"
    query: dict = field(default_factory=dict)


@dataclass
class Case:
    # Creates the owner's object(s); returns (URL kwargs for detail routes, a marker string
    # that must not appear in the other user's list responses).
    setup: Callable[..., tuple[dict, str]]
    # The methods each audience tries, with a body valid for the owner (so an allowed
    # request succeeds): JSON, a Raw body, or a function of setup's ids returning either.
    methods: dict[str, dict | Raw | Callable[[dict], dict | Raw] | None] = field(
        default_factory=lambda: {"get": None})
    # For routes whose ids travel in the body or query string (MLflow's API) rather than the
    # path: "detail" where they name one object (the other user gets 404), "list" for
    # searches (answered without the owner's rows). Each body is then a function of setup's
    # ids, and the URL takes none.
    ids_in_body: str | None = None
    # The access matrix (apps.core.access): which Action each method needs, where it is not
    # the default (get -> read; post, put, patch -> edit; delete -> delete), e.g.
    # {"post": "run"} for a route that starts training, {"post": "promote"}.
    actions: dict[str, str] = field(default_factory=dict)
    # "shared": setup's objects hang under a shareable root (apps.core.access.ROOTS), so
    # team members reach them as their role and the share allow. "private": the route's
    # objects are never shared (tokens, battles, sweeps); team members get 404 like anyone.
    reach: str = "shared"
    # Stands in, through pytest's monkeypatch, for a process the owner's request needs and the
    # matrix does not run (the inference worker a /v1 completion waits on).
    prepare: Callable | None = None
