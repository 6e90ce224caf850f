/**
 * Where a version came from when a recipe run made it: the recipe and its version, the run
 * (linked to its report), the part of a split it is, its inputs, and records in and out per
 * step. Uploaded versions have no lineage and show nothing.
 */
import { Link } from 'react-router';

import muted from '../../../components/muted.module.css';
import type { DatasetVersion } from '../../../lib/api/get-dataset-versions';
import styles from './datasets.module.css';

/** What the server stores for a version a run made (the schema types it as free JSON). */
interface Lineage {
  run: number;
  part: string;
  recipe: number;
  recipe_name: string;
  recipe_version: number;
  inputs: number[];
  report: { index: number; type: string; records_in: number; records_out: number }[];
}

function lineageOf(version: DatasetVersion): Lineage | null {
  const lineage = version.lineage as Partial<Lineage> | null | undefined;
  if (!lineage || typeof lineage.run !== 'number') return null;
  return {
    run: lineage.run,
    part: lineage.part ?? '',
    recipe: lineage.recipe ?? 0,
    recipe_name: lineage.recipe_name ?? '',
    recipe_version: lineage.recipe_version ?? 0,
    inputs: Array.isArray(lineage.inputs) ? lineage.inputs : [],
    report: Array.isArray(lineage.report) ? lineage.report : [],
  };
}

export function VersionLineage({ version }: { version: DatasetVersion }) {
  const lineage = lineageOf(version);
  if (lineage === null) return null;
  const inputs = lineage.inputs.length;
  return (
    <div data-testid="version-lineage">
      <h4 className={styles.subheading}>Lineage</h4>
      <p>
        Made by recipe <Link to={`/recipes/${lineage.recipe}`}>{lineage.recipe_name}</Link> version{' '}
        {lineage.recipe_version} from {inputs} input {inputs === 1 ? 'version' : 'versions'}
        {lineage.part && lineage.part !== 'data' ? ` (the ${lineage.part} part)` : ''}:{' '}
        <Link to={`/recipe-runs/${lineage.run}`}>run report</Link>
      </p>
      {lineage.report.length > 0 && (
        <p className={muted.small}>
          {lineage.report
            .map(
              (step) =>
                `${step.index + 1}. ${step.type} ${step.records_in.toLocaleString()} → ${step.records_out.toLocaleString()}`,
            )
            .join(' · ')}
        </p>
      )}
    </div>
  );
}
