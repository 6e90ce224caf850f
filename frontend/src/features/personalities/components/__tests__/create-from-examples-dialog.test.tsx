import { screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';

import { jsonResponse, renderWithProviders } from '../../../../testing/render';
import { CreateFromExamplesDialog } from '../create-from-examples-dialog';
import { fakeApi } from './fake-api';

const TOO_FEW =
  'a learned personality needs at least 20 non-empty example texts of the persona; got 2 (18 more needed)';

describe('CreateFromExamplesDialog', () => {
  it('sends the pasted lines as examples and shows too few examples under that field', async () => {
    // given
    const sent: unknown[] = [];
    fakeApi({
      'POST /api/v1/personalities/': (body: unknown) => {
        sent.push(body);
        return jsonResponse(
          {
            error: { code: 'invalid', message: 'Invalid input.', fields: { examples: [TOO_FEW] } },
          },
          400,
        );
      },
    });
    const { user } = renderWithProviders(
      <MemoryRouter>
        <CreateFromExamplesDialog kind="learned" open onOpenChange={() => {}} />
      </MemoryRouter>,
    );
    // when
    await user.type(screen.getByLabelText('Name'), 'Fan');
    await user.type(screen.getByLabelText('Examples'), 'I love it!{Enter}{Enter}What a day!');
    await user.click(screen.getByRole('button', { name: 'Learn personality' }));
    // then
    const examples = screen.getByLabelText('Examples');
    await waitFor(() => expect(examples).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByText(TOO_FEW)).toBeInTheDocument();
    expect(examples).toHaveAccessibleDescription(expect.stringContaining('18 more needed'));
    expect(sent).toEqual([
      { kind: 'learned', name: 'Fan', description: '', examples: ['I love it!', 'What a day!'] },
    ]);
  });

  it('trains a neural personality for the epochs given', async () => {
    // given
    const sent: unknown[] = [];
    fakeApi({
      'POST /api/v1/personalities/': (body: unknown) => {
        sent.push(body);
        return jsonResponse({ id: 4 }, 201);
      },
    });
    const { user } = renderWithProviders(
      <MemoryRouter>
        <CreateFromExamplesDialog kind="neural" open onOpenChange={() => {}} />
      </MemoryRouter>,
    );
    // when
    await user.type(screen.getByLabelText('Name'), 'Fan');
    await user.type(screen.getByLabelText('Examples'), 'Yay!');
    await user.type(screen.getByLabelText('Background texts (optional)'), 'The bus is late.');
    await user.clear(screen.getByLabelText('Epochs'));
    await user.type(screen.getByLabelText('Epochs'), '3');
    await user.click(screen.getByRole('button', { name: 'Start training' }));
    // then
    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toEqual({
      kind: 'neural',
      name: 'Fan',
      description: '',
      examples: ['Yay!'],
      background: ['The bus is late.'],
      epochs: 3,
    });
  });
});
