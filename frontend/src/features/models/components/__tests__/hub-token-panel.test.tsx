import { screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { HubTokenPanel } from '../hub-token-panel';

const LOADED = { timeout: 10_000 };

afterEach(() => vi.unstubAllGlobals());

describe('HubTokenPanel', () => {
  it('saves a token and afterwards shows only its hint', async () => {
    // given a user without a hub token
    const sent: { method: string; body: unknown }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn<typeof fetch>((_input, init) => {
        const method = init?.method ?? 'GET';
        if (method === 'PUT') {
          sent.push({ method, body: JSON.parse(init?.body as string) });
          return Promise.resolve(
            jsonResponse({ has_token: true, hint: '…wxyz', updated_at: null }),
          );
        }
        return Promise.resolve(jsonResponse({ has_token: false, hint: '', updated_at: null }));
      }),
    );
    const { user } = renderWithProviders(<HubTokenPanel />);
    expect(await screen.findByText('No token saved.', {}, LOADED)).toBeInTheDocument();
    // when they paste and save one
    await user.type(screen.getByLabelText('Token'), 'hf_secret_token_wxyz');
    await user.click(screen.getByRole('button', { name: 'Save token' }));
    // then the page shows the hint, not the token, and the field is cleared
    await waitFor(
      () => expect(screen.getByTestId('hub-token-state')).toHaveTextContent('Saved token: …wxyz'),
      LOADED,
    );
    expect(sent).toEqual([{ method: 'PUT', body: { token: 'hf_secret_token_wxyz' } }]);
    expect(screen.getByLabelText('Replace token')).toHaveValue('');
    expect(screen.queryByText(/hf_secret_token_wxyz/)).not.toBeInTheDocument();
  });
});
