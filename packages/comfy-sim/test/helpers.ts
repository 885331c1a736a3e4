/** Test helpers: a WebSocket client that records frames and lets a test await one, and small HTTP calls. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { BUILTIN_WORKFLOWS } from '@framesmith/core';

const execFileAsync = promisify(execFile);

export interface Frame {
  type: string;
  data: Record<string, unknown>;
}

export class WsClient {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closeCode: number | null = null;
  #waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  #closeWaiters: ((code: number) => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as Frame;
      this.frames.push(f);
      for (const w of [...this.#waiters]) {
        if (w.test(f)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    });
    this.ws.on('error', () => {});
    this.ws.on('close', (code) => {
      this.closeCode = code;
      for (const w of this.#closeWaiters.splice(0)) w(code);
    });
  }

  static async open(baseUrl: string, clientId: string, path = '/ws'): Promise<WsClient> {
    const c = new WsClient(`${baseUrl.replace(/^http/, 'ws')}${path}?clientId=${clientId}`);
    await c.waitFor((f) => f.type === 'status');
    return c;
  }

  /** Resolves with the first frame (already received or future) that matches. */
  waitFor(test: (f: Frame) => boolean): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  /** Waits for a frame that arrives after this call. */
  next(test: (f: Frame) => boolean): Promise<Frame> {
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  waitClosed(): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  done(promptId: string): Promise<Frame> {
    return this.waitFor(
      (f) => f.type === 'executing' && f.data['node'] === null && f.data['prompt_id'] === promptId,
    );
  }

  ofPrompt(promptId: string): Frame[] {
    return this.frames.filter((f) => f.data?.['prompt_id'] === promptId);
  }

  close(): void {
    this.ws.terminate();
  }
}

export function t2vGraph(): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  const graph = structuredClone(BUILTIN_WORKFLOWS[0]!.graph) as Record<
    string,
    { class_type: string; inputs: Record<string, unknown> }
  >;
  // Small and short so renders are cheap.
  graph['6']!.inputs['width'] = 160;
  graph['6']!.inputs['height'] = 96;
  graph['6']!.inputs['length'] = 9;
  return graph;
}

export function i2vGraph(): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  const graph = structuredClone(BUILTIN_WORKFLOWS[1]!.graph) as Record<
    string,
    { class_type: string; inputs: Record<string, unknown> }
  >;
  graph['9']!.inputs['width'] = 160;
  graph['9']!.inputs['height'] = 96;
  graph['9']!.inputs['length'] = 5;
  return graph;
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, text };
}

export async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  return res.json();
}

export async function submit(
  baseUrl: string,
  graph: unknown,
  clientId: string | null,
  promptId?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await postJson(`${baseUrl}/prompt`, {
    prompt: graph,
    ...(clientId ? { client_id: clientId } : {}),
    ...(promptId ? { prompt_id: promptId } : {}),
  });
  return { status: r.status, body: r.json as Record<string, unknown> };
}

/** ffprobe's view of a media file: the first video stream's codec, size and frame count, and the duration. */
export async function probe(file: string): Promise<{
  codec: string;
  width: number;
  height: number;
  frames: number;
  duration: number;
}> {
  const { stdout } = await execFileAsync('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_frames:format=duration',
    '-of',
    'json',
    file,
  ]);
  const j = JSON.parse(stdout) as {
    streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[];
    format: { duration: string };
  };
  const s = j.streams[0]!;
  return {
    codec: s.codec_name,
    width: s.width,
    height: s.height,
    frames: Number(s.nb_read_frames),
    duration: Number(j.format.duration),
  };
}
