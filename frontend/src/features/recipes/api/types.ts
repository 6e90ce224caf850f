/**
 * The shapes of the recipe API's answers, read off the OpenAPI schema where it types them and
 * written out here where it holds free JSON (a run's progress and report, a preview's records).
 */
import type { StepPayload } from '../utils/steps';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RecipeVersionSummary {
  id: number;
  number: number;
  created_at: string;
}

export interface Recipe {
  id: number;
  name: string;
  description: string;
  steps: StepPayload[];
  version: number;
  versions: RecipeVersionSummary[];
  access_role?: string;
  created_at: string;
  updated_at: string;
}

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

export interface RunOutput {
  part: string;
  dataset: number;
  dataset_version: number;
  number: number;
}

export interface RecipeRun {
  id: number;
  recipe: number;
  recipe_name: string;
  recipe_version: number;
  inputs: number[];
  output_name: string;
  outputs: RunOutput[];
  status: RunStatus;
  progress: RunProgress | null;
  report: RunReport | null;
  error: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface StepPreview {
  index: number;
  type: string;
  records_in: number;
  records_out: number;
  records: Record<string, unknown>[];
}
