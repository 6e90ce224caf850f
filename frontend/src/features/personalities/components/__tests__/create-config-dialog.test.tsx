import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { CreateConfigDialog } from '../create-config-dialog';
import { fakeApi, page, personality, TRAITS, version } from './fake-api';

const SAGE = personality({
  id: 3,
  name: 'Sage',
  builtin: true,
  archetype: 'sage',
  current_version: version({ traits: { ...TRAITS, warmth: 0.6, formality: 0.8 } }),
});

/** The preview the server would give: its prompt names the warmth it was sent. */
function preview(body: unknown) {
  const sent = (body as { traits?: Record<string, number> }).traits ?? {};
  const traits = { ...TRAITS, ...sent };
  return jsonResponse({
    traits,
    system_prompt: `You are Tutor. Warmth ${traits.warmth.toFixed(2)}.`,
    generation_defaults: { temperature: 0.5 + traits.warmth, top_p: 0.9 },
    target_ranges: { formality: [40, 60] },
  });
}

describe('CreateConfigDialog', () => {
  it('updates the preview of the system prompt and sampling when a trait slider moves', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/': page([SAGE]),
      'POST /api/v1/personalities/preview/': preview,
    });
    const { user } = renderWithProviders(
      <MemoryRouter>
        <CreateConfigDialog open onOpenChange={() => {}} />
      </MemoryRouter>,
    );
    const prompt = await screen.findByTestId('preview-prompt');
    expect(prompt).toHaveTextContent('Warmth 0.50.');
    // when
    const warmth = screen.getByRole('slider', { name: 'Warmth' });
    warmth.focus();
    await user.keyboard('{ArrowRight}{ArrowRight}');
    // then
    await waitFor(() =>
      expect(screen.getByTestId('preview-prompt')).toHaveTextContent('Warmth 0.60.'),
    );
    expect(within(screen.getByTestId('preview-sampling')).getByText('1.1')).toBeInTheDocument();
  });

  it('starts the sliders from the chosen archetype', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/': page([SAGE]),
      'POST /api/v1/personalities/preview/': preview,
    });
    const { user } = renderWithProviders(
      <MemoryRouter>
        <CreateConfigDialog open onOpenChange={() => {}} />
      </MemoryRouter>,
    );
    await screen.findByRole('option', { name: 'Sage' });
    // when
    await user.selectOptions(screen.getByLabelText('Start from archetype'), 'sage');
    // then
    expect(screen.getByRole('slider', { name: 'Formality' })).toHaveAttribute(
      'aria-valuenow',
      '0.8',
    );
    await waitFor(() =>
      expect(screen.getByTestId('preview-prompt')).toHaveTextContent('Warmth 0.60.'),
    );
  });
});
