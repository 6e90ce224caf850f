import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { ModelVersion } from '../../../../lib/api/get-model-versions';
import { renderWithProviders } from '../../../../testing/render';
import { HubPullProgress } from '../hub-pull-progress';

function pulled(status: string, done: number): ModelVersion {
  return {
    id: 8,
    version: '1.1.0',
    status,
    hub: {
      repo_id: 'acme/tiny-llama',
      revision: 'main',
      filename: '',
      commit_sha: 'c'.repeat(40),
      license: 'mit',
      bytes_done: done,
      bytes_total: 4_000_000,
    },
    exports: [],
  } as unknown as ModelVersion;
}

describe('HubPullProgress', () => {
  it('shows how far an importing pull has downloaded, and nothing once it is ready', () => {
    // given a version a quarter downloaded
    const { rerender } = renderWithProviders(
      <HubPullProgress versions={[pulled('importing', 1_000_000)]} />,
    );
    // then its bar says so
    expect(screen.getByTestId('hub-pull-progress')).toHaveTextContent('1.1.0 from acme/tiny-llama');
    expect(screen.getByTestId('hub-pull-progress')).toHaveTextContent('25%');
    // and when it is ready the bar is gone
    rerender(<HubPullProgress versions={[pulled('ready', 4_000_000)]} />);
    expect(screen.queryByTestId('hub-pull-progress')).not.toBeInTheDocument();
  });
});
