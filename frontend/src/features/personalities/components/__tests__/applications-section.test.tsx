import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import { renderWithProviders } from '../../../../testing/render';
import { ApplicationsSection } from '../applications-section';
import { fakeApi, page } from './fake-api';

const EVALUATION = {
  id: 21,
  model_version: 5,
  model_version_label: 'starter:v2',
  personality: 1,
  personality_name: 'Tutor',
  personality_version: 11,
  personality_version_number: 1,
  probe_ids: [0, 1],
  probes: 2,
  max_tokens: 64,
  status: 'ready',
  progress: 1,
  error: '',
  has_chart: true,
  served: 'steering',
  alignment: 0.62,
  vader_compound: 0.4,
  alignment_gain: 0.214,
  vader_gain: -0.05,
  perplexity_ratio: 1.2,
  created_at: '2026-01-02T10:00:00Z',
  finished_at: '2026-01-02T10:10:00Z',
};

describe('ApplicationsSection', () => {
  it('lists each model a personality was applied to with its method, new version, gains and chart', async () => {
    // given
    fakeApi({
      'GET /api/v1/personality-applications/': page([
        {
          id: 8,
          model_version: 4,
          model_version_label: 'starter:v1',
          registered_model: 2,
          personality: 1,
          personality_name: 'Tutor',
          personality_version: 11,
          personality_version_number: 1,
          method: 'steering',
          options: {},
          status: 'ready',
          stage: '',
          progress: 1,
          error: '',
          result_version: 5,
          result_version_label: 'starter:v2',
          evaluation: EVALUATION,
          summary: {},
          created_at: '2026-01-02T10:00:00Z',
          updated_at: '2026-01-02T10:10:00Z',
          finished_at: '2026-01-02T10:10:00Z',
        },
      ]),
    });
    // when
    renderWithProviders(
      <MemoryRouter>
        <ApplicationsSection personalityId={1} />
      </MemoryRouter>,
    );
    // then
    const row = await screen.findByTestId('personality-application-row');
    expect(row).toHaveTextContent('starter:v1');
    expect(row).toHaveTextContent('steering');
    expect(within(row).getByRole('link', { name: 'starter:v2' })).toHaveAttribute(
      'href',
      '/models?model=2&version=5',
    );
    expect(row).toHaveTextContent('+0.214');
    expect(row).toHaveTextContent('−0.050');
    expect(within(row).getByRole('link', { name: 'Chart (PNG)' })).toHaveAttribute(
      'href',
      '/api/v1/personality-applications/8/chart/',
    );
  });
});
