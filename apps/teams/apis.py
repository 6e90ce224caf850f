"""Teams API: teams and their members, invitations, sharing objects with teams, and the audit
log. Views parse, call one service or selector, and serialize; the rules live in services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.pagination import paginate, paginated_schema

from . import services
from .models import Role
from .selectors import (
    SHAREABLE_KINDS,
    audit_event_list,
    invitation_list,
    member_list,
    team_get,
    team_list,
    visibility_get,
)

KIND_PARAMETER = OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(SHAREABLE_KINDS),
                                  description="The kind of object.")


# -- teams -------------------------------------------------------------------------------------
class TeamOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text="Your role in the team.")
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Team"


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField(source="user.email")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")

    class Meta:
        ref_name = "TeamMember"


class TeamDetailOutputSerializer(TeamOutputSerializer):
    members = MemberOutputSerializer(many=True)

    class Meta:
        ref_name = "TeamDetail"


def _team_detail(user, team_id) -> dict:
    team = team_get(user=user, team_id=team_id)
    return TeamOutputSerializer(team).data | {
        "members": MemberOutputSerializer(member_list(team=team), many=True).data}


class TeamListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "TeamCreate"

    @extend_schema(operation_id="teams_list", responses=paginated_schema(TeamOutputSerializer, "Team"))
    def get(self, request):
        return paginate(request, self, team_list(user=request.user), TeamOutputSerializer)

    @extend_schema(operation_id="teams_create", request=InputSerializer, responses={201: TeamDetailOutputSerializer})
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = services.team_create(user=request.user, **serializer.validated_data)
        return Response(_team_detail(request.user, team.pk), status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        description = serializers.CharField(max_length=2000, required=False, allow_blank=True)

        class Meta:
            ref_name = "TeamUpdate"

    @extend_schema(operation_id="teams_retrieve", responses=TeamDetailOutputSerializer)
    def get(self, request, team_id: int):
        return Response(_team_detail(request.user, team_id))

    @extend_schema(operation_id="teams_update", request=InputSerializer, responses=TeamDetailOutputSerializer)
    def patch(self, request, team_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.team_update(user=request.user, team_id=team_id, **serializer.validated_data)
        return Response(_team_detail(request.user, team_id))

    @extend_schema(operation_id="teams_delete", responses={204: None},
                   description="Owners only. Objects the team owned become the deleting owner's private "
                               "objects, counted against their storage (409 while they already have "
                               "one of the same kind and name); its shares and pending invitations are "
                               "deleted.")
    def delete(self, request, team_id: int):
        services.team_delete(user=request.user, team_id=team_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamTransferApi(APIView):
    class InputSerializer(serializers.Serializer):
        user_id = serializers.IntegerField(help_text="The member who becomes the owner.")

        class Meta:
            ref_name = "TeamTransfer"

    @extend_schema(operation_id="teams_transfer", request=InputSerializer, responses=TeamDetailOutputSerializer,
                   description="The owner hands the team to another member and stays on as an admin.")
    def post(self, request, team_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.team_transfer(user=request.user, team_id=team_id,
                               new_owner_id=serializer.validated_data["user_id"])
        return Response(_team_detail(request.user, team_id))


class TeamLeaveApi(APIView):
    @extend_schema(operation_id="teams_leave", request=None, responses={204: None},
                   description="The team's only owner cannot leave (400 on `role`).")
    def post(self, request, team_id: int):
        services.team_leave(user=request.user, team_id=team_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMemberApi(APIView):
    class InputSerializer(serializers.Serializer):
        role = serializers.CharField(max_length=16, help_text="viewer, member, admin or owner.")

        class Meta:
            ref_name = "TeamMemberUpdate"

    @extend_schema(operation_id="teams_members_update", request=InputSerializer, responses=MemberOutputSerializer)
    def patch(self, request, team_id: int, user_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_role_set(user=request.user, team_id=team_id, member_id=user_id,
                                              role=serializer.validated_data["role"])
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(operation_id="teams_members_remove", responses={204: None})
    def delete(self, request, team_id: int, user_id: int):
        services.member_remove(user=request.user, team_id=team_id, member_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- invitations -------------------------------------------------------------------------------
class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    invited_by = serializers.EmailField(source="invited_by.email", allow_null=True, default=None)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Invitation"


class TeamInvitationListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        # Checked by the service, which names the field in its error.
        email = serializers.CharField(max_length=254)
        role = serializers.CharField(max_length=16, default=Role.MEMBER)

        class Meta:
            ref_name = "InvitationCreate"

    @extend_schema(operation_id="teams_invitations_list",
                   responses=paginated_schema(InvitationOutputSerializer, "Invitation"))
    def get(self, request, team_id: int):
        return paginate(request, self, invitation_list(user=request.user, team_id=team_id),
                        InvitationOutputSerializer)

    @extend_schema(operation_id="teams_invitations_create", request=InputSerializer,
                   responses={201: InvitationOutputSerializer},
                   description="Mails the address a link to join; it works once and expires after "
                               "SLOUGHGPT_INVITATION_TTL_DAYS days.")
    def post(self, request, team_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(user=request.user, team_id=team_id,
                                                site_url=request.build_absolute_uri("/"),
                                                **serializer.validated_data)
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeApi(APIView):
    @extend_schema(operation_id="invitations_revoke", responses={204: None})
    def delete(self, request, invitation_id: int):
        services.invitation_revoke(user=request.user, invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationTokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, help_text="The token from the invitation link.")

    class Meta:
        ref_name = "InvitationToken"


class InvitationPreviewApi(APIView):
    answers_gone = True

    class OutputSerializer(serializers.Serializer):
        team_name = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)
        email = serializers.CharField(help_text="The invited address, masked (j***@example.com).")
        invited_by = serializers.EmailField(allow_null=True)
        expires_at = serializers.DateTimeField()

        class Meta:
            ref_name = "InvitationPreview"

    @extend_schema(operation_id="invitations_preview", request=InvitationTokenSerializer,
                   responses=OutputSerializer,
                   description="What an invitation link offers. 404 for a link that names none, 410 for a used, "
                               "revoked or expired one.")
    def post(self, request):
        serializer = InvitationTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_by_token(token=serializer.validated_data["token"])
        return Response(self.OutputSerializer({
            "team_name": invitation.team.name, "role": invitation.role,
            "email": services.mask_email(invitation.email),
            "invited_by": invitation.invited_by.email if invitation.invited_by else None,
            "expires_at": invitation.expires_at,
        }).data)


class InvitationAcceptApi(APIView):
    answers_gone = True

    @extend_schema(operation_id="invitations_accept", request=InvitationTokenSerializer,
                   responses=TeamDetailOutputSerializer,
                   description="Joins the team; needs a verified address equal to the invited one (403 "
                               "otherwise). 410 for a used, revoked or expired link.")
    def post(self, request):
        serializer = InvitationTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.invitation_accept(user=request.user, token=serializer.validated_data["token"])
        return Response(_team_detail(request.user, membership.team_id))


# -- sharing -----------------------------------------------------------------------------------
class ShareOutputSerializer(serializers.Serializer):
    team_id = serializers.IntegerField()
    team_name = serializers.CharField()
    level = serializers.CharField(help_text="read or write.")
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Share"


class VisibilityOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(SHAREABLE_KINDS))
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner_email = serializers.EmailField(allow_null=True, help_text="Its owner while it is private.")
    team_id = serializers.IntegerField(allow_null=True, help_text="The team that owns it.")
    team_name = serializers.CharField(allow_null=True)
    shares = ShareOutputSerializer(many=True)
    access_role = serializers.CharField(help_text="Your access to it.")

    class Meta:
        ref_name = "Visibility"


def _visibility(request, kind, object_id) -> Response:
    return Response(VisibilityOutputSerializer(visibility_get(user=request.user, kind=kind,
                                                              object_id=object_id)).data)


class SharingApi(APIView):
    @extend_schema(operation_id="sharing_retrieve", parameters=[KIND_PARAMETER], responses=VisibilityOutputSerializer,
                   description="Who can see the object: its owner or owning team and the teams it is shared with.")
    def get(self, request, kind: str, object_id: int):
        return _visibility(request, kind, object_id)


class SharingSharesApi(APIView):
    class InputSerializer(serializers.Serializer):
        team_id = serializers.IntegerField()
        # Checked by the service, which names the field in its error.
        level = serializers.CharField(max_length=16, help_text="read or write (conversations: read).")

        class Meta:
            ref_name = "ShareCreate"

    @extend_schema(operation_id="sharing_share", parameters=[KIND_PARAMETER], request=InputSerializer,
                   responses={201: VisibilityOutputSerializer},
                   description="Shares the object with a team you belong to, or changes the share's level.")
    def post(self, request, kind: str, object_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.share_set(user=request.user, kind=kind, object_id=object_id, **serializer.validated_data)
        response = _visibility(request, kind, object_id)
        response.status_code = status.HTTP_201_CREATED
        return response


class SharingShareDetailApi(APIView):
    @extend_schema(operation_id="sharing_unshare", parameters=[KIND_PARAMETER], responses={204: None})
    def delete(self, request, kind: str, object_id: int, team_id: int):
        services.share_remove(user=request.user, kind=kind, object_id=object_id, team_id=team_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SharingMoveApi(APIView):
    class InputSerializer(serializers.Serializer):
        team_id = serializers.IntegerField(allow_null=True,
                                           help_text="The team that will own it; null to make it yours again.")

        class Meta:
            ref_name = "ShareMove"

    @extend_schema(operation_id="sharing_move", parameters=[KIND_PARAMETER], request=InputSerializer,
                   responses=VisibilityOutputSerializer)
    def post(self, request, kind: str, object_id: int):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.object_move(user=request.user, kind=kind, object_id=object_id,
                             team_id=serializer.validated_data["team_id"])
        return _visibility(request, kind, object_id)


# -- audit log ---------------------------------------------------------------------------------
class AuditEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_email = serializers.EmailField(source="actor.email", allow_null=True, default=None)
    team_id = serializers.IntegerField(allow_null=True)
    team_name = serializers.CharField(source="team.name", allow_null=True, default=None)
    target_type = serializers.CharField()
    target_id = serializers.IntegerField(allow_null=True)
    target_name = serializers.CharField()
    details = serializers.JSONField()
    ip = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()

    class Meta:
        ref_name = "AuditEvent"


class AuditEventListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        team = serializers.IntegerField(required=False, min_value=1)
        actor = serializers.IntegerField(required=False, min_value=1)
        action = serializers.CharField(required=False, max_length=50)

        class Meta:
            ref_name = "AuditEventFilter"

    @extend_schema(operation_id="audit_list", parameters=[FilterSerializer],
                   responses=paginated_schema(AuditEventOutputSerializer, "AuditEvent"),
                   description="Staff see every event; others the events of teams they administer and their own.")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        events = audit_event_list(user=request.user, team_id=filters.validated_data.get("team"),
                                  actor_id=filters.validated_data.get("actor"),
                                  action=filters.validated_data.get("action"))
        return paginate(request, self, events, AuditEventOutputSerializer)
