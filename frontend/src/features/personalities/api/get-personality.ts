/**
 * `GET /api/v1/personalities/{id}/`: one personality (a built-in or the user's own) with its
 * current version. While that version is training the query polls, unless the caller says
 * live events already keep it fresh. Also the personality types the feature shares.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

type RawPersonality = ApiResponse<'/api/v1/personalities/{personality_id}/', 'get', 200>;
type RawVersion = NonNullable<RawPersonality['current_version']>;

export type PersonalityKind = RawPersonality['kind'];
export type VersionStatus = NonNullable<RawVersion['status']>;

/** One finished epoch of a neural personality's training. */
export interface EpochLoss {
  epoch: number;
  loss: number;
}

/**
 * The schema types a version's JSON columns as free JSON and marks defaulted fields
 * optional; the server always sends them in these shapes.
 */
export type PersonalityVersion = Omit<
  RawVersion,
  | 'traits'
  | 'target_ranges'
  | 'generation_defaults'
  | 'provenance'
  | 'artifacts'
  | 'metrics'
  | 'status'
  | 'progress'
  | 'error'
  | 'system_prompt'
> & {
  traits: Record<string, number>;
  target_ranges: Record<string, [number, number]>;
  generation_defaults: Record<string, number>;
  provenance: Record<string, unknown>;
  artifacts: string[];
  metrics: EpochLoss[];
  status: VersionStatus;
  progress: number;
  error: string;
  system_prompt: string;
};

export type Personality = Omit<RawPersonality, 'current_version' | 'description' | 'archetype'> & {
  description: string;
  archetype: string;
  current_version: PersonalityVersion | null;
};

export const personalitiesQueryKey = ['personalities'] as const;
export const POLL_WHILE_TRAINING_MS = 2_000;

export function personalityQueryKey(personalityId: number) {
  return [...personalitiesQueryKey, personalityId] as const;
}

export function isTraining(personality: Personality | undefined): boolean {
  return personality?.current_version?.status === 'training';
}

export function getPersonality(personalityId: number, signal?: AbortSignal): Promise<Personality> {
  return api.get<Personality>(`/api/v1/personalities/${personalityId}/`, { signal });
}

export function personalityQueryOptions(personalityId: number, poll = true) {
  return queryOptions({
    queryKey: personalityQueryKey(personalityId),
    queryFn: ({ signal }) => getPersonality(personalityId, signal),
    refetchInterval: (query) =>
      poll && isTraining(query.state.data) ? POLL_WHILE_TRAINING_MS : false,
  });
}

/** `poll: false` while a live socket reports the training, so the page does not ask twice. */
export function usePersonality(personalityId: number, { poll = true }: { poll?: boolean } = {}) {
  return useQuery(personalityQueryOptions(personalityId, poll));
}
