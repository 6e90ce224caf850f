"""Access-matrix cases for the team routes. Teams, their members and invitations are
reached through membership only ("private": anyone outside the team gets 404); sharing
routes act on a shareable object, so team members reach them as their share allows."""

from apps.core.ownership import Case
from apps.datasets.models import Dataset


def _helper(user, role: str, team_id: int):
    """Another person in the owner's team, so the owner's change leaves the team an owner."""
    from apps.accounts.models import User
    from apps.teams.models import Membership

    helper = User.objects.create_user(email=f"helper-{role}-{user.pk}-{team_id}@example.com")
    Membership.objects.create(team_id=team_id, user=helper, role=role)
    return helper


def _team(user):
    from apps.teams.services import team_create

    team = team_create(user=user, name="owner-private-team")
    return {"team_id": team.pk}, "owner-private-team"


def _team_with_two_owners(user):
    kwargs, marker = _team(user)
    _helper(user, "owner", kwargs["team_id"])
    return kwargs, marker


def _team_with_member(user):
    kwargs, marker = _team(user)
    _helper(user, "member", kwargs["team_id"])
    return kwargs, marker


def _member(user):
    kwargs, marker = _team(user)
    return kwargs | {"user_id": _helper(user, "member", kwargs["team_id"]).pk}, marker


def _transfer_body(kwargs):
    from apps.teams.models import Membership

    return {"user_id": Membership.objects.filter(team_id=kwargs["team_id"], role="member").get().user_id}


def _invitation(user):
    from apps.teams.services import invitation_create

    kwargs, _ = _team(user)
    invitation = invitation_create(user=user, team_id=kwargs["team_id"], email="owner-invitee@example.com",
                                   role="member", site_url="http://testserver")
    return {"invitation_id": invitation.pk}, "owner-invitee@example.com"


def _dataset(user):
    dataset = Dataset.objects.create(owner=user, name="owner-private-dataset")
    return {"kind": "dataset", "object_id": dataset.pk}, "owner-private-dataset"


def _team_dataset(user):
    """A dataset of the owner's, moved into their team."""
    from apps.teams.services import team_create

    kwargs, marker = _dataset(user)
    team = team_create(user=user, name="owner-dataset-team")
    Dataset.objects.filter(pk=kwargs["object_id"]).update(team=team)
    return kwargs, marker


def _others_dataset_in_owners_teams(user):
    """A dataset someone else moved into the owner's team, and a second team of the owner's
    to share it with. A share needs a team the caller is in, which the matrix's team
    audiences are not (apps/teams/tests/test_sharing_api.py tries them); here they cannot
    read it, so they get 404."""
    from apps.teams.services import team_create

    team = team_create(user=user, name="owner-dataset-team")
    creator = _helper(user, "member", team.pk)
    dataset = Dataset.objects.create(owner=creator, name="owner-team-dataset", team=team)
    team_create(user=user, name=f"share-target-{dataset.pk}")
    return {"kind": "dataset", "object_id": dataset.pk}, "owner-team-dataset"


def _share_body(kwargs):
    from apps.teams.models import Team

    return {"team_id": Team.objects.get(name=f"share-target-{kwargs['object_id']}").pk, "level": "read"}


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
    "api-v1:team-transfer": Case(setup=_team_with_member, reach="private",
                                 methods={"post": _transfer_body}),
    "api-v1:team-leave": Case(setup=_team_with_two_owners, reach="private", methods={"post": None}),
    "api-v1:team-member": Case(setup=_member, reach="private",
                               methods={"patch": {"role": "viewer"}, "delete": None}),
    "api-v1:team-invitations": Case(setup=_team, reach="private", methods={
        "get": None, "post": {"email": "intruder@example.com", "role": "member"}}),
    "api-v1:invitation-detail": Case(setup=_invitation, reach="private", methods={"delete": None}),
    "api-v1:audit-events": Case(setup=_team, reach="private"),
    "api-v1:sharing": Case(setup=_dataset),
    "api-v1:sharing-shares": Case(setup=_others_dataset_in_owners_teams, methods={"post": _share_body},
                                  actions={"post": "share"}),
    "api-v1:sharing-share-detail": Case(setup=_shared_dataset, methods={"delete": None},
                                        actions={"delete": "share"}),
    "api-v1:sharing-move": Case(setup=_team_dataset, methods={"post": {"team_id": None}}, actions={"post": "share"}),
}

PUBLIC_ROUTES = {
    "api-v1:invitation-preview": "named by the secret token mailed to one address, never by an id",
    "api-v1:invitation-accept": "named by the secret token mailed to one address; accepting checks that "
                                "the caller verified that address",
}
