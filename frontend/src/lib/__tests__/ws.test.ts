import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ReconnectingSocket, type SocketStatus } from '../ws';

/** Just enough of a WebSocket for the wrapper: the test plays the server through it. */
class FakeSocket {
  readyState: number = WebSocket.CONNECTING;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;

  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = WebSocket.CLOSED;
  }
  serverAccepts() {
    this.readyState = WebSocket.OPEN;
    this.onopen?.();
  }
  serverSends(data: string) {
    this.onmessage?.(new MessageEvent('message', { data }));
  }
  serverCloses(code: number) {
    this.readyState = WebSocket.CLOSED;
    this.onclose?.(new CloseEvent('close', { code }));
  }
}

function connect() {
  const sockets: FakeSocket[] = [];
  const socket = new ReconnectingSocket('ws://test/ws/notifications/', {
    initialDelayMs: 1_000,
    maxDelayMs: 8_000,
    heartbeatMs: 25_000,
    createSocket: () => {
      const fake = new FakeSocket();
      sockets.push(fake);
      return fake as unknown as WebSocket;
    },
  });
  const statuses: SocketStatus[] = [];
  socket.subscribeStatus((status) => statuses.push(status));
  socket.open();
  const latest = () => sockets[sockets.length - 1] as FakeSocket;
  return { socket, sockets, statuses, latest };
}

describe('ReconnectingSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('delivers JSON messages to subscribers and skips pongs and malformed frames', () => {
    // given
    const { socket, latest } = connect();
    const received: unknown[] = [];
    socket.subscribe((message) => received.push(message));
    latest().serverAccepts();

    // when
    latest().serverSends('{"type": "run.finished", "run_id": 7}');
    latest().serverSends('{"type": "pong"}');
    latest().serverSends('not json');
    latest().serverSends('[1, 2]');

    // then
    expect(received).toEqual([{ type: 'run.finished', run_id: 7 }]);
  });

  it('stops calling a listener once it unsubscribes', () => {
    // given
    const { socket, latest } = connect();
    const listener = vi.fn();
    const unsubscribe = socket.subscribe(listener);
    latest().serverAccepts();

    // when
    unsubscribe();
    latest().serverSends('{"type": "hello"}');

    // then
    expect(listener).not.toHaveBeenCalled();
  });

  it('reconnects after the connection drops, waiting longer each time', () => {
    // given
    vi.spyOn(Math, 'random').mockReturnValue(1); // no jitter: wait the full delay
    const { sockets, statuses, latest } = connect();
    latest().serverAccepts();

    // when
    latest().serverCloses(1006);
    vi.advanceTimersByTime(999);

    // then
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    // when: the retry fails too, the next wait doubles
    latest().serverCloses(1006);
    vi.advanceTimersByTime(1_999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);

    // then
    latest().serverAccepts();
    expect(statuses).toEqual(['connecting', 'open', 'connecting', 'open']);
  });

  it('gives up when the server refuses the user', () => {
    // given
    const { socket, sockets, latest } = connect();

    // when
    latest().serverCloses(4401);
    vi.advanceTimersByTime(60_000);

    // then
    expect(sockets).toHaveLength(1);
    expect(socket.getStatus()).toBe('closed');
  });

  it('pings while open so idle proxies keep the connection', () => {
    // given
    const { latest } = connect();
    latest().serverAccepts();

    // when
    vi.advanceTimersByTime(25_000);

    // then
    expect(latest().sent).toEqual(['{"type":"ping"}']);
  });

  it('does not reconnect after close, and can be opened again', () => {
    // given
    const { socket, sockets, latest } = connect();
    latest().serverAccepts();

    // when
    socket.close();
    latest().serverCloses(1000);
    vi.advanceTimersByTime(60_000);

    // then
    expect(sockets).toHaveLength(1);
    expect(socket.getStatus()).toBe('closed');

    // when
    socket.open();

    // then
    expect(sockets).toHaveLength(2);
    expect(socket.getStatus()).toBe('connecting');
  });
});
