"""Access-matrix cases for the account routes (apps/core/ownership.py): API tokens are
never shared."""

from apps.core.ownership import Case


def _token(user):
    from apps.accounts.services import api_token_create

    created = api_token_create(user=user, name="owner-secret-token-name")
    return {"token_id": created.token.pk}, "owner-secret-token-name"


OWNED_ROUTES = {
    "api-v1:tokens": Case(setup=_token, reach="private"),
    "api-v1:token-detail": Case(setup=_token, methods={"delete": None}, reach="private"),
}

PUBLIC_ROUTES = {
    "api-v1:me": "describes the requesting user only",
    "api-v1:schema": "the API description, the same for everyone",
    "api-v1:docs": "the API documentation page, the same for everyone",
}
