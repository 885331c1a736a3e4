import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { WsMessage } from './comfy-types.ts';
import type { Logger } from './logger.ts';
import { jitteredBackoffMs } from './resilience.ts';

export interface ComfySocketOptions {
  /** ws:// URL of /ws, without the query. */
  url: string;
  clientId: string;
  logger: Logger;
  /** First reconnect wait; doubles with jitter up to `reconnectMaxMs`. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** ws-level ping period; a ping unanswered for a whole period ends the socket (zombie watchdog). */
  pingIntervalMs: number;
  /** How long an unused socket stays open, so back-to-back generations share it. */
  lingerMs: number;
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'waiting';

/**
 * ComfyUI's WebSocket for one backend, shared by every generation on it (reference §4).
 * Reconnects with the same clientId only after the old socket has closed (v0.3.64 would route
 * events to nowhere otherwise), with exponential backoff and jitter, while anyone uses it.
 *
 * Events: 'message' (WsMessage), 'open', 'close' ({code, wasOpen}).
 */
export class ComfySocket extends EventEmitter {
  readonly #opts: ComfySocketOptions;
  #ws: WebSocket | null = null;
  #state: SocketState = 'idle';
  #users = 0;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pingTimer: NodeJS.Timeout | null = null;
  #awaitingPong = false;
  #closed = false;
  #lingerTimer: NodeJS.Timeout | null = null;
  /** A socket being closed: a new one with the same clientId waits for its close. */
  #closing: WebSocket | null = null;
  /** Times the socket was lost while in use; exposed for tests and the pool. */
  drops = 0;

  constructor(opts: ComfySocketOptions) {
    super();
    this.#opts = opts;
    this.setMaxListeners(0);
  }

  get state(): SocketState {
    return this.#state;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** Marks one more user; connects if needed. Pair with release(). */
  retain(): void {
    this.#users++;
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    if (this.#state === 'idle' && !this.#closing) this.#connect();
  }

  release(): void {
    this.#users = Math.max(0, this.#users - 1);
    if (this.#users > 0 || this.#lingerTimer) return;
    this.#lingerTimer = setTimeout(() => {
      this.#lingerTimer = null;
      if (this.#users === 0) this.#shutdown();
    }, this.#opts.lingerMs);
    this.#lingerTimer.unref();
  }

  /** Resolves when open, or after `timeoutMs` (false): callers fall back to polling. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.#state === 'open') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.off('open', onOpen);
        resolve(ok);
      };
      const onOpen = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.once('open', onOpen);
    });
  }

  /** Ends the socket for good (client closed). */
  close(): void {
    this.#closed = true;
    this.#users = 0;
    this.#shutdown();
    this.removeAllListeners();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#state = 'connecting';
    const url = `${this.#opts.url}?clientId=${encodeURIComponent(this.#opts.clientId)}`;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.#ws = ws;
    let wasOpen = false;
    ws.on('open', () => {
      if (this.#ws !== ws) return;
      wasOpen = true;
      this.#attempt = 0;
      this.#state = 'open';
      this.#startPing(ws);
      this.emit('open');
    });
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
    ws.on('message', (raw, isBinary) => {
      if (isBinary || this.#ws !== ws) return; // previews and progress text are not needed
      let msg: WsMessage;
      try {
        msg = JSON.parse(raw.toString()) as WsMessage;
      } catch {
        return;
      }
      if (msg && typeof msg.type === 'string') this.emit('message', msg);
    });
    ws.on('error', (err) => {
      this.#opts.logger.debug({ err: String(err) }, 'comfyui socket error');
    });
    ws.on('close', (code) => {
      if (this.#ws !== ws) return;
      this.#stopPing();
      this.#ws = null;
      if (wasOpen) this.drops++;
      this.emit('close', { code, wasOpen });
      if (this.#users > 0 && !this.#closed) this.#scheduleReconnect();
      else this.#state = 'idle';
    });
  }

  #scheduleReconnect(): void {
    this.#state = 'waiting';
    const delay = jitteredBackoffMs(this.#attempt++, this.#opts.reconnectBaseMs, this.#opts.reconnectMaxMs);
    this.#opts.logger.debug({ delay, attempt: this.#attempt }, 'comfyui socket reconnecting');
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#users > 0) this.#connect();
      else this.#state = 'idle';
    }, delay);
  }

  #startPing(ws: WebSocket): void {
    this.#awaitingPong = false;
    this.#pingTimer = setInterval(() => {
      if (this.#awaitingPong) {
        this.#opts.logger.warn({}, 'comfyui socket unresponsive, reconnecting');
        ws.terminate(); // 'close' follows, then the usual reconnect
        return;
      }
      this.#awaitingPong = true;
      try {
        ws.ping();
      } catch {
        // closing already
      }
    }, this.#opts.pingIntervalMs);
    this.#pingTimer.unref();
  }

  #stopPing(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
  }

  #shutdown(): void {
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#stopPing();
    const ws = this.#ws;
    this.#ws = null;
    this.#state = 'idle';
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => {});
      this.#closing = ws;
      ws.once('close', () => {
        this.#closing = null;
        if (this.#users > 0 && this.#state === 'idle' && !this.#closed) this.#connect();
      });
      ws.terminate();
    }
  }
}
