import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { renderWithProviders } from '../../../../testing/render';
import { ScorePanel } from '../score-panel';
import { fakeApi } from './fake-api';

const SCORE = {
  personality_id: 1,
  version_id: 11,
  version_number: 2,
  texts: [
    {
      index: 0,
      excerpt: 'Wow, I love this!',
      alignment: 0.91,
      metrics: { vader_compound: 0.8, formality: 35 },
      warnings: [],
      message_id: null,
    },
    {
      index: 1,
      excerpt: 'The meeting moved.',
      alignment: 0.12,
      metrics: { vader_compound: 0, formality: 55 },
      warnings: [],
      message_id: null,
    },
  ],
  alignment: { mean: 0.515, std: 0.395 },
  profile: {
    n_texts: 2,
    mean: { vader_compound: 0.4, formality: 45 },
    std: { vader_compound: 0.4, formality: 10 },
    warnings: [],
  },
  notices: ['texts: used the first 2 of 3 texts'],
};

describe('ScorePanel', () => {
  it('scores each pasted line and shows its alignment, its metrics and the overall alignment', async () => {
    // given
    const fetchMock = fakeApi({ 'POST /api/v1/personalities/1/score/': SCORE });
    const onScored = vi.fn();
    const { user } = renderWithProviders(<ScorePanel personalityId={1} onScored={onScored} />);
    // when
    await user.type(screen.getByLabelText('Texts'), 'Wow, I love this!{Enter}The meeting moved.');
    await user.click(screen.getByRole('button', { name: 'Score' }));
    // then
    expect(await screen.findByTestId('score-alignment')).toHaveTextContent('0.515 ± 0.395');
    const rows = screen.getAllByTestId('score-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('0.910')).toBeInTheDocument();
    expect(within(rows[0]!).getByText('Sentiment (VADER)')).toBeInTheDocument();
    expect(screen.getByText('texts: used the first 2 of 3 texts')).toBeInTheDocument();
    expect(JSON.parse(fetchMock.mock.calls[0]![1]!.body as string)).toEqual({
      texts: ['Wow, I love this!', 'The meeting moved.'],
    });
    expect(onScored).toHaveBeenCalledWith(SCORE);
  });
});
