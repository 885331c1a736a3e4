// Web UI figures: the gzipped size of the initial bundle, and the time until the timeline of a
// 50-segment project is interactive in Chromium (Playwright, performance timing).
//
//   npm run build:web && npx node bench/web-timeline.ts [--runs=5] [--segments=50]
//
// "Interactive": all cards are on screen, the last card's Edit button works (a click opens its
// form), measured from the navigation's time origin. Each run uses a fresh browser context (cold
// cache). The server is the real one on PGlite with the simulator, as in the browser tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/chromium.ts';
import { startApp } from '../e2e/support/app-server.ts';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const RUNS = arg('runs', 5);
const SEGMENTS = arg('segments', 50);

const dist = resolve(import.meta.dirname, '../packages/web/dist');

function bundleSizes() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const gz = (file: string) => gzipSync(readFileSync(join(dist, file))).length;
  const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
  return {
    initial: initial.map((f) => ({ file: f, gzipBytes: gz(f) })),
    initialGzipBytes: initial.reduce((sum, f) => sum + gz(f), 0),
    allJsGzipBytes: all.reduce((sum, f) => sum + gz(`assets/${f}`), 0),
  };
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const sizes = bundleSizes();
const app = await startApp({ sim: { generationMs: 200 } });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.baseURL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  const project = await post('/api/projects', { name: `Bench ${SEGMENTS} segments` });
  for (let i = 0; i < SEGMENTS; i++) {
    await post(`/api/projects/${project.id}/segments`, {
      prompt: `Shot ${i + 1}: a slow pan across a snowy forest at dawn, cinematic light, mist between the trees`,
      params: { width: 832, height: 480, frames: 33, fps: 16 },
    });
  }

  const interactive: number[] = [];
  const firstCard: number[] = [];
  const editLatency: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${app.baseURL}/projects/${project.id}`, { waitUntil: 'commit' });
    await page.waitForFunction(() => document.querySelector('[data-segment-id]') !== null);
    firstCard.push(await page.evaluate(() => performance.now()));
    await page.waitForFunction((n) => document.querySelectorAll('[data-segment-id]').length === n, SEGMENTS);
    const edit = page.getByRole('button', { name: `Edit segment ${SEGMENTS}` });
    const clickedAt = await page.evaluate(() => performance.now());
    await edit.click();
    await page.getByRole('form', { name: `Edit segment ${SEGMENTS}` }).waitFor();
    const formAt = await page.evaluate(() => performance.now());
    interactive.push(formAt);
    editLatency.push(formAt - clickedAt);
    await context.close();
  }

  console.log('web-timeline');
  console.log(`  initial bundle (index.html scripts and styles), gzipped: ${kb(sizes.initialGzipBytes)}`);
  for (const f of sizes.initial) console.log(`    ${f.file}: ${kb(f.gzipBytes)}`);
  console.log(`  all JavaScript chunks, gzipped: ${kb(sizes.allJsGzipBytes)}`);
  console.log(`  ${SEGMENTS}-segment timeline, ${RUNS} cold runs (ms from navigation start):`);
  console.log(
    `    first card on screen: median ${median(firstCard).toFixed(0)} (${firstCard.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(
    `    interactive (last card's Edit opens its form): median ${median(interactive).toFixed(0)} (${interactive.map((x) => x.toFixed(0)).join(', ')})`,
  );
  console.log(`    click → form on screen: median ${median(editLatency).toFixed(0)} ms`);
} finally {
  await browser.close();
  await app.stop();
}
