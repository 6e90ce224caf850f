/**
 * The shapes of the recipe API's answers: read off the generated OpenAPI types, with the
 * parts the schema leaves as free JSON (a run's progress and report, its inputs) written out
 * as the worker stores them, and the fields with model defaults marked as always sent.
 */
import type { ApiResponse } from '../../../lib/api-client';
import type { components } from '../../../lib/api-types';
import type { StepPayload } from '../utils/steps';

type Schemas = components['schemas'];

export type RunStatus = Schemas['RecipeRunStatusEnum'];

export type Recipe = Omit<Schemas['Recipe'], 'steps' | 'description'> & {
  description: string;
  steps: StepPayload[];
};

export type RecipePage = Omit<ApiResponse<'/api/v1/recipes/', 'get', 200>, 'results'> & {
  results: Recipe[];
};

export interface RunProgress {
  step?: number;
  records_in?: number;
  records_out?: number;
  fraction?: number;
}

export interface StepExample {
  file: string;
  line: number;
  reason: string;
  text: string;
}

export interface StepReport {
  index: number;
  type: string;
  records_in: number;
  records_out: number;
  dropped: Record<string, number>;
  examples: StepExample[];
  stats: Record<string, unknown>;
}

export interface RunError {
  step: number | null;
  file: string;
  line: number;
  message: string;
}

export interface RunReport {
  steps: StepReport[];
  errors: RunError[];
  error_count?: number;
  outputs: Record<string, number>;
  bytes_in: number;
  seconds: number;
}

export type RunOutput = Schemas['RecipeRunOutput'];

export type RecipeRun = Omit<
  Schemas['RecipeRun'],
  'status' | 'progress' | 'report' | 'inputs' | 'steps' | 'error'
> & {
  status: RunStatus;
  progress: RunProgress | null;
  /** Empty (`{}`) until the run ends. */
  report: Partial<RunReport> | null;
  inputs: number[];
  steps: StepPayload[];
  error: string;
};

export type RecipeRunPage = Omit<ApiResponse<'/api/v1/recipe-runs/', 'get', 200>, 'results'> & {
  results: RecipeRun[];
};

export type StepPreview = Schemas['RecipeStepPreview'];
