import { describe, expect, it } from 'vitest';

import { rowsToSpace } from '../space-rows';
import { axisPosition, historyData } from '../trial-charts';

describe('historyData', () => {
  it('draws each complete trial and the best so far, skipping pruned and running ones', () => {
    // given
    const trials = [
      { number: 0, state: 'complete', objective: 2.0, params: {} },
      { number: 1, state: 'pruned', objective: null, params: {} },
      { number: 2, state: 'complete', objective: 2.5, params: {} },
      { number: 3, state: 'complete', objective: 1.5, params: {} },
      { number: 4, state: 'running', objective: null, params: {} },
    ];
    // when
    const data = historyData(trials, 'minimize');
    // then
    expect(data).toEqual([
      [0, 2, 3],
      [2.0, 2.5, 1.5],
      [2.0, 2.0, 1.5],
    ]);
  });

  it('keeps the highest as best when the sweep maximizes', () => {
    const trials = [
      { number: 0, state: 'complete', objective: 0.5, params: {} },
      { number: 1, state: 'complete', objective: 0.7, params: {} },
    ];
    expect(historyData(trials, 'maximize')[2]).toEqual([0.5, 0.7]);
  });
});

describe('axisPosition', () => {
  it('places values on a log axis by their decade and choices by their index', () => {
    // given
    const lr = { name: 'optim.lr', type: 'float' as const, low: 1e-4, high: 1e-2, log: true };
    const schedule = {
      name: 'optim.schedule',
      type: 'categorical' as const,
      choices: ['a', 'b', 'c'],
    };
    // then
    expect(axisPosition(lr, 1e-3)).toBeCloseTo(0.5);
    expect(axisPosition(schedule, 'c')).toBe(1);
    expect(axisPosition(schedule, undefined)).toBeNull();
  });
});

describe('rowsToSpace', () => {
  it('sends typed ranges and choices, numbers as numbers, and drops unnamed rows', () => {
    // when
    const space = rowsToSpace([
      { name: 'optim.lr', type: 'float', low: '0.001', high: '0.1', log: true, choices: '' },
      {
        name: 'model.n_embd',
        type: 'categorical',
        low: '',
        high: '',
        log: false,
        choices: '32, 64',
      },
      { name: ' ', type: 'int', low: '1', high: '2', log: false, choices: '' },
    ]);
    // then
    expect(space).toEqual([
      { name: 'optim.lr', type: 'float', low: 0.001, high: 0.1, log: true },
      { name: 'model.n_embd', type: 'categorical', choices: [32, 64] },
    ]);
  });
});
