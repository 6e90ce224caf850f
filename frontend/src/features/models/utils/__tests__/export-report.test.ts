import { describe, expect, it } from 'vitest';

import type { ModelExport } from '../../../../lib/api/get-model-versions';
import { formatDeltaPct, referencePerplexity, reportRows } from '../export-report';

function exported(overrides: Partial<ModelExport> & { qtype: string }): ModelExport {
  return {
    id: 1,
    model_version: 9,
    format: 'sou',
    status: 'ready',
    error: '',
    size_bytes: null,
    report: {},
    created_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('reportRows', () => {
  it('formats every column of a finished export against full precision', () => {
    // given
    const q4 = exported({
      id: 3,
      qtype: 'Q4_0',
      size_bytes: 100_000_000,
      report: {
        size_bytes: 100_000_000,
        f32_size_bytes: 540_000_000,
        perplexity_reference: 12.3456,
        perplexity: 13.1,
        perplexity_delta_pct: 6.1123,
        kl_divergence: 0.04567,
        top1_agreement: 0.9123,
        tokens_per_s: 97.04,
        warnings: ['token_embd.weight kept in F16'],
      },
    });

    // when
    const [row] = reportRows([q4]);

    // then
    expect(row).toMatchObject({
      qtype: 'Q4_0',
      size: '100 MB',
      sizeVsF32: '18.5%',
      perplexity: '13.100',
      deltaPct: '+6.11%',
      klDivergence: '0.0457',
      top1Agreement: '91.2%',
      tokensPerS: '97.0',
      warnings: ['token_embd.weight kept in F16'],
      degraded: true,
    });
    expect(referencePerplexity([q4])).toBe('12.346');
  });

  it('orders rows from most to least precise and shows dashes for exports still running', () => {
    // given
    const running = exported({ id: 5, qtype: 'Q8_0', status: 'running' });
    const f16 = exported({ id: 6, qtype: 'F16', report: { perplexity_delta_pct: 0.01 } });

    // when
    const rows = reportRows([running, f16]);

    // then
    expect(rows.map((row) => row.qtype)).toEqual(['F16', 'Q8_0']);
    expect(rows[1]).toMatchObject({ size: '–', perplexity: '–', deltaPct: '–', degraded: false });
  });

  it('ignores a report that is not an object', () => {
    // then
    expect(reportRows([exported({ qtype: 'Q4_1', report: 'oops' })])[0]?.klDivergence).toBe('–');
  });
});

describe('formatDeltaPct', () => {
  it('signs the change, since perplexity can also improve slightly', () => {
    expect(formatDeltaPct(1.234)).toBe('+1.23%');
    expect(formatDeltaPct(-0.4)).toBe('−0.40%');
    expect(formatDeltaPct(0)).toBe('±0.00%');
  });
});
