/**
 * `POST /api/v1/recipes/preview/`: the first records after each step, over the start of the
 * chosen inputs. The server reads a bounded number of records, so this answers quickly.
 */
import { useMutation } from '@tanstack/react-query';

import { api } from '../../../lib/api-client';
import type { StepPayload } from '../utils/steps';
import type { StepPreview } from './types';

export interface PreviewInput {
  steps: StepPayload[];
  inputs: number[];
  limit?: number;
}

export function usePreviewRecipe() {
  return useMutation({
    mutationFn: (input: PreviewInput) =>
      api.post<{ steps: StepPreview[] }>('/api/v1/recipes/preview/', { limit: 5, ...input }),
  });
}
