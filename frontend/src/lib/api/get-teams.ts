/**
 * `GET /api/v1/teams/`: the teams the user belongs to, with their role in each. Read by the
 * Teams page and by every dialog that offers "share with a team".
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../api-client';

export type TeamPage = ApiResponse<'/api/v1/teams/', 'get', 200>;
export type Team = TeamPage['results'][number];
export type TeamRole = Team['role'];

export const teamsQueryKey = ['teams'] as const;
// A person belongs to a handful of teams; one page holds them all.
const ALL = 500;

export function teamsQueryOptions() {
  return queryOptions({
    queryKey: [...teamsQueryKey, 'list'],
    queryFn: ({ signal }) =>
      api.get<TeamPage>('/api/v1/teams/', { query: { page_size: ALL }, signal }),
  });
}

export function useTeams() {
  return useQuery(teamsQueryOptions());
}

const ROLE_ORDER: readonly TeamRole[] = ['viewer', 'member', 'admin', 'owner'];

/** Whether `role` may do what `minimum` may (roles are ordered viewer < member < admin < owner). */
export function roleAtLeast(role: TeamRole, minimum: TeamRole): boolean {
  return ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(minimum);
}
