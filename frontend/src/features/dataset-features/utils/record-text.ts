/** How the records browser shows a record: its text, a prompt and response, or its messages. */

/** A browsed record as the API sends it: the parsed record and where it is in the upload. */
export interface BrowsedRecord {
  data: Record<string, unknown>;
  /** "file:line" in the user's upload, or null where the server did not say. */
  where: string | null;
}

export function browsedRecord(record: Record<string, unknown>): BrowsedRecord {
  const { data, file, line } = record;
  if (typeof data !== 'object' || data === null) return { data: record, where: null };
  const where = typeof file === 'string' && typeof line === 'number' ? `${file}:${line}` : null;
  return { data: data as Record<string, unknown>, where };
}

export function recordText(record: Record<string, unknown>): string {
  if (typeof record.text === 'string') return record.text;
  if (typeof record.prompt === 'string') {
    const response = typeof record.response === 'string' ? record.response : '';
    return `${record.prompt}\n→ ${response}`;
  }
  if (Array.isArray(record.messages)) {
    return record.messages
      .map((message: unknown) => {
        const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
        return `${typeof role === 'string' ? role : '?'}: ${typeof content === 'string' ? content : ''}`;
      })
      .join('\n');
  }
  return JSON.stringify(record);
}

/** A feature value in a table cell: numbers shortened, the rest as text. */
export function featureValue(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'number') {
    return Number.isInteger(value) ? value.toLocaleString() : value.toPrecision(3);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
