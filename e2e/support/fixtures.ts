import { resolve } from 'node:path';
import { type APIRequestContext, test as base, expect, type Page } from '@playwright/test';
import { type RunningApp, startApp } from './app-server.ts';

/**
 * `app`: one server and simulator per worker (tests create their own projects, and put the
 * simulator back the way they found it). Every page fails its test on a console error or an
 * uncaught exception, which includes responses that break the API contract.
 */
export const test = base.extend<{ consoleErrors: string[] }, { app: RunningApp }>({
  app: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern
    async ({}, use) => {
      const app = await startApp();
      await use(app);
      await app.stop();
    },
    { scope: 'worker', timeout: 90_000 },
  ],
  baseURL: async ({ app }, use) => {
    await use(app.baseURL);
  },
  consoleErrors: [
    async ({ page }, use, testInfo) => {
      const errors: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(err.message));
      await use(errors);
      // Resources that 404 on purpose are not errors of the UI.
      const real = errors.filter((e) => !/Failed to load resource/.test(e));
      if (testInfo.status === testInfo.expectedStatus) expect(real, 'console errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export interface SegmentInput {
  prompt: string;
  params?: Record<string, number>;
  workflowId?: string;
}

/** Small, fast clips: the simulator renders what is asked for. */
export const SMALL = { width: 256, height: 144, frames: 12, fps: 12 };

export async function createProject(request: APIRequestContext, name: string, segments: SegmentInput[] = []) {
  const res = await request.post('/api/projects', { data: { name } });
  expect(res.status()).toBe(201);
  const project = (await res.json()) as { id: string };
  const ids: string[] = [];
  for (const s of segments) {
    const r = await request.post(`/api/projects/${project.id}/segments`, { data: { params: SMALL, ...s } });
    expect(r.status(), await r.text()).toBe(201);
    ids.push(((await r.json()) as { id: string }).id);
  }
  return { id: project.id, segmentIds: ids };
}

export const segmentCard = (page: Page, n: number) =>
  page.getByRole('listitem', { name: new RegExp(`^Segment ${n} of \\d+$`) });

/** A full-page screenshot for people to look at (test-artifacts/, not compared). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({
    path: resolve(import.meta.dirname, '../../test-artifacts', `${name}.png`),
    fullPage: true,
  });
}
