/**
 * startSimulator: the network life of the simulated ComfyUI. Listens (HTTP + WebSocket upgrade on
 * /ws and /api/ws), goes down and comes back on the same port, restarts, and closes cleanly.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeDirs, makePng } from './files.ts';
import { createRequestHandler } from './http-handler.ts';
import { SimCore } from './sim-core.ts';
import type { FaultSpec, SimOptions, Simulator } from './types.ts';

export async function startSimulator(opts: SimOptions = {}): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const sink = opts.log ?? (() => {});
  const log = (line: string) => sink(opts.name ? `${opts.name}: ${line}` : line);
  const ownsRoot = opts.outputDir === undefined;
  const root = opts.outputDir ?? mkdtempSync(path.join(tmpdir(), 'comfy-sim-'));
  const dirs = makeDirs(root);
  // A fresh ComfyUI ships input/example.png; the built-in image-to-video workflow loads it.
  const example = path.join(dirs.input, 'example.png');
  if (!existsSync(example)) writeFileSync(example, makePng(64, 64));
  const workDir = mkdtempSync(path.join(tmpdir(), 'comfy-sim-work-'));

  let server: Server | null = null;
  let port = opts.port ?? 0;
  let closed = false;
  let downTimer: NodeJS.Timeout | null = null;
  const hung = new Set<ServerResponse>();

  const dropConnections = () => {
    for (const res of hung) res.socket?.destroy();
    hung.clear();
    core.hub.dropAll();
    server?.closeAllConnections();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer({ keepAliveTimeout: 5000 }, handler);
      s.on('upgrade', (req, socket, head) => {
        const url = new URL(req.url ?? '/', 'http://sim.invalid');
        if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
          socket.end(
            'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n404: Not Found',
          );
          return;
        }
        core.hub.handleUpgrade(req, socket, head, url.searchParams.get('clientId'));
      });
      s.once('error', reject);
      s.listen(port, host, () => {
        s.off('error', reject);
        const addr = s.address();
        if (addr && typeof addr === 'object') port = addr.port;
        server = s;
        resolve();
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
      dropConnections();
      s.closeAllConnections();
    });

  const goDown = async () => {
    await stopListening();
    log('down: refusing connections');
  };
  const goUp = async () => {
    if (downTimer) clearTimeout(downTimer);
    downTimer = null;
    core.faults.remove((f) => f.kind === 'down');
    if (server || closed) return;
    await listen();
    log(`up again on ${host}:${port}`);
  };
  /** Down now; back up after ms (if given). */
  const downFor = (ms?: number) => {
    void goDown().then(() => {
      if (ms !== undefined && !closed) downTimer = setTimeout(() => void goUp(), ms);
    });
  };

  const restart = async (downMs = 0) => {
    core.restart();
    dropConnections();
    if (downMs > 0 && server) {
      await goDown();
      await new Promise((resolve) => {
        downTimer = setTimeout(resolve, downMs);
      });
      await goUp();
    }
    log('restarted: queue and history wiped');
  };

  const core: SimCore = new SimCore({
    dirs,
    workDir,
    options: opts,
    onCrash: (downMs) => {
      dropConnections();
      if (downMs > 0) downFor(downMs);
    },
    log,
  });

  const applyServerFaults = () => {
    const down = core.faults.peek(['down'])[0];
    if (down && server) {
      core.stats.faultsFired.down = (core.stats.faultsFired.down ?? 0) + 1;
      downFor(down.ms);
    }
  };

  const handler = createRequestHandler(core, {
    applyServerFaults,
    restart,
    goDown: (ms) => downFor(ms),
    version: opts.comfyuiVersion ?? '0.3.64',
    argv: () => ['main.py', '--listen', host, '--port', String(port)],
    vramTotal: opts.vramTotal ?? 25757220864,
    hung,
  });

  core.faults.set(opts.faults ?? []);
  core.startWorker();
  try {
    await listen();
  } catch (err) {
    // Port taken (or similar): leave nothing behind.
    closed = true;
    await core.stop();
    rmSync(workDir, { recursive: true, force: true });
    if (ownsRoot) rmSync(root, { recursive: true, force: true });
    throw err;
  }
  applyServerFaults();
  log(`listening on http://${host}:${port}`);

  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    get url() {
      return `http://${urlHost}:${port}`;
    },
    get port() {
      return port;
    },
    host,
    outputDir: dirs.output,
    inputDir: dirs.input,
    setFaults(f: FaultSpec[]) {
      core.faults.set(f);
      applyServerFaults();
    },
    addFault(f: FaultSpec) {
      core.faults.add(f);
      applyServerFaults();
    },
    clearFaults() {
      core.faults.clear();
    },
    faults: () => core.faults.list(),
    goDown,
    goUp,
    restart: (o) => restart(o?.downMs ?? 0),
    stats: () => core.snapshotStats(),
    async close() {
      if (closed) return;
      closed = true;
      if (downTimer) clearTimeout(downTimer);
      await stopListening();
      await core.stop();
      rmSync(workDir, { recursive: true, force: true });
      if (ownsRoot) rmSync(root, { recursive: true, force: true });
    },
  };
}
