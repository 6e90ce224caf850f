"""Ownership-matrix cases for the team routes. Teams, their members and invitations are
reached through membership only ("private": anyone outside the team gets 404); sharing
routes act on a shareable object, so team members reach them as their share allows."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset


def _team(user):
    from apps.teams.services import team_create

    team = team_create(user=user, name="owner-private-team")
    return {"team_id": team.pk}, "owner-private-team"


def _member(user):
    kwargs, marker = _team(user)
    return kwargs | {"user_id": user.pk}, marker


def _invitation(user):
    from apps.teams.services import invitation_create

    kwargs, _ = _team(user)
    invitation = invitation_create(user=user, team_id=kwargs["team_id"], email="owner-invitee@example.com",
                                   role="member", site_url="http://testserver")
    return {"invitation_id": invitation.pk}, "owner-invitee@example.com"


def _dataset(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    return {"kind": "dataset", "object_id": dataset.pk}, "owner-private-dataset"


def _shared_dataset(user):
    from apps.teams.services import share_set, team_create

    kwargs, marker = _dataset(user)
    team = team_create(user=user, name="owner-sharing-team")
    share_set(user=user, team_id=team.pk, level="read", **kwargs)
    return kwargs | {"team_id": team.pk}, marker


OWNED_ROUTES = {
    "api-v1:teams": Case(setup=_team, reach="private"),
    "api-v1:team-detail": Case(setup=_team, reach="private",
                               methods={"get": None, "patch": {"name": "stolen"}, "delete": None}),
    "api-v1:team-transfer": Case(setup=_team, reach="private", methods={"post": {"user_id": 1}}),
    "api-v1:team-leave": Case(setup=_team, reach="private", methods={"post": None}),
    "api-v1:team-member": Case(setup=_member, reach="private",
                               methods={"patch": {"role": "viewer"}, "delete": None}),
    "api-v1:team-invitations": Case(setup=_team, reach="private", methods={
        "get": None, "post": {"email": "intruder@example.com", "role": "member"}}),
    "api-v1:invitation-detail": Case(setup=_invitation, reach="private", methods={"delete": None}),
    "api-v1:audit-events": Case(setup=_team, reach="private"),
    "api-v1:sharing": Case(setup=_dataset),
    "api-v1:sharing-shares": Case(setup=_dataset, methods={"post": {"team_id": 1, "level": "read"}},
                                  actions={"post": "share"}),
    "api-v1:sharing-share-detail": Case(setup=_shared_dataset, methods={"delete": None},
                                        actions={"delete": "share"}),
    "api-v1:sharing-move": Case(setup=_dataset, methods={"post": {"team_id": None}}, actions={"post": "share"}),
}

PUBLIC_ROUTES = {
    "api-v1:invitation-preview": "named by the secret token mailed to one address, never by an id",
    "api-v1:invitation-accept": "named by the secret token mailed to one address; accepting checks that "
                                "the caller verified that address",
}
