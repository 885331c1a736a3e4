/**
 * The WebSocket side of PromptServer: sockets by sid (the clientId), the first `status` frame, the
 * feature_flags handshake, and routing of events to one sid or to everyone.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { toComfyJson } from './node-catalog.ts';

export const SERVER_FEATURE_FLAGS = { supports_preview_metadata: true, max_upload_size: 104857600 };

export interface WsHubOptions {
  queueInfo: () => { exec_info: { queue_remaining: number } };
  /** The running prompt's client and node, for the reconnect `executing` frame. */
  executingFor: () => { clientId: string | null; nodeId: string | null };
  sameClientIdBug: boolean;
}

export class WsHub {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #sockets = new Map<string, WebSocket>();
  readonly #silenced = new WeakSet<WebSocket>();
  readonly #opts: WsHubOptions;

  constructor(opts: WsHubOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#sockets.size;
  }

  /** Upgrades a /ws request; `clientId` from the query, or a fresh hex id. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, clientId: string | null): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, clientId));
  }

  #attach(ws: WebSocket, clientId: string | null): void {
    const sid = clientId || randomUUID().replaceAll('-', '');
    // The newest socket with a sid takes over its routing; the old one stays open but gets nothing.
    this.#sockets.set(sid, ws);
    let first = true;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(String(data)) as { type?: unknown };
        if (first && msg?.type === 'feature_flags') this.#sendRaw(ws, 'feature_flags', SERVER_FEATURE_FLAGS);
      } catch {
        // ComfyUI logs invalid JSON and carries on
      }
      first = false;
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.#opts.sameClientIdBug) {
        // v0.3.64: pops by sid, even when a newer socket now owns it (protocol §4).
        this.#sockets.delete(sid);
      } else if (this.#sockets.get(sid) === ws) {
        this.#sockets.delete(sid);
      }
    });
    this.#sendRaw(ws, 'status', { status: this.#opts.queueInfo(), sid });
    const running = this.#opts.executingFor();
    if (running.clientId === sid && running.nodeId !== null) {
      this.#sendRaw(ws, 'executing', { node: running.nodeId });
    }
  }

  #sendRaw(ws: WebSocket, type: string, data: unknown): void {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(toComfyJson({ type, data }), () => {});
  }

  /** Sends to one sid (dropped if it is not connected), or to every socket when sid is null. */
  send(type: string, data: unknown, sid: string | null): void {
    if (sid === null) {
      for (const ws of this.#sockets.values()) if (!this.#silenced.has(ws)) this.#sendRaw(ws, type, data);
      return;
    }
    const ws = this.#sockets.get(sid);
    if (ws && !this.#silenced.has(ws)) this.#sendRaw(ws, type, data);
  }

  /** Abruptly closes this client's socket (the client sees close 1006). */
  drop(sid: string): boolean {
    const ws = this.#sockets.get(sid);
    if (!ws) return false;
    ws.terminate();
    this.#sockets.delete(sid);
    return true;
  }

  /**
   * Stops delivering anything to this sid's current socket while keeping it open (a zombie socket,
   * protocol §7 #16). A reconnect with the same clientId gets a fresh, working socket.
   */
  silence(sid: string): boolean {
    const ws = this.#sockets.get(sid);
    if (!ws) return false;
    this.#silenced.add(ws);
    return true;
  }

  /** Closes every socket abruptly (crash, restart, going down). */
  dropAll(): void {
    for (const ws of this.#sockets.values()) ws.terminate();
    for (const ws of this.#wss.clients) ws.terminate();
    this.#sockets.clear();
  }

  close(): Promise<void> {
    this.dropAll();
    return new Promise((resolve) => this.#wss.close(() => resolve()));
  }
}
