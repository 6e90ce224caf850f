import { screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ModelsPage } from '../models-page';

const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});
const model = (id: number, name: string, access_role: string) => ({
  id,
  name,
  description: '',
  version_count: 1,
  access_role,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
});
const version = (registered_model: number, access_role: string) => ({
  id: registered_model * 10,
  registered_model,
  model_name: 'm',
  version: '1.0.0',
  description: '',
  source: 'upload',
  stage: 'development',
  status: 'ready',
  error: '',
  training_run: null,
  dataset_version: null,
  architecture: {},
  parameters: 1000,
  sha256: '',
  size_bytes: 4000,
  exports: [],
  access_role,
  created_at: '2026-01-01T10:00:00Z',
  updated_at: '2026-01-01T10:00:00Z',
});

const mine = model(1, 'my model', 'owner');
const readable = model(2, 'their model', 'read');
const teams = model(3, 'team model', 'team_member');

function fakeApi() {
  const fetchMock = vi.fn<typeof fetch>((input) => {
    const url = new URL(input as string, 'http://test');
    const roles: Record<string, string> = { '1': 'owner', '2': 'read', '3': 'team_member' };
    if (url.pathname === '/api/v1/models/') {
      const scope = url.searchParams.get('scope');
      const shared = [readable, teams];
      return Promise.resolve(
        jsonResponse(
          page(scope === 'shared' ? shared : scope === 'mine' ? [mine] : [mine, ...shared]),
        ),
      );
    }
    const versions = /^\/api\/v1\/models\/(\d+)\/versions\/$/.exec(url.pathname);
    if (versions) {
      const id = versions[1]!;
      return Promise.resolve(jsonResponse(page([version(Number(id), roles[id]!)])));
    }
    if (url.pathname.endsWith('/stage/')) return Promise.resolve(jsonResponse([]));
    return Promise.resolve(jsonResponse(page([])));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function renderPage(url: string) {
  return renderWithProviders(
    <MemoryRouter initialEntries={[url]}>
      <ModelsPage />
    </MemoryRouter>,
  );
}

describe('ModelsPage, yours and shared with you', () => {
  it('asks for the shared side only and marks each row with how it reaches you', SLOW, async () => {
    // given
    const fetchMock = fakeApi();
    const { user } = renderPage('/models');
    await screen.findAllByTestId('model-item', {}, LOADED);
    // when
    await user.click(screen.getByRole('button', { name: 'Shared with you' }));
    // then
    await screen.findByRole('heading', { name: 'their model' }, LOADED);
    const items = screen.getAllByTestId('model-item');
    expect(items.map((item) => within(item).getByTestId('access-badge').textContent)).toEqual([
      'shared with you to read',
      'your team’s (member)',
    ]);
    const asked = fetchMock.mock.calls.map(([input]) => input as string);
    expect(
      asked.some((url) => url.includes('/api/v1/models/?') && url.includes('scope=shared')),
    ).toBe(true);
  });

  it('offers a reader no delete, export, stage change, gate or personality', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderPage('/models?model=2');
    // then
    await screen.findByTestId('model-version-detail', {}, LOADED);
    expect(screen.queryByRole('button', { name: 'Delete model' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Export…' })).toBeNull();
    expect(screen.queryByTestId('stage-control')).toBeNull();
    expect(screen.queryByRole('form', { name: 'Personality gate' })).toBeNull();
    expect(screen.getByTestId('personality-gate-current')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Apply a personality…' })).toBeNull();
  });

  it('lets a team member move stages but not promote to production or delete', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderPage('/models?model=3');
    // then
    const stage = await screen.findByRole('combobox', { name: 'Stage' }, LOADED);
    expect(within(stage).getByRole('option', { name: 'Staging' })).toBeEnabled();
    expect(within(stage).getByRole('option', { name: 'Production' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Export…' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete model' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Personality gate' })).toBeNull();
  });

  it('offers the owner delete, promotion and the gate', SLOW, async () => {
    // given
    fakeApi();
    // when
    renderPage('/models?model=1');
    // then
    const stage = await screen.findByRole('combobox', { name: 'Stage' }, LOADED);
    expect(within(stage).getByRole('option', { name: 'Production' })).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Delete model' })).toBeInTheDocument();
    expect(screen.getByRole('form', { name: 'Personality gate' })).toBeInTheDocument();
  });
});
