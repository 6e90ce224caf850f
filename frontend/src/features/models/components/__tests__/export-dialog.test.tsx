import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ModelExport, ModelVersion } from '../../../../lib/api/get-model-versions';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { ExportDialog } from '../export-dialog';

function exported(qtype: string, format: ModelExport['format']): ModelExport {
  return {
    id: qtype.length,
    model_version: 3,
    qtype,
    format,
    status: 'ready',
    error: '',
    size_bytes: 1000,
    report: {},
    created_at: '2026-01-01T10:00:00Z',
  };
}

function version(exports: ModelExport[] = []): ModelVersion {
  return {
    id: 3,
    model_name: 'poet',
    version: '1.0.0',
    status: 'ready',
    exports,
  } as unknown as ModelVersion;
}

/** The server: records each POST body and answers with queued exports. */
function fakeApi() {
  const posts: { qtypes: string[]; format: string }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn<typeof fetch>((_input, init) => {
      posts.push(JSON.parse(init?.body as string) as { qtypes: string[]; format: string });
      return Promise.resolve(jsonResponse([], 202));
    }),
  );
  return posts;
}

afterEach(() => vi.unstubAllGlobals());

describe('ExportDialog', () => {
  it('offers the K-quant types grouped with hints, and exports the chosen ones as GGUF', async () => {
    // given the dialog for a version with no exports
    const posts = fakeApi();
    const onExported = vi.fn();
    const { user } = renderWithProviders(
      <ExportDialog
        open
        onOpenChange={() => undefined}
        version={version()}
        onExported={onExported}
      />,
    );

    // when the user picks GGUF, adds Q6_K to the preselected Q8_0 and Q4_K_M, and exports
    const kQuants = screen.getByRole('group', { name: 'K-quants (llama.cpp)' });
    expect(
      within(kQuants)
        .getAllByRole('checkbox')
        .map((box) => box.getAttribute('value')),
    ).toEqual(['Q6_K', 'Q5_K_M', 'Q5_K', 'Q4_K_M', 'Q4_K', 'Q3_K_M', 'Q3_K', 'Q2_K']);
    expect(within(kQuants).getByText(/common default/)).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('File format'), 'gguf');
    await user.click(within(kQuants).getByRole('checkbox', { name: /^Q6_K / }));
    await user.click(screen.getByRole('button', { name: 'Export 3' }));

    // then the server is asked for those types as GGUF files, and the dialog says what it measures
    await waitFor(() => expect(onExported).toHaveBeenCalledWith(['Q6_K', 'Q4_K_M', 'Q8_0']));
    expect(posts).toEqual([{ qtypes: ['Q6_K', 'Q4_K_M', 'Q8_0'], format: 'gguf' }]);
    expect(screen.getByText(/measured on the same type as .sou/)).toBeInTheDocument();
  });

  it('disables a type already exported in the chosen format only', async () => {
    // given a version with a ready Q8_0 .sou export
    fakeApi();
    const { user } = renderWithProviders(
      <ExportDialog
        open
        onOpenChange={() => undefined}
        version={version([exported('Q8_0', 'sou')])}
        onExported={() => undefined}
      />,
    );
    const q8 = () => screen.getByRole('checkbox', { name: /^Q8_0 / });
    expect(q8()).toBeDisabled();

    // when the format is switched to GGUF
    await user.selectOptions(screen.getByLabelText('File format'), 'gguf');

    // then Q8_0 can be exported again, as a GGUF file
    expect(q8()).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Export 2' })).toBeEnabled();
  });
});
