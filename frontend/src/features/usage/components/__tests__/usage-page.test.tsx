import { screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { UsagePage } from '../usage-page';

const usage = {
  limits: [
    {
      name: 'storage_bytes',
      used: 950_000,
      limit: 1_000_000,
      resets_at: null,
      what_counts: 'Every file kept for you.',
    },
    {
      name: 'chat_tokens_per_day',
      used: 1200,
      limit: 200_000,
      resets_at: '2026-01-03T00:00:00Z',
      what_counts: 'Tokens generated for you today.',
    },
    {
      name: 'concurrent_runs',
      used: 1,
      limit: null,
      resets_at: null,
      what_counts: 'Training runs running at once.',
    },
  ],
};

describe('UsagePage', () => {
  it('shows a bar per limit with used, limit, reset and what counts', async () => {
    // given
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>(() => Promise.resolve(jsonResponse(usage))),
    );
    // when
    renderWithProviders(<UsagePage />);
    // then
    const storage = await screen.findByTestId('usage-storage_bytes');
    expect(within(storage).getByText('950 kB of 1.0 MB (95%)')).toBeInTheDocument();
    expect(
      within(storage).getByText(/Frees up as things finish or are deleted\./),
    ).toBeInTheDocument();
    expect(within(storage).getByRole('progressbar')).toHaveAttribute('data-tone', 'danger');
    const tokens = screen.getByTestId('usage-chat_tokens_per_day');
    expect(
      within(tokens).getByText(/Resets .*Tokens generated for you today\./),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('usage-concurrent_runs')).getByText('1 (unlimited)'),
    ).toBeInTheDocument();
  });
});
