import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { DatasetsPage } from '../datasets-page';

const SLOW = { timeout: 30_000 };
const NO_SLOTS = {
  newTrainingRun: () => null,
  derivedModels: () => null,
  versionFeatures: () => null,
  versionRecords: () => null,
};
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({ count: results.length, next: null, previous: null, results });
const dataset = (id: number, name: string, access_role: string) => ({
  id,
  name,
  description: '',
  version_count: 0,
  created_at: '',
  updated_at: '',
  access_role,
});

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = new URL(input as string, 'http://test');
    if (url.pathname === '/api/v1/datasets/') {
      const scope = url.searchParams.get('scope');
      const mine = dataset(1, 'my plays', 'owner');
      const theirs = dataset(2, 'their sonnets', 'read');
      return Promise.resolve(
        jsonResponse(page(scope === 'shared' ? [theirs] : scope === 'mine' ? [mine] : [mine, theirs])),
      );
    }
    if (url.pathname === '/api/v1/storage/') {
      return Promise.resolve(jsonResponse({ used_bytes: 0, quota_bytes: 1000 }));
    }
    return Promise.resolve(jsonResponse(page([])));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('DatasetsPage, yours and shared with you', () => {
  it(
    'lists what is shared with a badge and offers a reader neither upload nor delete',
    SLOW,
    async () => {
      // given
      const fetchMock = fakeApi();
      const { user } = renderWithProviders(
        <MemoryRouter>
          <DatasetsPage slots={NO_SLOTS} />
        </MemoryRouter>,
      );
      await screen.findAllByTestId('dataset-item', {}, LOADED);

      // when
      await user.click(screen.getByRole('button', { name: 'Shared with you' }));

      // then: the server is asked for the shared side only, and the row says how it is reached
      const items = await screen.findAllByTestId('dataset-item', {}, LOADED);
      expect(items).toHaveLength(1);
      expect(items[0]).toHaveTextContent('their sonnets');
      expect(within(items[0]!).getByTestId('access-badge')).toHaveTextContent('shared with you to read');
      const asked = fetchMock.mock.calls.map(([input]) => input as string);
      expect(asked.some((url) => url.includes('/api/v1/datasets/') && url.includes('scope=shared'))).toBe(
        true,
      );
      expect(screen.queryByRole('button', { name: 'Delete dataset' })).toBeNull();
      expect(screen.queryByLabelText('File to upload')).toBeNull();
    },
  );

  it('offers the owner upload and delete on their own dataset', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderWithProviders(
      <MemoryRouter>
        <DatasetsPage slots={NO_SLOTS} />
      </MemoryRouter>,
    );
    // then
    const items = await screen.findAllByTestId('dataset-item', {}, LOADED);
    expect(within(items[0]!).queryByTestId('access-badge')).toBeNull();
    expect(await screen.findByRole('button', { name: 'Delete dataset' })).toBeInTheDocument();
    expect(screen.getByLabelText('File to upload')).toBeInTheDocument();
  });
});
