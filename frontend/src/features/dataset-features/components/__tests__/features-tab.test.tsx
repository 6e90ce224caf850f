import { screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import type { DatasetVersion } from '../../../../lib/api/get-dataset-versions';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { FeaturesTab } from '../features-tab';
import { RecordsBrowser } from '../records-browser';

// Pages with tables render slowly in jsdom on a busy machine.
const SLOW = { timeout: 30_000 };

function version(id: number, number: number): DatasetVersion {
  return {
    id,
    dataset: 3,
    number,
    filename: `v${number}.jsonl`,
    format: 'jsonl',
    sha256: 'x',
    size_bytes: 100,
    stored_bytes: 100,
    status: 'valid',
    report: null,
    created_at: '2026-01-01T00:00:00Z',
    access_role: 'owner',
    lineage: null,
  };
}

const groups = [
  {
    name: 'basic',
    features: [
      { name: 'words', dtype: 'int', version: 1, description: 'Words', scope: 'record' },
      { name: 'language', dtype: 'str', version: 1, description: 'Language', scope: 'record' },
    ],
  },
  { name: 'personality', features: [] },
];

const basic = {
  id: 1,
  dataset_version: 21,
  group: 'basic',
  feature_versions: { words: 1, language: 1 },
  status: 'succeeded',
  rows: 3,
  error: '',
  created_at: '',
  finished_at: '',
  statistics: {
    words: {
      count: 3,
      missing: 0,
      min: 2,
      max: 40,
      mean: 15,
      quantiles: { p5: 2, p25: 3, p50: 4, p75: 20, p95: 38 },
      histogram: { edges: [2, 21, 40], counts: [2, 1] },
      top: [{ value: 4, count: 2 }],
    },
    language: {
      count: 3,
      missing: 0,
      min: null,
      max: null,
      mean: null,
      quantiles: null,
      histogram: null,
      top: [
        { value: 'en', count: 2 },
        { value: 'de', count: 1 },
      ],
    },
  },
};

function fakeApi(routes: Record<string, (url: URL, body: unknown) => unknown>) {
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://test');
    const method = init?.method ?? 'GET';
    const body: unknown = init?.body ? JSON.parse(init.body as string) : null;
    const route = routes[`${method} ${url.pathname}`];
    return Promise.resolve(route ? jsonResponse(route(url, body)) : jsonResponse({}, 404));
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

describe('FeaturesTab', () => {
  it('shows each feature’s statistics, histogram and top values', SLOW, async () => {
    // given
    fakeApi({
      'GET /api/v1/feature-groups/': () => groups,
      'GET /api/v1/dataset-versions/21/features/': () => [basic],
    });
    // when
    renderWithProviders(<FeaturesTab version={version(21, 2)} versions={[version(21, 2)]} />);
    // then
    const words = await screen.findByRole('article', { name: 'Feature words' });
    expect(words).toHaveTextContent('Records3');
    expect(words).toHaveTextContent('Median 4');
    const bars = within(words).getByTestId('histogram-words').querySelectorAll('rect');
    expect(bars).toHaveLength(2);
    expect(within(words).getByText('2 to 21: 2')).toBeInTheDocument();
    expect(screen.getByTestId('top-language')).toHaveTextContent('en: 2');
    expect(screen.getByTestId('feature-group-basic')).toHaveTextContent('succeeded');
  });

  it('computes the chosen groups and says they are queued', SLOW, async () => {
    // given
    let stored: unknown[] = [];
    const fetchMock = fakeApi({
      'GET /api/v1/feature-groups/': () => groups,
      'GET /api/v1/dataset-versions/21/features/': () => stored,
      'POST /api/v1/dataset-versions/21/features/': () => {
        stored = [{ ...basic, status: 'queued', statistics: {}, rows: 0 }];
        return stored;
      },
    });
    const { user } = renderWithProviders(
      <FeaturesTab version={version(21, 2)} versions={[version(21, 2)]} />,
    );
    expect(await screen.findByTestId('features-empty')).toBeInTheDocument();
    // when
    await user.click(await screen.findByRole('checkbox', { name: 'personality' }));
    await user.click(screen.getByRole('button', { name: 'Compute features' }));
    // then
    await waitFor(() =>
      expect(screen.getByTestId('feature-group-basic')).toHaveTextContent('queued'),
    );
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === 'POST');
    expect(JSON.parse(post?.[1]?.body as string)).toEqual({ groups: ['basic', 'personality'] });
  });

  it('compares with another version and lists shifted features first', SLOW, async () => {
    // given
    fakeApi({
      'GET /api/v1/feature-groups/': () => groups,
      'GET /api/v1/dataset-versions/21/features/': () => [basic],
      'GET /api/v1/dataset-versions/21/features/compare/': (url) => {
        expect(url.searchParams.get('other')).toBe('20');
        return {
          features: {
            language: {
              test: 'proportion',
              statistic: 0.1,
              p_value: 0.6,
              shifted: false,
              status: 'ok',
              message: '',
            },
            words: {
              test: 'ks',
              statistic: 0.8,
              p_value: 0.001,
              shifted: true,
              status: 'ok',
              message: '',
            },
          },
        };
      },
    });
    const { user } = renderWithProviders(
      <FeaturesTab version={version(21, 2)} versions={[version(21, 2), version(20, 1)]} />,
    );
    // when
    await user.selectOptions(
      await screen.findByLabelText('Version to compare with'),
      'v1 · v1.jsonl',
    );
    // then
    const table = await screen.findByTestId('feature-comparison');
    const rows = within(table).getAllByRole('row');
    expect(rows[1]).toHaveTextContent('wordsshiftedks');
    expect(rows[2]).toHaveTextContent('languagesame');
  });
});

describe('RecordsBrowser', () => {
  it('keeps the records within a feature range and shows their values', SLOW, async () => {
    // given
    const fetchMock = fakeApi({
      'GET /api/v1/feature-groups/': () => groups,
      'GET /api/v1/dataset-versions/21/features/': () => [basic],
      'GET /api/v1/dataset-versions/21/records/': (url) => {
        const filtered = url.searchParams.getAll('where').length > 0;
        const all = [
          { index: 0, record: { text: 'hi there' }, features: { words: 2, language: 'en' } },
          {
            index: 1,
            record: {
              data: { prompt: 'Ask', response: 'a long answer' },
              file: 'qa.jsonl',
              line: 7,
            },
            features: { words: 40, language: 'de' },
          },
        ];
        return { offset: 0, limit: 20, next_offset: null, results: filtered ? [all[1]] : all };
      },
    });
    const { user } = renderWithProviders(
      <MemoryRouter>
        <RecordsBrowser versionId={21} />
      </MemoryRouter>,
    );
    expect(await screen.findAllByTestId('record-row')).toHaveLength(2);
    // when
    await user.type(await screen.findByLabelText('From'), '10');
    await user.click(screen.getByRole('button', { name: 'Add filter' }));
    // then
    await waitFor(() => expect(screen.getAllByTestId('record-row')).toHaveLength(1));
    expect(screen.getByTestId('record-row')).toHaveTextContent('Ask → a long answerqa.jsonl:740de');
    expect(screen.getByRole('list', { name: 'Filters' })).toHaveTextContent('words from 10 to …');
    const asked = fetchMock.mock.calls.map(([input]) => input as string);
    expect(asked.some((url) => url.includes('where=words%3A10%3A'))).toBe(true);
  });
});
