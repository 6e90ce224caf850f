/** Personalities as the API sends them, and a fetch that answers the feature's routes. */
import { vi } from 'vitest';

import { jsonResponse } from '../../../../testing/render';
import type { Personality, PersonalityVersion } from '../../api/get-personality';

export const TRAITS = {
  warmth: 0.5,
  formality: 0.5,
  enthusiasm: 0.5,
  humour: 0.5,
  verbosity: 0.5,
  confidence: 0.5,
  creativity: 0.5,
};

export function version(overrides: Partial<PersonalityVersion> = {}): PersonalityVersion {
  return {
    id: 11,
    personality: 1,
    number: 1,
    traits: TRAITS,
    target_ranges: { vader_compound: [0.1, 0.5], formality: [40, 60] },
    generation_defaults: {
      temperature: 0.85,
      top_p: 0.9,
      repetition_penalty: 1.1,
      max_new_tokens: 288,
    },
    system_prompt: 'You are Tutor. You speak plainly.',
    artifacts: [],
    provenance: {},
    status: 'ready',
    progress: 1,
    metrics: [],
    error: '',
    created_at: '2026-01-02T10:00:00Z',
    ...overrides,
  };
}

export function personality(overrides: Partial<Personality> = {}): Personality {
  return {
    id: 1,
    name: 'Tutor',
    description: 'patient and clear',
    kind: 'config',
    archetype: '',
    builtin: false,
    access_role: 'owner',
    current_version: version(),
    created_at: '2026-01-02T10:00:00Z',
    updated_at: '2026-01-02T10:00:00Z',
    ...overrides,
  };
}

export function page(results: unknown[]) {
  return { count: results.length, next: null, previous: null, results };
}

type Handler = (body: unknown) => Response;

/**
 * Stubs `fetch`: `routes` maps "METHOD /path/" to a JSON body or a handler of the request
 * body; anything else answers 404. No model has been given a personality unless a test says so.
 */
export function fakeApi(given: Record<string, unknown>) {
  const routes: Record<string, unknown> = {
    'GET /api/v1/personality-applications/': page([]),
    'GET /api/v1/personality-evaluations/': page([]),
    ...given,
  };
  const fetchMock = vi.fn<typeof fetch>((input, init) => {
    const url = new URL(input as string, 'http://test');
    const method = init?.method ?? 'GET';
    const route = routes[`${method} ${url.pathname}`];
    const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    if (route === undefined) {
      return Promise.resolve(
        jsonResponse({ error: { code: 'not_found', message: 'Not found.' } }, 404),
      );
    }
    return Promise.resolve(
      typeof route === 'function' ? (route as Handler)(body) : jsonResponse(route),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}
