import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { RadarChart } from '../radar-chart';

describe('RadarChart', () => {
  it('draws one labelled spoke per trait and the values as an area, readable as text', () => {
    // given
    const axes = [
      { label: 'Warmth', value: 1 },
      { label: 'Formality', value: 0.5 },
      { label: 'Humour', value: 0 },
      { label: 'Confidence', value: 0.5 },
    ];
    // when
    render(<RadarChart title="Traits" axes={axes} />);
    // then
    expect(screen.getAllByTestId('radar-axis').map((label) => label.textContent)).toEqual([
      'Warmth',
      'Formality',
      'Humour',
      'Confidence',
    ]);
    // Warmth at the rim straight up, Formality halfway right, Humour at the centre, Confidence halfway left.
    expect(screen.getByTestId('radar-area')).toHaveAttribute('points', '0,-100 50,0 0,0 -50,0');
    expect(screen.getByRole('img')).toHaveAccessibleName(
      'Traits: Warmth 1.00, Formality 0.50, Humour 0.00, Confidence 0.50',
    );
  });
});
