/**
 * `GET /api/v1/monitoring/model-versions/{id}/drift/`: the latest drift result of each kind
 * (null for a kind never checked). Polls while a check the user started has not landed yet.
 */
import { useQuery } from '@tanstack/react-query';

import { api, type ApiResponse } from '../../../lib/api-client';

type RawDriftResult = NonNullable<
  ApiResponse<
    '/api/v1/monitoring/model-versions/{version_id}/drift/',
    'get',
    200
  >['results'][string]
>;
/** The schema marks fields with model defaults optional, but the server always sends them. */
export type DriftResult = Required<RawDriftResult>;
export type DriftKind = DriftResult['kind'];

export const DRIFT_KINDS: readonly { kind: DriftKind; label: string; test: string }[] = [
  { kind: 'prompt', label: 'Prompts', test: 'MMD² of prompt embeddings' },
  { kind: 'personality', label: 'Personality', test: 'largest KS distance of a metric' },
  { kind: 'length', label: 'Reply length', test: 'KS distance' },
  { kind: 'refusal', label: 'Refusal rate', test: 'z of the rate change' },
  { kind: 'feedback', label: 'Thumbs down', test: 'z of the rate change' },
];

export const POLL_WHILE_CHECKING_MS = 2_000;

export function driftQueryKey(versionId: number) {
  return ['monitoring', 'drift', versionId] as const;
}

export function getDriftLatest(
  versionId: number,
  signal?: AbortSignal,
): Promise<Record<string, DriftResult | null>> {
  return api
    .get<{ results: Record<string, DriftResult | null> }>(
      `/api/v1/monitoring/model-versions/${versionId}/drift/`,
      { signal },
    )
    .then((body) => body.results);
}

/** `waitingFor`: the end of a window a check was started for; polls until a result has it. */
export function useDriftLatest(versionId: number, waitingFor: string | null) {
  return useQuery({
    queryKey: [...driftQueryKey(versionId), 'latest'],
    queryFn: ({ signal }) => getDriftLatest(versionId, signal),
    refetchInterval: (query) => {
      if (waitingFor === null) return false;
      const landed = Object.values(query.state.data ?? {}).some(
        (result) => result !== null && Date.parse(result.window_end) >= Date.parse(waitingFor),
      );
      return landed ? false : POLL_WHILE_CHECKING_MS;
    },
  });
}
