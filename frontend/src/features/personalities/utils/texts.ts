/**
 * Pasted texts, one per line, and the examples part of a create or edit request built from
 * the form's values.
 */

/** One text per line; blank lines dropped, each other line kept as typed. */
export function linesOf(pasted: string): string[] {
  return pasted.split(/\r?\n/).filter((line) => line.trim() !== '');
}

export interface ExamplesRequest {
  examples?: string[];
  dataset_version_id?: number;
  background?: string[];
}

function text(values: Record<string, unknown>, key: string): string {
  const value = values[key];
  return typeof value === 'string' ? value : '';
}

/**
 * The examples (pasted lines, or a dataset version's id) and background the form holds. An
 * empty background is left out, so the server uses its neutral set (or, editing, the
 * current version's); with `keepEmpty` false an empty examples field is left out as well.
 */
export function examplesRequest(
  values: Record<string, unknown>,
  source: 'pasted' | 'dataset',
  keepEmpty = true,
): ExamplesRequest {
  const request: ExamplesRequest = {};
  if (source === 'dataset') {
    const id = Number(text(values, 'dataset_version_id'));
    if (Number.isInteger(id) && id > 0) request.dataset_version_id = id;
  } else {
    const examples = linesOf(text(values, 'examples'));
    if (examples.length > 0 || keepEmpty) request.examples = examples;
  }
  const background = linesOf(text(values, 'background'));
  if (background.length > 0) request.background = background;
  return request;
}
