import { describe, expect, it } from 'vitest';

import { metricHeading, metricLabel } from '../metric-labels';

describe('metricHeading', () => {
  it('names the training engine’s metrics in words, with their units', () => {
    expect(metricHeading('memory_mb')).toBe('Peak memory (MB)');
    expect(metricHeading('tokens_per_s')).toBe('Throughput (tokens / s)');
    expect(metricHeading('val_loss')).toBe('Validation loss (nats / token)');
    expect(metricHeading('lr')).toBe('Learning rate');
  });

  it('spells out any other key, reading the unit from its suffix', () => {
    expect(metricHeading('step_time_ms')).toBe('Step time (ms)');
    expect(metricHeading('train/samples_per_s')).toBe('Train · Throughput (samples / s)');
    expect(metricHeading('eval.val_acc')).toBe('Eval · Validation accuracy');
    expect(metricLabel('gpu_util_pct')).toEqual({ title: 'Gpu util', unit: '%' });
  });

  it('never turns a bare suffix into an empty title', () => {
    expect(metricHeading('_s')).toBe('S');
    expect(metricHeading('ms')).toBe('Ms');
  });
});
