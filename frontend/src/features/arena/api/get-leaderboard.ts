/**
 * `GET /api/v1/arena/leaderboard/`: your model versions rated from your arena votes
 * (Bradley-Terry on the Elo scale, with a 95% interval), best first.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

export type LeaderboardRow = ApiResponse<'/api/v1/arena/leaderboard/', 'get', 200>[number];

export const leaderboardQueryKey = ['arena', 'leaderboard'] as const;

export function getLeaderboard(signal?: AbortSignal): Promise<LeaderboardRow[]> {
  return api.get<LeaderboardRow[]>('/api/v1/arena/leaderboard/', { signal });
}

export function useLeaderboard() {
  return useQuery({
    queryKey: leaderboardQueryKey,
    queryFn: ({ signal }) => getLeaderboard(signal),
  });
}
