"""Teams API routes under /api/v1/: teams, members, invitations, sharing and the audit log."""

from django.urls import path

from . import apis

urlpatterns = [
    path("teams/", apis.TeamListCreateApi.as_view(), name="teams"),
    path("teams/<int:team_id>/", apis.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<int:team_id>/transfer/", apis.TeamTransferApi.as_view(), name="team-transfer"),
    path("teams/<int:team_id>/leave/", apis.TeamLeaveApi.as_view(), name="team-leave"),
    path("teams/<int:team_id>/members/<int:user_id>/", apis.TeamMemberApi.as_view(), name="team-member"),
    path("teams/<int:team_id>/invitations/", apis.TeamInvitationListCreateApi.as_view(), name="team-invitations"),
    path("invitations/<int:invitation_id>/", apis.InvitationRevokeApi.as_view(), name="invitation-detail"),
    path("invitations/preview/", apis.InvitationPreviewApi.as_view(), name="invitation-preview"),
    path("invitations/accept/", apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
    path("sharing/<str:kind>/<int:object_id>/", apis.SharingApi.as_view(), name="sharing"),
    path("sharing/<str:kind>/<int:object_id>/shares/", apis.SharingSharesApi.as_view(), name="sharing-shares"),
    path("sharing/<str:kind>/<int:object_id>/shares/<int:team_id>/", apis.SharingShareDetailApi.as_view(),
         name="sharing-share-detail"),
    path("sharing/<str:kind>/<int:object_id>/move/", apis.SharingMoveApi.as_view(), name="sharing-move"),
    path("audit/", apis.AuditEventListApi.as_view(), name="audit-events"),
]
