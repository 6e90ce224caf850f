import { describe, expect, it } from 'vitest';

import { alignSeries, mergePoints, overlaySeries, type Series } from '../live-series';

describe('mergePoints', () => {
  it('appends new steps to the right curve and leaves other curves untouched', () => {
    // given
    const loss: Series = { steps: [10, 20], values: [3.1, 2.9] };
    const lr: Series = { steps: [10, 20], values: [1e-3, 1e-3] };
    const current = { loss, lr };

    // when
    const next = mergePoints(current, [
      { key: 'loss', step: 30, value: 2.7 },
      { key: 'val_loss', step: 30, value: 2.8 },
    ]);

    // then
    expect(next.loss).toEqual({ steps: [10, 20, 30], values: [3.1, 2.9, 2.7] });
    expect(next.val_loss).toEqual({ steps: [30], values: [2.8] });
    expect(next.lr).toBe(lr);
    expect(loss.steps).toEqual([10, 20]);
  });

  it('keeps steps in order and one value per step when points repeat or arrive late', () => {
    // given
    const current = { loss: { steps: [10, 30], values: [3, 2.5] } };

    // when
    const next = mergePoints(current, [
      { key: 'loss', step: 20, value: 2.8 },
      { key: 'loss', step: 30, value: 2.4 },
      { key: 'loss', step: 5, value: 3.5 },
    ]);

    // then
    expect(next.loss).toEqual({ steps: [5, 10, 20, 30], values: [3.5, 3, 2.8, 2.4] });
  });

  it('skips values that cannot be drawn', () => {
    // when
    const next = mergePoints({}, [
      { key: 'loss', step: 1, value: Number.NaN },
      { key: 'loss', step: 2, value: 2 },
    ]);

    // then
    expect(next.loss).toEqual({ steps: [2], values: [2] });
  });
});

describe('overlaySeries', () => {
  it('lays live points over the fetched curve, live winning on shared steps', () => {
    // given
    const fetched = { steps: [0, 100, 200], values: [4, 3, 2.5] };
    const live = { steps: [200, 210], values: [2.45, 2.4] };

    // when
    const merged = overlaySeries(fetched, live);

    // then
    expect(merged).toEqual({ steps: [0, 100, 200, 210], values: [4, 3, 2.45, 2.4] });
  });
});

describe('alignSeries', () => {
  it('puts curves on one x axis with nulls where a curve has no point', () => {
    // given
    const loss = { steps: [10, 20, 30], values: [3, 2.8, 2.6] };
    const valLoss = { steps: [20, 40], values: [2.9, 2.5] };

    // when
    const [xs, lossColumn, valColumn] = alignSeries([loss, valLoss]);

    // then
    expect(xs).toEqual([10, 20, 30, 40]);
    expect(lossColumn).toEqual([3, 2.8, 2.6, null]);
    expect(valColumn).toEqual([null, 2.9, null, 2.5]);
  });

  it('draws an absent curve as all gaps', () => {
    // when
    const data = alignSeries([{ steps: [1, 2], values: [1, 2] }, null]);

    // then
    expect(data).toEqual([
      [1, 2],
      [1, 2],
      [null, null],
    ]);
  });
});
