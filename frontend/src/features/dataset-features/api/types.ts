/**
 * The feature store's answers: generated types, with the statistics a materialization stores
 * (free JSON in the schema) written out as `ml.data.features.materialize` computes them.
 */
import type { components } from '../../../lib/api-types';

type Schemas = components['schemas'];

export type FeatureShift = Schemas['FeatureShift'];
export type VersionRecords = Schemas['DatasetVersionRecords'];
export type VersionRecord = Schemas['DatasetVersionRecord'];

export interface FeatureStatistics {
  count: number;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  quantiles: Record<'p5' | 'p25' | 'p50' | 'p75' | 'p95', number> | null;
  histogram: { edges: number[]; counts: number[] } | null;
  top: { value: string | number; count: number }[];
}

export type MaterializationStatus = Schemas['FeatureMaterializationStatusEnum'];

export type Materialization = Omit<
  Schemas['FeatureMaterialization'],
  'status' | 'statistics' | 'rows' | 'error'
> & {
  status: MaterializationStatus;
  statistics: Record<string, FeatureStatistics>;
  rows: number;
  error: string;
};
