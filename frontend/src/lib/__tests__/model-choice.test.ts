import { describe, expect, it } from 'vitest';

import { contestantsOf, parseModelChoice, remoteModelOptions } from '../model-choice';

describe('model choices', () => {
  it('names a remote model with a colon in its id and a version by its id', () => {
    // given a picker value for a remote model whose id holds ':' and '/'
    const value = remoteModelOptions([
      {
        id: 4,
        name: 'lab',
        base_url: 'https://models.example/v1',
        api_key_hint: '',
        models: [{ id: 'remote/lab/org/llama:8b', model: 'org/llama:8b' }],
        models_fetched_at: null,
        last_error: '',
        created_at: '2026-01-02T09:00:00Z',
        updated_at: '2026-01-02T09:00:00Z',
      },
    ])[0];
    // when / then
    expect(value?.label).toBe('remote/lab/org/llama:8b');
    expect(parseModelChoice(value?.value ?? '')).toEqual({
      kind: 'remote',
      endpointId: 4,
      model: 'org/llama:8b',
    });
    expect(parseModelChoice('12')).toEqual({ kind: 'version', id: 12 });
  });

  it('sends a comparison of a version and a remote model as both lists', () => {
    expect(contestantsOf(['3', 'remote:4:big'])).toEqual({
      model_version_ids: [3],
      remote_models: [{ endpoint_id: 4, model: 'big' }],
    });
    expect(contestantsOf(['1', '2'])).toEqual({ model_version_ids: [1, 2] });
  });
});
