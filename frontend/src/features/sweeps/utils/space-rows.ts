/**
 * The search-space editor's rows and the JSON the API takes: a row per parameter with its
 * type, range (low, high, log) or choices (comma-separated; numbers stay numbers).
 */
export interface SpaceRow {
  name: string;
  type: 'float' | 'int' | 'categorical';
  low: string;
  high: string;
  log: boolean;
  choices: string;
}

export const DEFAULT_ROWS: SpaceRow[] = [
  { name: 'optim.lr', type: 'float', low: '0.0001', high: '0.01', log: true, choices: '' },
  { name: 'model.dropout', type: 'float', low: '0', high: '0.3', log: false, choices: '' },
];

function parseChoice(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  const number = Number(trimmed);
  return trimmed !== '' && Number.isFinite(number) ? number : trimmed;
}

/** The API's search space. Values are sent as typed; the server names any it refuses. */
export function rowsToSpace(rows: readonly SpaceRow[]): Record<string, unknown>[] {
  return rows
    .filter((row) => row.name.trim() !== '')
    .map((row) =>
      row.type === 'categorical'
        ? {
            name: row.name.trim(),
            type: row.type,
            choices: row.choices.split(',').map(parseChoice),
          }
        : {
            name: row.name.trim(),
            type: row.type,
            low: Number(row.low),
            high: Number(row.high),
            log: row.log,
          },
    );
}
