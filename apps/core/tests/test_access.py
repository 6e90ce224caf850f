"""The access policy over real rows: owners, team-owned objects by role, shares by level,
and children reached through their root."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.exceptions import NotFound, PermissionDenied

from apps.core.access import Action, access_annotate, access_get, access_queryset
from apps.datasets.models import Dataset, DatasetVersion
from apps.teams.models import Membership, Share, Team

pytestmark = pytest.mark.django_db


def _team_with(user, role):
    team = Team.objects.create(name="t")
    Membership.objects.create(team=team, user=user, role=role)
    return team


def _share(obj, team, level):
    return Share.objects.create(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
                                team=team, level=level)


def _version(dataset):
    return DatasetVersion.objects.create(owner=dataset.owner, dataset=dataset, number=1, filename="d.txt",
                                         format="txt", sha256="0" * 64, size_bytes=1)


def test_a_private_object_is_its_owners_alone(make_user):
    # given
    owner, other = make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="mine")
    # when / then
    assert access_get(Dataset, user=owner, pk=dataset.pk, action=Action.DELETE) == dataset
    with pytest.raises(NotFound):
        access_get(Dataset, user=other, pk=dataset.pk)


def test_a_share_grants_no_more_than_its_level_and_the_members_role(make_user):
    # given
    owner, viewer, member = make_user(), make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="shared")
    team = _team_with(viewer, "viewer")
    Membership.objects.create(team=team, user=member, role="member")
    _share(dataset, team, "write")
    version = _version(dataset)
    # when / then: the viewer reads (the dataset and its versions) but cannot edit
    assert access_get(DatasetVersion, user=viewer, pk=version.pk) == version
    with pytest.raises(PermissionDenied):
        access_get(Dataset, user=viewer, pk=dataset.pk, action=Action.EDIT)
    # the member edits, but a share never lets anyone delete
    assert access_get(Dataset, user=member, pk=dataset.pk, action=Action.EDIT) == dataset
    with pytest.raises(PermissionDenied):
        access_get(Dataset, user=member, pk=dataset.pk, action=Action.DELETE)
    roles = dict(access_annotate(Dataset.objects.all(), user=viewer).values_list("name", "access_role"))
    assert roles == {"shared": "read"}


def test_a_team_owned_object_follows_the_role_and_not_its_creator(make_user):
    # given: the creator moved it into a team, then left the team
    creator, admin = make_user(), make_user()
    team = _team_with(admin, "admin")
    dataset = Dataset.objects.create(owner=creator, name="team-owned", team=team)
    # when / then
    assert access_get(Dataset, user=admin, pk=dataset.pk, action=Action.DELETE) == dataset
    assert not access_queryset(Dataset, user=creator).exists()


def test_removing_the_share_hides_the_object_again(make_user):
    # given
    owner, member = make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="once-shared")
    share = _share(dataset, _team_with(member, "member"), "read")
    assert access_queryset(Dataset, user=member).count() == 1
    # when
    share.delete()
    # then
    with pytest.raises(NotFound):
        access_get(Dataset, user=member, pk=dataset.pk)


def test_a_write_share_outranks_a_viewers_role_in_the_owning_team(make_user):
    # given: the user views the team that owns the dataset, and edits through another team's write share
    owner, user = make_user(), make_user()
    owning = _team_with(owner, "owner")
    Membership.objects.create(team=owning, user=user, role="viewer")
    dataset = Dataset.objects.create(owner=owner, name="team-owned", team=owning)
    _share(dataset, _team_with(user, "member"), "write")
    # when
    roles = dict(access_annotate(Dataset.objects.all(), user=user).values_list("name", "access_role"))
    # then: the list shows the access the policy grants, which lets them edit
    assert roles == {"team-owned": "write"}
    assert access_get(Dataset, user=user, pk=dataset.pk, action=Action.EDIT) == dataset


def test_a_list_narrowed_to_one_row_asks_for_the_action_in_the_same_query(make_user, django_assert_num_queries):
    # given: a viewer and a member of a team the dataset is shared with for writing, as lists show them
    owner, viewer, member = make_user(), make_user(), make_user()
    dataset = Dataset.objects.create(owner=owner, name="shared")
    team = _team_with(viewer, "viewer")
    Membership.objects.create(team=team, user=member, role="member")
    _share(dataset, team, "write")

    def listed(user):
        return access_annotate(access_queryset(Dataset, user=user), user=user)

    # when / then: the member edits in one query, the viewer reads but may not edit, an outsider gets 404
    with django_assert_num_queries(1):
        found = access_get(listed(member), user=member, pk=dataset.pk, action=Action.EDIT)
    assert (found, found.access_role) == (dataset, "write")
    assert access_get(listed(viewer), user=viewer, pk=dataset.pk).access_role == "read"
    with pytest.raises(PermissionDenied):
        access_get(listed(viewer), user=viewer, pk=dataset.pk, action=Action.EDIT)
    with pytest.raises(NotFound):
        access_get(listed(owner), user=make_user(), pk=dataset.pk)
