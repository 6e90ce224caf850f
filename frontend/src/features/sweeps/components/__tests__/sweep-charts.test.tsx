import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import type { Trial } from '../../api/get-sweep-trials';
import { ParallelCoordinates } from '../parallel-coordinates';
import { TrialsTable } from '../trials-table';

function trial(number: number, fields: Partial<Trial>): Trial {
  return {
    id: 100 + number,
    sweep: 1,
    number,
    params: {},
    state: 'complete',
    state_detail: 'complete',
    objective: null,
    duration_seconds: 12,
    created_at: '2026-01-01T00:00:00Z',
    ...fields,
  };
}

const trials = [
  trial(0, { params: { 'optim.lr': 0.001 }, objective: 2.1 }),
  trial(1, { params: { 'optim.lr': 0.01 }, objective: 1.7 }),
  trial(2, { params: { 'optim.lr': 1e-5 }, state: 'pruned', state_detail: 'pruned at step 10' }),
];

describe('TrialsTable', () => {
  it('shows each trial with its params, why it ended, and marks the best', () => {
    // when
    render(<TrialsTable trials={trials} paramNames={['optim.lr']} bestId={101} />, {
      wrapper: MemoryRouter,
    });
    // then
    const rows = within(screen.getByTestId('trials-table')).getAllByRole('row');
    expect(rows[2]).toHaveTextContent('1 ★ best');
    expect(rows[2]).toHaveTextContent('0.01');
    expect(rows[3]).toHaveTextContent('pruned at step 10');
    expect(rows[1]).not.toHaveTextContent('best');
  });
});

describe('ParallelCoordinates', () => {
  it('draws one line per complete trial across the parameter and objective axes', () => {
    // when
    render(
      <ParallelCoordinates
        space={[{ name: 'optim.lr', type: 'float', low: 1e-5, high: 0.1, log: true }]}
        trials={trials}
        direction="minimize"
        bestNumber={1}
      />,
    );
    // then
    const chart = screen.getByTestId('parallel-coordinates');
    expect(chart.querySelectorAll('polyline')).toHaveLength(2);
    expect(within(chart).getByText('optim.lr')).toBeInTheDocument();
    expect(within(chart).getByText('objective')).toBeInTheDocument();
    expect(within(chart).getByText('trial 1: 1.7')).toBeInTheDocument();
  });

  it('says what it waits for before any trial completes', () => {
    render(<ParallelCoordinates space={[]} trials={[]} direction="minimize" bestNumber={null} />);
    expect(screen.getByText(/once a trial completes/)).toBeInTheDocument();
  });
});
