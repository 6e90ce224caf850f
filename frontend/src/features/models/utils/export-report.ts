/**
 * The side-by-side quantization table: one row per export with the numbers a person compares
 * (size and its share of full precision, perplexity and how far it moved, KL divergence, top-1
 * agreement, decode speed) already formatted, and "–" wherever the report has no value yet.
 */
import type { ModelExport } from '../../../lib/api/get-model-versions';
import { formatBytes } from '../../../lib/format-bytes';

/** What the export worker stores on an export (the schema types it as free JSON). */
export interface ExportReport {
  size_bytes?: number;
  f32_size_bytes?: number;
  perplexity_reference?: number;
  perplexity?: number;
  perplexity_delta_pct?: number;
  kl_divergence?: number;
  top1_agreement?: number;
  tokens_per_s?: number;
  warnings?: string[];
}

export interface ReportRow {
  id: number;
  qtype: string;
  /** `sou`, or `gguf`: a GGUF file whose numbers were measured on the same-type `.sou`. */
  format: ModelExport['format'];
  status: ModelExport['status'];
  error: string;
  size: string;
  sizeVsF32: string;
  perplexity: string;
  deltaPct: string;
  klDivergence: string;
  top1Agreement: string;
  tokensPerS: string;
  warnings: string[];
  /** Perplexity rose by more than this many percent: worth a second look before serving it. */
  degraded: boolean;
}

export const DEGRADED_DELTA_PCT = 5;
const NONE = '–';

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function readReport(value: unknown): ExportReport {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const report = value as Record<string, unknown>;
  const warnings = Array.isArray(report.warnings)
    ? report.warnings.filter((item): item is string => typeof item === 'string')
    : [];
  return {
    size_bytes: num(report.size_bytes) ?? undefined,
    f32_size_bytes: num(report.f32_size_bytes) ?? undefined,
    perplexity_reference: num(report.perplexity_reference) ?? undefined,
    perplexity: num(report.perplexity) ?? undefined,
    perplexity_delta_pct: num(report.perplexity_delta_pct) ?? undefined,
    kl_divergence: num(report.kl_divergence) ?? undefined,
    top1_agreement: num(report.top1_agreement) ?? undefined,
    tokens_per_s: num(report.tokens_per_s) ?? undefined,
    warnings,
  };
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? NONE : value.toFixed(digits);
}

/** "+1.23%" / "−0.40%": the sign matters, since perplexity can also drop a little. */
export function formatDeltaPct(value: number | undefined): string {
  if (value === undefined) return NONE;
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  return `${sign}${Math.abs(value).toFixed(2)}%`;
}

export function formatShare(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || whole === undefined || whole <= 0) return NONE;
  return `${((part / whole) * 100).toFixed(1)}%`;
}

export function reportRow(item: ModelExport): ReportRow {
  const report = readReport(item.report);
  const size = report.size_bytes ?? item.size_bytes ?? undefined;
  return {
    id: item.id,
    qtype: item.qtype,
    format: item.format,
    status: item.status,
    error: item.error,
    size: size === undefined ? NONE : formatBytes(size),
    sizeVsF32: formatShare(size, report.f32_size_bytes),
    perplexity: fixed(report.perplexity, 3),
    deltaPct: formatDeltaPct(report.perplexity_delta_pct),
    klDivergence: fixed(report.kl_divergence, 4),
    top1Agreement:
      report.top1_agreement === undefined ? NONE : `${(report.top1_agreement * 100).toFixed(1)}%`,
    tokensPerS: fixed(report.tokens_per_s, 1),
    warnings: report.warnings ?? [],
    degraded: (report.perplexity_delta_pct ?? 0) > DEGRADED_DELTA_PCT,
  };
}

/** Rows ordered from most to least precise, so the table reads as a trade-off. */
const PRECISION = [
  'F32',
  'F16',
  'BF16',
  'Q8_0',
  'Q6_K',
  'Q5_K_M',
  'Q5_K',
  'Q4_K_M',
  'Q4_K',
  'Q4_1',
  'Q4_0',
  'Q3_K_M',
  'Q3_K',
  'Q2_K',
];

export function reportRows(exports: readonly ModelExport[]): ReportRow[] {
  const rank = (qtype: string) => {
    const index = PRECISION.indexOf(qtype);
    return index === -1 ? PRECISION.length : index;
  };
  return [...exports].sort((a, b) => rank(a.qtype) - rank(b.qtype)).map(reportRow);
}

/** The reference perplexity every row is compared against (the same for all of a version). */
export function referencePerplexity(exports: readonly ModelExport[]): string {
  for (const item of exports) {
    const value = readReport(item.report).perplexity_reference;
    if (value !== undefined) return value.toFixed(3);
  }
  return NONE;
}
