import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { TrainingRun } from '../../../../lib/api/get-training-runs';
import { DataFitNote } from '../data-fit-note';

function training(fields: Partial<TrainingRun>): TrainingRun {
  return {
    id: 9,
    run: 5,
    experiment: 2,
    name: 'lora of tiny',
    dataset_version: 1,
    config: {},
    status: 'finished',
    step: 20,
    max_steps: 20,
    error: '',
    attempts: 1,
    cancel_requested: false,
    runs_ahead: null,
    queued_at: '2026-01-02T10:00:00Z',
    created_at: '2026-01-02T10:00:00Z',
    updated_at: '2026-01-02T10:00:00Z',
    ...fields,
  } as TrainingRun;
}

describe('DataFitNote', () => {
  it('says how many examples were cut to the context and how many pairs were left out', () => {
    // given a run that cut 12 examples and left out one pair
    render(
      <DataFitNote
        training={training({
          method: 'lora',
          context_tokens: 2048,
          cut_examples: 12,
          dropped_pairs: 1,
        })}
      />,
    );
    // then the run page says so
    expect(screen.getByTestId('data-fit-note')).toHaveTextContent(
      '12 examples were longer than the 2048-token context and were cut; 1 preference pair could not fit and was left out',
    );
  });

  it('says a DPO run kept the end of the prompts it cut', () => {
    render(
      <DataFitNote training={training({ method: 'dpo', context_tokens: 32, cut_examples: 1 })} />,
    );
    expect(screen.getByTestId('data-fit-note')).toHaveTextContent(
      '1 preference pair was longer than the 32-token context and kept only the end of the prompt',
    );
  });

  it('says nothing when the data fit whole', () => {
    render(
      <DataFitNote
        training={training({ context_tokens: 32, cut_examples: 0, dropped_pairs: 0 })}
      />,
    );
    expect(screen.queryByTestId('data-fit-note')).toBeNull();
  });
});
