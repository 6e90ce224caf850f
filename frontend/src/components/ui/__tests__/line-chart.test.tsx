import { render, screen, waitFor } from '@testing-library/react';
import type uPlot from 'uplot';
import { describe, expect, it, vi } from 'vitest';

import { LineChart } from '../line-chart';

// The options each chart hands to uPlot; the fake draws nothing.
const built: uPlot.Options[] = [];
vi.mock('uplot', () => ({
  default: class {
    width = 400;
    height = 220;
    select = { width: 0 };
    constructor(options: uPlot.Options) {
      built.push(options);
    }
    setData() {}
    setSize() {}
    destroy() {}
  },
}));

describe('LineChart', () => {
  it('labels log-scale ticks that uPlot thins out (null) with nothing instead of throwing', async () => {
    // given
    render(
      <LineChart
        title="Validation perplexity"
        series={[{ label: 'perplexity', color: '#000' }]}
        data={[
          [10, 20],
          [900, 12],
        ]}
        logScale
      />,
    );
    await waitFor(() => expect(built).toHaveLength(1));
    const yAxis = built[0]?.axes?.[1];
    const values = yAxis?.values as (plot: unknown, splits: (number | null)[]) => string[];

    // when
    const labels = values({}, [10, null, null, 100, null, 1000]);

    // then
    expect(labels).toEqual(['10', '', '', '100', '', '1,000']);
    expect(screen.getByRole('figure', { name: 'Validation perplexity' })).toHaveTextContent(
      'perplexity: 12',
    );
  });
});
