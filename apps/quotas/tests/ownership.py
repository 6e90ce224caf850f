"""Ownership-matrix cases for the quota routes: a team's usage is its members' to read; the
staff quota API answers 404 to everyone who is not staff, whoever's account it names (its
"owner" here is a staff member naming their own account)."""

from apps.core.ownership import Case


def _team(user):
    from apps.teams.services import team_create

    team = team_create(user=user, name="owner-quota-team")
    return {"team_id": team.pk}, "owner-quota-team"


def _staff_account(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return {"kind": "user", "account_id": user.pk}, user.email


OWNED_ROUTES = {
    "api-v1:team-usage": Case(setup=_team, reach="private"),
    "api-v1:staff-quota": Case(setup=_staff_account, reach="private",
                               methods={"get": None, "put": {"storage_bytes": 10**15}}),
}

PUBLIC_ROUTES = {
    "api-v1:usage": "answers only about the caller's own account; it takes no id",
}
