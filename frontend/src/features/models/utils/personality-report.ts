/**
 * How a personality evaluation reads on the Models page: its conditions by name, and the
 * free-JSON pieces the server stores (a stage move's gate record, an export's personality row)
 * read into typed shapes, null wherever a number is missing (lib/format.ts shows those as "–").
 */

export const CONDITION_LABELS: Record<string, string> = {
  none: 'No personality',
  system_prompt: 'System prompt',
  steering: 'Steering',
  lora: 'Persona LoRA',
};

/** The order the report's conditions read in: the baseline first, then each method. */
const CONDITION_ORDER = ['none', 'system_prompt', 'steering', 'lora'];

export function conditionLabel(name: string): string {
  return CONDITION_LABELS[name] ?? name;
}

export function orderedConditions(names: readonly string[]): string[] {
  const rank = (name: string) => {
    const index = CONDITION_ORDER.indexOf(name);
    return index === -1 ? CONDITION_ORDER.length : index;
  };
  return [...names].sort((a, b) => rank(a) - rank(b));
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** What the stage history keeps for a move to production under a personality gate. */
export interface GateRecord {
  passed: boolean;
  overridden: boolean;
  reasons: string[];
  alignment: number | null;
  minAlignment: number | null;
  productionAlignment: number | null;
  alignmentDrop: number | null;
  maxDrift: number | null;
  evaluation: number | null;
}

/** The gate record of a stage move; null when the move was not gated (the server sends {}). */
export function readGate(value: unknown): GateRecord | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const gate = value as Record<string, unknown>;
  if (typeof gate.passed !== 'boolean') return null;
  return {
    passed: gate.passed,
    overridden: gate.overridden === true,
    reasons: Array.isArray(gate.reasons)
      ? gate.reasons.filter((item): item is string => typeof item === 'string')
      : [],
    alignment: num(gate.alignment),
    minAlignment: num(gate.min_alignment),
    productionAlignment: num(gate.production_alignment),
    alignmentDrop: num(gate.alignment_drop),
    maxDrift: num(gate.max_alignment_drift),
    evaluation: num(gate.evaluation),
  };
}

/** An export's personality row: the quantized file's alignment and VADER against F32's. */
export interface ExportPersonalityRow {
  personality: string;
  probes: number | null;
  error: string | null;
  alignment: number | null;
  alignmentDelta: number | null;
  vader: number | null;
  vaderDelta: number | null;
}

function measured(value: unknown, name: string): number | null {
  if (typeof value !== 'object' || value === null) return null;
  return num((value as Record<string, unknown>)[name]);
}

export function readExportPersonality(report: unknown): ExportPersonalityRow | null {
  if (typeof report !== 'object' || report === null) return null;
  const row = (report as Record<string, unknown>).personality;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return null;
  const item = row as Record<string, unknown>;
  return {
    personality: typeof item.personality === 'string' ? item.personality : 'its personality',
    probes: num(item.probes),
    error: typeof item.error === 'string' ? item.error : null,
    alignment: measured(item.quantized, 'alignment'),
    alignmentDelta: num(item.alignment_delta),
    vader: measured(item.quantized, 'vader_compound'),
    vaderDelta: num(item.vader_delta),
  };
}
