import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { parseFilterError } from '../../utils/filter-error';
import { FilterBox } from '../filter-box';

describe('parseFilterError', () => {
  it('splits the offset off the server’s message', () => {
    expect(parseFilterError("Expected a value but found 'and' at offset 14", 30)).toEqual({
      message: "Expected a value but found 'and'",
      offset: 14,
    });
  });

  it('keeps a message that names no place whole', () => {
    expect(parseFilterError('Ensure this field has no more than 4000 characters.', 5)).toEqual({
      message: 'Ensure this field has no more than 4000 characters.',
      offset: null,
    });
  });
});

describe('FilterBox', () => {
  it('shows the server’s message with a caret under the character it stopped at', () => {
    // given
    const filter = 'metrics.loss < and';

    // when
    render(
      <FilterBox
        value={filter}
        onApply={vi.fn()}
        error="Expected a number or a quoted string but found 'and' at offset 15"
      />,
    );

    // then
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent("Expected a number or a quoted string but found 'and'");
    expect(screen.getByTestId('filter-error-caret').textContent).toBe(
      `${filter}\n${' '.repeat(15)}^`,
    );
    const input = screen.getByRole('textbox', { name: 'Filter' });
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(input).toHaveAccessibleDescription(/at character 16/i);
    expect((input as HTMLInputElement).selectionStart).toBe(15);
  });

  it('applies the typed filter on Enter and shows no error while there is none', async () => {
    // given
    const onApply = vi.fn();
    const user = userEvent.setup();
    render(<FilterBox value="" onApply={onApply} error={null} />);

    // when
    await user.type(screen.getByRole('textbox', { name: 'Filter' }), 'status = "running"{Enter}');

    // then
    expect(onApply).toHaveBeenCalledWith('status = "running"');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
