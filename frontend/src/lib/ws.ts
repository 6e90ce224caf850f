/**
 * A same-origin WebSocket that speaks JSON and reconnects by itself. Listeners subscribe to
 * messages and to the connection status, and stay subscribed across reconnects. `open()` and
 * `close()` can be called repeatedly, which is what a React effect's setup and cleanup do.
 */

export type SocketStatus = 'connecting' | 'open' | 'closed';

/** Every server message is a JSON object with a `type`; the rest depends on the type. */
export interface SocketMessage {
  type: string;
  [key: string]: unknown;
}

export interface ReconnectingSocketOptions {
  /** Wait before the first retry; it doubles with each failed attempt. */
  initialDelayMs?: number;
  /** Upper bound on the wait, so a long outage still recovers within this time. */
  maxDelayMs?: number;
  /** Ping interval: proxies close sockets that stay silent (nginx's default is 60 s). */
  heartbeatMs?: number;
  /** Opens the underlying socket; tests pass a fake. */
  createSocket?: (url: string) => WebSocket;
}

// The server closes with these when the user is not allowed in; retrying cannot help, and a
// page reload sends them to the login page instead.
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4403, 4404]);

/** `ws://host/path` or `wss://host/path` for a path on the page's own origin. */
export function socketUrl(path: string): string {
  const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${window.location.host}${path}`;
}

function parseMessage(data: unknown): SocketMessage | null {
  if (typeof data !== 'string') return null;
  try {
    const value: unknown = JSON.parse(data);
    const isMessage =
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { type?: unknown }).type === 'string';
    return isMessage ? (value as SocketMessage) : null;
  } catch {
    return null;
  }
}

export class ReconnectingSocket<Message extends SocketMessage = SocketMessage> {
  private readonly url: string;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly heartbeatMs: number;
  private readonly createSocket: (url: string) => WebSocket;
  private readonly messageListeners = new Set<(message: Message) => void>();
  private readonly statusListeners = new Set<(status: SocketStatus) => void>();
  private socket: WebSocket | null = null;
  private status: SocketStatus = 'closed';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = true;

  constructor(url: string, options: ReconnectingSocketOptions = {}) {
    this.url = url;
    this.initialDelayMs = options.initialDelayMs ?? 1_000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? 25_000;
    this.createSocket = options.createSocket ?? ((socketUrl) => new WebSocket(socketUrl));
  }

  getStatus = (): SocketStatus => this.status;

  /** Calls `listener` with every message until the returned function is called. */
  subscribe = (listener: (message: Message) => void): (() => void) => {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  };

  /** Calls `listener` whenever the status changes, until the returned function is called. */
  subscribeStatus = (listener: (status: SocketStatus) => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  /** Sends one message; returns false when the socket is not open (nothing is queued). */
  send(message: SocketMessage): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Connects, and keeps reconnecting until `close()`. Does nothing if already open. */
  open(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    this.socket?.close(1000);
    this.socket = null;
    this.setStatus('closed');
  }

  private connect(): void {
    this.setStatus('connecting');
    const socket = this.createSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
      this.startHeartbeat();
    };
    socket.onmessage = (event: MessageEvent) => {
      const message = parseMessage(event.data);
      // A pong only proves the connection is alive; listeners want events.
      if (message === null || message.type === 'pong') return;
      for (const listener of this.messageListeners) listener(message as Message);
    };
    socket.onclose = (event: CloseEvent) => {
      // A socket replaced by close() and open() must not steer the new one.
      if (socket !== this.socket) return;
      this.stopHeartbeat();
      if (this.stopped || FINAL_CLOSE_CODES.has(event.code)) {
        this.setStatus('closed');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.attempt);
    this.attempt += 1;
    this.setStatus('connecting');
    // Jitter spreads out every open tab reconnecting at once after a server restart.
    this.retryTimer = setTimeout(() => this.connect(), delay * (0.5 + Math.random() / 2));
  }

  private startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => this.send({ type: 'ping' }), this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
  }

  private setStatus(status: SocketStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
