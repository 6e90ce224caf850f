import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '../../../../lib/api-client';
import { isAbortError, uploadDatasetVersion, type UploadProgress } from '../upload-dataset-version';

/** Records what the helper does with the request; the test plays the network through it. */
class FakeXhr {
  static last: FakeXhr;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  statusText = '';
  responseText = '';
  aborted = false;
  upload: { onprogress: ((event: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.(
      new ProgressEvent('progress', { loaded, total, lengthComputable: true }),
    );
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.onload?.();
  }
}

function version(overrides: Record<string, unknown> = {}) {
  return {
    id: 7,
    dataset: 3,
    number: 2,
    filename: 'plays.txt',
    status: 'validating',
    ...overrides,
  };
}

function start(signal?: AbortSignal) {
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  const file = new File(['to be or not to be'], 'plays & poems.txt', { type: 'text/plain' });
  const progress: UploadProgress[] = [];
  const promise = uploadDatasetVersion({
    datasetId: 3,
    file,
    columns: { text_column: 'body', prompt_column: '  ' },
    onProgress: (value) => progress.push(value),
    signal,
  });
  return { file, progress, promise, xhr: FakeXhr.last };
}

describe('uploadDatasetVersion', () => {
  it('streams the file itself as the body, with the CSRF header and the file name in the URL', () => {
    // given
    document.cookie = 'csrftoken=csrf-value';

    // when
    const { file, xhr } = start();

    // then
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe(
      '/api/v1/datasets/3/versions/?filename=plays+%26+poems.txt&text_column=body',
    );
    expect(xhr.body).toBe(file);
    expect(xhr.headers['Content-Type']).toBe('application/octet-stream');
    expect(xhr.headers['X-CSRFToken']).toBe('csrf-value');
  });

  it('reports progress and resolves with a new version on 201', async () => {
    // given
    const { progress, promise, xhr } = start();

    // when
    xhr.progress(6, 18);
    xhr.progress(18, 18);
    xhr.respond(201, version());

    // then
    expect(progress).toEqual([
      { loaded: 6, total: 18 },
      { loaded: 18, total: 18 },
    ]);
    await expect(promise).resolves.toEqual({ version: version(), created: true });
  });

  it('says when the server already had the same bytes (200)', async () => {
    // given
    const { promise, xhr } = start();

    // when
    xhr.respond(200, version({ number: 1, status: 'valid' }));

    // then
    await expect(promise).resolves.toMatchObject({ created: false, version: { number: 1 } });
  });

  it('rejects with the server’s quota message on 413', async () => {
    // given
    const { promise, xhr } = start();

    // when
    xhr.respond(413, {
      error: { code: 'quota_exceeded', message: 'Storage quota exceeded: 2 GB of 2 GB used.' },
    });

    // then
    const error: unknown = await promise.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 413, code: 'quota_exceeded' });
    expect((error as ApiError).message).toBe('Storage quota exceeded: 2 GB of 2 GB used.');
  });

  it('explains an oversized body refused by a proxy page that is not JSON', async () => {
    // given
    const { promise, xhr } = start();

    // when
    xhr.respond(413, '<html>Request Entity Too Large</html>');

    // then
    await expect(promise).rejects.toThrow('The file is larger than the server accepts.');
  });

  it('cancels the request when the signal aborts', async () => {
    // given
    const controller = new AbortController();
    const { promise, xhr } = start(controller.signal);
    xhr.progress(4, 18);

    // when
    controller.abort();

    // then
    const error: unknown = await promise.catch((caught: unknown) => caught);
    expect(xhr.aborted).toBe(true);
    expect(isAbortError(error)).toBe(true);
  });

  it('turns a dropped connection into a network error', async () => {
    // given
    const { promise, xhr } = start();

    // when
    xhr.onerror?.();

    // then
    await expect(promise).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });
});
