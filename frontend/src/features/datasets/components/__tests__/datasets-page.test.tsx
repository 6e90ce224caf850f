import { act, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { DatasetsPage } from '../datasets-page';

// Pages with tables and dialogs render slowly in jsdom on a busy machine.
const SLOW = { timeout: 30_000 };
const LOADED = { timeout: 10_000 };

const page = (results: unknown[]) => ({
  count: results.length,
  next: null,
  previous: null,
  results,
});

const invalidVersion = {
  id: 21,
  dataset: 3,
  number: 1,
  filename: 'chat.jsonl',
  format: 'jsonl',
  sha256: 'x',
  size_bytes: 2_500_000,
  stored_bytes: 2_500_000,
  status: 'invalid',
  report: {
    records: 120,
    characters: 48_000,
    estimated_tokens: 12_000,
    preview: ['First record'],
    errors: [
      { file: 'chat.jsonl', line: 7, message: 'invalid JSON: Expecting value' },
      { file: 'chat.jsonl', line: 19, message: "no 'text' field" },
    ],
  },
  created_at: '2026-01-02T10:00:00Z',
};

class FakeXhr {
  static last: FakeXhr;
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;
  status = 0;
  responseText = '';
  constructor() {
    FakeXhr.last = this;
  }
  open() {}
  setRequestHeader() {}
  send() {}
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
}

function fakeApi(versions: () => unknown[] = () => [invalidVersion]) {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((input) => {
      const { pathname } = new URL(input as string, 'http://test');
      const routes: Record<string, unknown> = {
        '/api/v1/storage/': { used_bytes: 2_500_000, quota_bytes: 10_000_000 },
        '/api/v1/datasets/': page([
          {
            id: 3,
            name: 'chats',
            description: '',
            version_count: 1,
            created_at: '',
            updated_at: '',
          },
        ]),
        '/api/v1/datasets/3/versions/': page(versions()),
      };
      return Promise.resolve(jsonResponse(routes[pathname] ?? page([])));
    }),
  );
}

function renderPage() {
  return renderWithProviders(
    <MemoryRouter>
      <DatasetsPage
        slots={{
          newTrainingRun: () => null,
          derivedModels: () => null,
          versionFeatures: () => null,
          versionRecords: () => null,
        }}
      />
    </MemoryRouter>,
  );
}

describe('DatasetsPage', () => {
  it(
    'shows storage use, the version’s status and every validation error with file and line',
    SLOW,
    async () => {
      // given
      fakeApi();

      // when
      renderPage();

      // then
      const report = await screen.findByTestId('validation-report', {}, LOADED);
      expect(screen.getByTestId('storage-usage')).toHaveTextContent('2.5 MB of 10.0 MB (25%)');
      expect(screen.getByTestId('dataset-item')).toHaveTextContent('1 version');
      expect(screen.getAllByTestId('version-status')[0]).toHaveTextContent('invalid');
      expect(report).toHaveTextContent('120');
      expect(report).toHaveTextContent('12,000');
      const errors = screen.getByTestId('validation-errors');
      expect(errors).toHaveTextContent('chat.jsonl:7 invalid JSON: Expecting value');
      expect(errors).toHaveTextContent("chat.jsonl:19 no 'text' field");
    },
  );

  it('shows upload progress in percent and bytes, and can cancel it', SLOW, async () => {
    // given
    fakeApi();
    const { user } = renderPage();
    await screen.findByTestId('validation-report', {}, LOADED);
    const file = new File(['x'.repeat(2000)], 'more.txt', { type: 'text/plain' });
    await user.upload(screen.getByLabelText('File to upload'), file);

    // when
    await user.click(screen.getByRole('button', { name: 'Upload' }));
    act(() =>
      FakeXhr.last.upload.onprogress?.(
        new ProgressEvent('progress', { loaded: 500, total: 2000, lengthComputable: true }),
      ),
    );

    // then
    const progress = await screen.findByTestId('upload-progress');
    await waitFor(() => expect(progress).toHaveTextContent('25% · 500 B of 2.0 kB'));
    expect(screen.getByRole('progressbar', { name: /uploading more\.txt/i })).toHaveAttribute(
      'aria-valuenow',
      '25',
    );

    // when
    await user.click(screen.getByRole('button', { name: 'Cancel' }));

    // then
    expect(FakeXhr.last.aborted).toBe(true);
    await waitFor(() => expect(screen.queryByTestId('upload-progress')).not.toBeInTheDocument());
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Upload' })).toBeEnabled();
  });

  it(
    'says in the panel what became of the upload, following the version’s real status',
    SLOW,
    async () => {
      // given: the new version validates on the server after the upload returns
      const uploaded = { ...invalidVersion, id: 22, number: 2, filename: 'more.txt', report: null };
      let stored: unknown[] = [invalidVersion];
      fakeApi(() => stored);
      const { user } = renderPage();
      await screen.findByTestId('validation-report', {}, LOADED);
      await user.upload(
        screen.getByLabelText('File to upload'),
        new File(['some text'], 'more.txt', { type: 'text/plain' }),
      );

      // when: the upload finishes while the version is still being validated
      await user.click(screen.getByRole('button', { name: 'Upload' }));
      stored = [{ ...uploaded, status: 'validating' }, invalidVersion];
      act(() => {
        FakeXhr.last.status = 201;
        FakeXhr.last.responseText = JSON.stringify({ ...uploaded, status: 'validating' });
        FakeXhr.last.onload?.();
      });

      // then
      const outcome = await screen.findByTestId('upload-outcome');
      await waitFor(() => expect(outcome).toHaveTextContent('Version 2 uploaded. Validating it…'));
      expect(screen.getByRole('region', { name: 'Notifications' })).toBeEmptyDOMElement();

      // when: validation finishes (the list polls while a version validates)
      stored = [
        {
          ...uploaded,
          status: 'valid',
          report: { ...invalidVersion.report, records: 40, errors: [] },
        },
        invalidVersion,
      ];

      // then
      await waitFor(
        () => expect(outcome).toHaveTextContent('Version 2 uploaded and valid: 40 records.'),
        { timeout: 10_000 },
      );
    },
  );

  it(
    'shows the recipe run that made a version, and its features and records in tabs',
    SLOW,
    async () => {
      // given
      fakeApi(() => [
        {
          ...invalidVersion,
          status: 'valid',
          report: { ...invalidVersion.report, errors: [] },
          lineage: {
            run: 7,
            part: 'train',
            recipe: 4,
            recipe_name: 'clean chats',
            recipe_version: 2,
            inputs: [11, 12],
            report: [{ index: 0, type: 'dedup_exact', records_in: 130, records_out: 120 }],
          },
        },
      ]);
      const { user } = renderWithProviders(
        <MemoryRouter>
          <DatasetsPage
            slots={{
              newTrainingRun: () => null,
              derivedModels: () => null,
              versionFeatures: (version) => <p>features of {version.id}</p>,
              versionRecords: (version) => <p>records of {version.id}</p>,
            }}
          />
        </MemoryRouter>,
      );

      // when
      const lineage = await screen.findByTestId('version-lineage', {}, LOADED);

      // then
      expect(lineage).toHaveTextContent(
        'Made by recipe clean chats version 2 from 2 input versions (the train part)',
      );
      expect(lineage).toHaveTextContent('1. dedup_exact 130 → 120');
      expect(screen.getByRole('link', { name: 'run report' })).toHaveAttribute(
        'href',
        '/recipe-runs/7',
      );

      // when
      await user.click(screen.getByRole('tab', { name: 'Features' }));
      // then
      expect(await screen.findByText('features of 21')).toBeInTheDocument();
      expect(screen.queryByTestId('validation-report')).not.toBeInTheDocument();

      // when
      await user.click(screen.getByRole('tab', { name: 'Records' }));
      // then
      expect(await screen.findByText('records of 21')).toBeInTheDocument();
    },
  );
});
