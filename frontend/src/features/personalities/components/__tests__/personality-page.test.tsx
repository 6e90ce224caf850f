import { act, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';

import { FakeSocket } from '../../../../testing/fake-socket';
import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { PersonalityPage } from '../personality-page';
import { fakeApi, page, personality, version } from './fake-api';

// uPlot needs a canvas; the chart's header (title and latest loss) is what is checked here.
vi.mock('uplot', () => import('../../../../testing/uplot-stub'));

function renderPage(personalityId = 1) {
  const sockets: FakeSocket[] = [];
  const createSocket = (url: string) => {
    const socket = new FakeSocket(url);
    sockets.push(socket);
    return socket as unknown as WebSocket;
  };
  const rendered = renderWithProviders(
    <MemoryRouter>
      <PersonalityPage personalityId={personalityId} createSocket={createSocket} />
    </MemoryRouter>,
  );
  return { ...rendered, sockets };
}

describe('PersonalityPage', () => {
  it('shows a config personality: traits on the radar, its prompt, targets and versions', async () => {
    // given
    const tutor = personality({
      current_version: version({ traits: { warmth: 0.9, formality: 0.2, humour: 0.4 } }),
    });
    fakeApi({
      'GET /api/v1/personalities/1/': tutor,
      'GET /api/v1/personalities/1/versions/': page([tutor.current_version]),
    });
    // when
    renderPage();
    // then
    const radar = await screen.findByTestId('trait-radar');
    expect(
      within(radar)
        .getAllByTestId('radar-axis')
        .map((axis) => axis.textContent),
    ).toEqual(['Warmth', 'Formality', 'Humour']);
    expect(screen.getByTestId('system-prompt')).toHaveTextContent('You are Tutor.');
    expect(screen.getAllByTestId('metric-row')).toHaveLength(2);
    expect(await screen.findByTestId('personality-version-row')).toHaveTextContent('current');
  });

  it('sets the profile of scored texts against the metric targets', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/1/': personality(),
      'GET /api/v1/personalities/1/versions/': page([version()]),
      'POST /api/v1/personalities/1/score/': {
        personality_id: 1,
        version_id: 11,
        version_number: 1,
        texts: [
          { index: 0, excerpt: 'Hi', alignment: 0.7, metrics: {}, warnings: [], message_id: null },
        ],
        alignment: { mean: 0.7, std: 0 },
        profile: {
          n_texts: 1,
          mean: { vader_compound: 0.3, formality: 75 },
          std: { vader_compound: 0, formality: 0 },
          warnings: [],
        },
        notices: [],
      },
    });
    const { user } = renderPage();
    // when
    await user.type(await screen.findByLabelText('Texts'), 'Hi');
    await user.click(screen.getByRole('button', { name: 'Score' }));
    // then
    await screen.findByTestId('score-result');
    const [sentiment, formality] = screen.getAllByTestId('metric-row');
    expect(sentiment).toHaveTextContent('0.300 ± 0.000within');
    expect(formality).toHaveTextContent('75.0 ± 0.000above');
  });

  it('follows a neural version training live: progress and the loss of each epoch', async () => {
    // given
    const training = personality({
      kind: 'neural',
      current_version: version({
        traits: {},
        target_ranges: {},
        system_prompt: '',
        status: 'training',
        progress: 0,
        provenance: { epochs: 3 },
      }),
    });
    const fetchMock = fakeApi({
      'GET /api/v1/personalities/1/': training,
      'GET /api/v1/personalities/1/versions/': page([training.current_version]),
    });
    const { sockets } = renderPage();
    await screen.findByTestId('training-panel');
    const socket = sockets[0]!;
    expect(socket.url).toMatch(/\/ws\/personality-versions\/11\/$/);
    // when
    act(() => socket.accept());
    act(() =>
      socket.emit({
        type: 'personality_version.progress',
        version: 11,
        epoch: 1,
        epochs: 3,
        loss: 2.5,
        progress: 1 / 3,
      }),
    );
    // then
    await waitFor(() =>
      expect(screen.getByTestId('training-progress')).toHaveTextContent('Epoch 1 of 3'),
    );
    expect(screen.getByTestId('training-loss-chart')).toHaveTextContent('loss: 2.5');
    // and when training ends, the page reads the finished version
    const reads = fetchMock.mock.calls.length;
    act(() =>
      socket.emit({ type: 'personality_version.status', version: 11, status: 'ready', error: '' }),
    );
    await waitFor(() => expect(fetchMock.mock.calls.length).toBeGreaterThan(reads));
  });

  it('keeps the reason a delete was refused in the confirmation', async () => {
    // given
    const reason = 'It cannot be deleted: it is used by conversation "Hello".';
    fakeApi({
      'GET /api/v1/personalities/1/': personality(),
      'GET /api/v1/personalities/1/versions/': page([version()]),
      'DELETE /api/v1/personalities/1/': () =>
        jsonResponse({ error: { code: 'conflict', message: reason } }, 409),
    });
    const { user } = renderPage();
    // when
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    await user.click(screen.getByRole('button', { name: 'Delete personality' }));
    // then
    expect(await screen.findByRole('alert')).toHaveTextContent(reason);
    expect(screen.getByRole('alertdialog')).toBeInTheDocument();
  });

  it('offers a built-in for copying, not for editing', async () => {
    // given
    fakeApi({
      'GET /api/v1/personalities/3/': personality({ id: 3, name: 'Sage', builtin: true }),
      'GET /api/v1/personalities/3/versions/': page([version()]),
    });
    // when
    renderPage(3);
    // then
    expect(await screen.findByRole('button', { name: 'Copy Sage' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });

  it('downloads a ready version for the command line and says what the text caps cut', async () => {
    // given
    const fan = personality({
      current_version: version({
        id: 7,
        provenance: { examples: 21, notices: ['examples: used the first 21 of 22 texts'] },
      }),
    });
    fakeApi({
      'GET /api/v1/personalities/1/': fan,
      'GET /api/v1/personalities/1/versions/': page([fan.current_version]),
    });
    // when
    renderPage();
    // then
    const download = await screen.findByRole('link', { name: /Download version/ });
    expect(download).toHaveAttribute('href', '/api/v1/personality-versions/7/download/');
    expect(screen.getByTestId('personality-notices')).toHaveTextContent(
      'examples: used the first 21 of 22 texts',
    );
  });
});
