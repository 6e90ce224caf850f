/**
 * `POST /api/v1/personalities/{id}/score/`: every metric and the alignment of each text with
 * the personality, and the profile (mean and spread) over them all. Texts over the server's
 * cap are cut, which `notices` says.
 */
import { useMutation } from '@tanstack/react-query';

import { api, type ApiRequestBody, type ApiResponse } from '../../../lib/api-client';

export type ScoreInput = ApiRequestBody<'/api/v1/personalities/{personality_id}/score/', 'post'>;
type RawScore = ApiResponse<'/api/v1/personalities/{personality_id}/score/', 'post', 200>;

/** ml's PersonalityProfile; the schema types it as free JSON. */
export interface MetricProfile {
  n_texts: number;
  mean: Record<string, number>;
  std: Record<string, number>;
  warnings: string[];
}

export type PersonalityScore = Omit<RawScore, 'profile'> & { profile: MetricProfile };
export type TextScore = PersonalityScore['texts'][number];

export function scorePersonality({
  personalityId,
  ...input
}: ScoreInput & { personalityId: number }): Promise<PersonalityScore> {
  return api.post<PersonalityScore>(`/api/v1/personalities/${personalityId}/score/`, input);
}

export function useScorePersonality() {
  return useMutation({ mutationFn: scorePersonality });
}
