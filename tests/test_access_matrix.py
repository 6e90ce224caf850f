"""Every API route and method, tried by each audience with its expected answer:

- anonymous: the API's unauthenticated answer;
- the owner: success;
- another user (no team in common): 404 for an id, lists without the owner's rows;
- team members, as viewer, member and admin, reaching the owner's shareable roots
  (apps.core.access.ROOTS) through a read share, a write share, or the team owning them:
  success where their role and the share allow the method's action (ROLE_ACTIONS,
  LEVEL_ACTIONS), 403 where they can read but not do it, 404 where they cannot read.
  A route whose objects are never shared (`Case.reach == "private"`) answers them 404.

The OpenAI-compatible /v1/ is tried the same way, with API tokens (it takes no session),
and its refusals must come in OpenAI's error shape. A route added to /api/v1/, /api/2.0/ or
/v1/ without a case in its app's `tests/ownership.py` (see apps/core/ownership.py) fails
`test_every_route_is_covered`."""

from __future__ import annotations

from functools import reduce
from importlib import import_module
from importlib.util import find_spec
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.services import api_token_create
from apps.core.access import LEVEL_ACTIONS, READ_ONLY_ROOTS, ROLE_ACTIONS, ROOTS, Action
from apps.core.ownership import Raw
from apps.teams.models import Membership, Share, Team

pytestmark = pytest.mark.django_db


def _cases() -> tuple[dict, dict]:
    owned, public = {}, {}
    for app in settings.INSTALLED_APPS:
        if app.startswith("apps.") and find_spec(f"{app}.tests.ownership") is not None:
            module = import_module(f"{app}.tests.ownership")
            owned.update(getattr(module, "OWNED_ROUTES", {}))
            public.update(getattr(module, "PUBLIC_ROUTES", {}))
    return owned, public


OWNED_ROUTES, PUBLIC_ROUTES = _cases()
# /api/v1/, the MLflow-compatible /api/2.0/ and the OpenAI-compatible /v1/.
OPENAI = "openai:"
NAMESPACES = ("api-v1:", "mlflow:", OPENAI)
# What an unauthenticated request to any of them answers (a bearer-token API: 401).
UNAUTHENTICATED = 401
DEFAULT_ACTIONS = {"get": Action.READ, "post": Action.EDIT, "put": Action.EDIT, "patch": Action.EDIT,
                   "delete": Action.DELETE}
ROLES = ("viewer", "member", "admin")
# How the owner's roots reach the member's team: shared at a level, or owned by the team.
REACHES = ("read", "write", "team")
AUDIENCES = ("anonymous", "owner", "non_member", *(f"{role}-{reach}" for role in ROLES for reach in REACHES))
SHAREABLE_ROOTS = [label for label, path in ROOTS.items() if path == ""]


def _api_route_names(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _api_route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and namespace.startswith(NAMESPACES):
            names.add(f"{namespace}{entry.name}")
    return names


def _is_detail(route: str) -> bool:
    try:
        reverse(route)
    except NoReverseMatch:
        return True
    return False


def test_every_route_is_covered():
    routes = _api_route_names(get_resolver().url_patterns)
    uncovered = routes - OWNED_ROUTES.keys() - PUBLIC_ROUTES.keys()
    assert not uncovered, f"add these routes to their app's tests/ownership.py: {sorted(uncovered)}"
    assert routes >= OWNED_ROUTES.keys(), "a case names a route that no longer exists"


def _has_team(model) -> bool:
    return any(field.name == "team" for field in model._meta.get_fields())


def _owners_roots(owner) -> list:
    """Every shareable root the owner's setup made."""
    return [root for label in SHAREABLE_ROOTS for root in apps.get_model(label).objects.filter(owner=owner)]


def _reach(user, role: str, reach: str, roots: list) -> frozenset[Action]:
    """Puts `user` in a team with `role` that reaches every root as `reach` says; returns
    the actions the tables allow them on all of them (a route may touch any)."""
    team = Team.objects.create(name=f"team of {user.email}")
    Membership.objects.create(team=team, user=user, role=role)
    if reach == "team" and roots:
        # Whoever moved their objects into a team stays in it: their queued runs keep the
        # access they are re-checked for when resumed or executed.
        Membership.objects.create(team=team, user=roots[0].owner, role="member")
    allowed = []
    for root in roots:
        label = root._meta.label
        if reach == "team":
            if _has_team(type(root)):
                type(root).objects.filter(pk=root.pk).update(team=team)
                allowed.append(ROLE_ACTIONS[role])
            else:  # a kind that is only ever shared (a conversation) stays its owner's
                allowed.append(frozenset())
            continue
        Share.objects.create(content_type=ContentType.objects.get_for_model(root), object_id=root.pk,
                             team=team, level=reach)
        level = LEVEL_ACTIONS[reach] & ({Action.READ} if label in READ_ONLY_ROOTS else set(Action))
        allowed.append(ROLE_ACTIONS[role] & level)
    return reduce(frozenset.intersection, allowed) if allowed else frozenset()


def _send(client, method: str, url: str, body):
    if isinstance(body, Raw):
        target = f"{url}?{urlencode(body.query)}" if body.query else url
        return client.generic(method.upper(), target, body.data, content_type=body.content_type)
    return getattr(client, method)(url, body, format="json")


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _expected(audience: str, action: Action, allowed: frozenset[Action]) -> int | str:
    """An exact status, or "ok" for any success."""
    if audience == "anonymous":
        return UNAUTHENTICATED
    if action in allowed:
        return "ok"
    return 403 if Action.READ in allowed else 404


def _client(api_client_for, route: str, user):
    """A session client, or for /v1 (which takes API tokens only) one sending a token."""
    if not route.startswith(OPENAI):
        return api_client_for(user)
    client = api_client_for()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='matrix').secret}")
    return client


def _openai_shaped(content: bytes) -> bool:
    import json

    error = json.loads(content).get("error")
    return isinstance(error, dict) and {"message", "type", "param", "code"} <= error.keys()


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("route", sorted(r for r in OWNED_ROUTES if not r.startswith(OPENAI)))
def test_each_audience_gets_what_its_access_allows(route, audience, make_user, api_client_for, monkeypatch):
    _try_each_method(route, audience, make_user, api_client_for, monkeypatch)


# /v1's views read the database from threads of their own as well as the request's, which see
# only committed rows.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("route", sorted(r for r in OWNED_ROUTES if r.startswith(OPENAI)))
def test_each_audience_gets_what_its_access_allows_on_v1(route, audience, make_user, api_client_for, monkeypatch):
    _try_each_method(route, audience, make_user, api_client_for, monkeypatch)


def _try_each_method(route, audience, make_user, api_client_for, monkeypatch):
    case = OWNED_ROUTES[route]
    if case.prepare is not None:
        case.prepare(monkeypatch)
    for method, body in case.methods.items():
        # given: a fresh setup per method, so a DELETE leaves the next method its objects
        owner = make_user()
        kwargs, marker = case.setup(owner)
        if case.ids_in_body:
            detail, url = case.ids_in_body == "detail", reverse(route)
        else:
            detail = _is_detail(route)
            url = reverse(route, kwargs=kwargs if detail else None)
        body = body(kwargs) if callable(body) else body
        roots = _owners_roots(owner)
        user, allowed = None, frozenset()
        if audience == "owner":
            user, allowed = owner, frozenset(Action)
        elif audience == "non_member":
            user = make_user()
        elif audience != "anonymous":
            user = make_user()
            role, reach = audience.split("-")
            allowed = _reach(user, role, reach, roots)
            if case.reach == "private":
                allowed = frozenset()
        action = Action(case.actions.get(method, DEFAULT_ACTIONS[method]))
        # when
        response = _send(_client(api_client_for, route, user), method, url, body)
        # then
        content = _content(response)
        said = f"{audience}: {method.upper()} {url} -> {response.status_code} {content[:300]!r}"
        if not detail and audience != "anonymous":
            assert 200 <= response.status_code < 300, said
            assert (marker in content.decode()) == (Action.READ in allowed), said
            continue
        expected = _expected(audience, action, allowed)
        if expected == "ok":
            assert 200 <= response.status_code < 300, said
        else:
            assert response.status_code == expected, said
            assert not route.startswith(OPENAI) or _openai_shaped(content), said
