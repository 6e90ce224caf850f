/**
 * The one HTTP client for the Django API: same-origin session cookies, the CSRF header on
 * unsafe methods, JSON in and out, and every failure turned into an `ApiError` that carries
 * the server's `{"error": {code, message, fields}}` shape. Also the helpers that read request
 * and response types off the generated OpenAPI `paths`, so endpoint files never restate them.
 */
import type { paths } from './api-types';

type JsonContent<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body an endpoint answers with, e.g. `ApiResponse<'/api/v1/me/', 'get', 200>`. */
export type ApiResponse<
  Path extends keyof paths,
  Method extends keyof paths[Path],
  Status extends number,
> = paths[Path][Method] extends { responses: infer Responses }
  ? Status extends keyof Responses
    ? JsonContent<Responses[Status]>
    : never
  : never;

/** The JSON body an endpoint accepts, e.g. `ApiRequestBody<'/api/v1/tokens/', 'post'>`. */
export type ApiRequestBody<
  Path extends keyof paths,
  Method extends keyof paths[Path],
> = paths[Path][Method] extends { requestBody?: infer Body }
  ? JsonContent<NonNullable<Body>>
  : never;

/** A failed request, with the server's error code and per-field messages when it sent them. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** Seconds the server's `Retry-After` asked to wait (a 429 or 503), if it gave a number. */
  readonly retryAfterS: number | undefined;

  constructor(options: {
    status: number;
    code: string;
    message: string;
    fields?: Record<string, string[]>;
    retryAfterS?: number;
  }) {
    super(options.message);
    this.name = 'ApiError';
    this.status = options.status;
    this.code = options.code;
    this.fields = options.fields ?? {};
    this.retryAfterS = options.retryAfterS;
  }

  /** The first message the server gave for one field, for display next to that field. */
  fieldMessage(name: string): string | undefined {
    return this.fields[name]?.[0];
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

// Django's CsrfViewMiddleware checks these; GET/HEAD/OPTIONS must stay side-effect free anyway.
const UNSAFE_METHODS: ReadonlySet<Method> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function readCookie(name: string): string | undefined {
  for (const pair of document.cookie.split(';')) {
    const [key, ...rest] = pair.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string[]> };
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const { error } = value;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}

function isJson(response: Response): boolean {
  return (response.headers.get('Content-Type') ?? '').includes('application/json');
}

async function toApiError(response: Response): Promise<ApiError> {
  // Proxies and Django's own CSRF failure page answer with HTML, so the body may not be ours.
  const body: unknown = isJson(response) ? await response.json().catch(() => null) : null;
  const retryAfter = Number.parseInt(response.headers.get('Retry-After') ?? '', 10);
  const retryAfterS = Number.isNaN(retryAfter) ? undefined : retryAfter;
  if (isErrorBody(body)) {
    return new ApiError({ status: response.status, retryAfterS, ...body.error });
  }
  return new ApiError({
    status: response.status,
    retryAfterS,
    code: 'http_error',
    message: `The server answered ${response.status} ${response.statusText}`.trim() + '.',
  });
}

/**
 * Sends one request and resolves to the parsed JSON body. Responses without a JSON body
 * (204, or the page a form-style redirect lands on) resolve to `undefined`.
 */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers = new Headers({ Accept: 'application/json' });
  if (options.body !== undefined) headers.set('Content-Type', 'application/json');
  if (UNSAFE_METHODS.has(method)) {
    const csrfToken = readCookie('csrftoken');
    if (csrfToken) headers.set('X-CSRFToken', csrfToken);
  }

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    // A cancelled query is not a failure to report; let the caller see the abort as is.
    if (options.signal?.aborted) throw error;
    throw new ApiError({
      status: 0,
      code: 'network_error',
      message: 'Could not reach the server. Check your connection and try again.',
    });
  }

  if (!response.ok) throw await toApiError(response);
  if (response.status === 204 || !isJson(response)) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'GET' }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
  delete: <T = undefined>(path: string) => request<T>(path, { method: 'DELETE' }),
};
