import { describe, expect, it, vi } from 'vitest';

import { jsonResponse } from '../../testing/render';
import { api, ApiError } from '../api-client';

function stubFetch(response: Response | Error) {
  const fetchMock = vi.fn<typeof fetch>(() =>
    response instanceof Error ? Promise.reject(response) : Promise.resolve(response),
  );
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

function sentHeaders(fetchMock: ReturnType<typeof stubFetch>): Headers {
  return new Headers(fetchMock.mock.calls[0]?.[1]?.headers);
}

describe('api client', () => {
  it('sends the session cookie and returns the parsed body', async () => {
    // given
    const fetchMock = stubFetch(jsonResponse({ id: 1, email: 'a@b.c', is_staff: false }));

    // when
    const me = await api.get('/api/v1/me/');

    // then
    expect(me).toEqual({ id: 1, email: 'a@b.c', is_staff: false });
    expect(fetchMock.mock.calls[0]?.[1]?.credentials).toBe('same-origin');
  });

  it('puts query parameters on the URL', async () => {
    // given
    const fetchMock = stubFetch(
      jsonResponse({ count: 0, next: null, previous: null, results: [] }),
    );

    // when
    await api.get('/api/v1/tokens/', { query: { page: 2, search: undefined } });

    // then
    expect(fetchMock.mock.calls[0]?.[0]).toBe('/api/v1/tokens/?page=2');
  });

  it('sends the CSRF cookie as X-CSRFToken on unsafe methods, with a JSON body', async () => {
    // given
    document.cookie = 'csrftoken=abc123';
    const fetchMock = stubFetch(jsonResponse({ id: 3 }, 201));

    // when
    await api.post('/api/v1/tokens/', { name: 'laptop' });

    // then
    const headers = sentHeaders(fetchMock);
    expect(headers.get('X-CSRFToken')).toBe('abc123');
    expect(headers.get('Content-Type')).toBe('application/json');
    expect(fetchMock.mock.calls[0]?.[1]?.method).toBe('POST');
    expect(fetchMock.mock.calls[0]?.[1]?.body).toBe('{"name":"laptop"}');
  });

  it('does not send the CSRF header on reads', async () => {
    // given
    document.cookie = 'csrftoken=abc123';
    const fetchMock = stubFetch(jsonResponse({}));

    // when
    await api.get('/api/v1/me/');

    // then
    expect(sentHeaders(fetchMock).has('X-CSRFToken')).toBe(false);
  });

  it('turns the error shape into an ApiError with per-field messages', async () => {
    // given
    stubFetch(
      jsonResponse(
        {
          error: {
            code: 'validation_error',
            message: 'name: This field is required.',
            fields: { name: ['This field is required.', 'Second message.'] },
          },
        },
        400,
      ),
    );

    // when
    const error = await api.post('/api/v1/tokens/', {}).catch((caught: unknown) => caught);

    // then
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('validation_error');
    expect(apiError.message).toBe('name: This field is required.');
    expect(apiError.fieldMessage('name')).toBe('This field is required.');
    expect(apiError.fieldMessage('other')).toBeUndefined();
  });

  it('reports a non-JSON failure (such as an HTML error page) by its status', async () => {
    // given
    stubFetch(
      new Response('<h1>Forbidden (403)</h1>', {
        status: 403,
        statusText: 'Forbidden',
        headers: { 'Content-Type': 'text/html' },
      }),
    );

    // when
    const error = (await api
      .delete('/api/v1/tokens/3/')
      .catch((caught: unknown) => caught)) as ApiError;

    // then
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(403);
    expect(error.code).toBe('http_error');
    expect(error.message).toBe('The server answered 403 Forbidden.');
    expect(error.fields).toEqual({});
  });

  it('resolves a 204 to undefined', async () => {
    // given
    stubFetch(new Response(null, { status: 204 }));

    // when
    const result = await api.delete('/api/v1/tokens/3/');

    // then
    expect(result).toBeUndefined();
  });

  it('reports an unreachable server as a network error', async () => {
    // given
    stubFetch(new TypeError('Failed to fetch'));

    // when
    const error = (await api.get('/api/v1/me/').catch((caught: unknown) => caught)) as ApiError;

    // then
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe('network_error');
    expect(error.status).toBe(0);
  });
});
