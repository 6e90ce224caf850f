"""Arena API routes under /api/v1/."""

from django.urls import path

from .apis import (
    BattleDetailApi,
    BattleListCreateApi,
    BattleVoteApi,
    LeaderboardApi,
    VotesExportApi,
)

urlpatterns = [
    path("arena/battles/", BattleListCreateApi.as_view(), name="arena-battles"),
    path("arena/battles/<int:battle_id>/", BattleDetailApi.as_view(), name="arena-battle-detail"),
    path("arena/battles/<int:battle_id>/vote/", BattleVoteApi.as_view(), name="arena-battle-vote"),
    path("arena/leaderboard/", LeaderboardApi.as_view(), name="arena-leaderboard"),
    path("arena/export/", VotesExportApi.as_view(), name="arena-votes-export"),
]
