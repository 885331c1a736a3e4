import type { Page } from '@playwright/test';
import { createProject, expect, SMALL, segmentCard, shot, test } from '../support/fixtures.ts';

/** Waits until the header says every backend is healthy (the pool has seen the simulator again). */
async function backendsHealthy(page: Page) {
  await expect(page.getByRole('button', { name: /^(\d+) of \1 GPU backends healthy$/ })).toBeVisible({
    timeout: 30_000,
  });
}

async function playFinalVideo(page: Page, projectName: string) {
  const video = page.getByLabel(`Final video of ${projectName}`);
  await expect(video).toBeVisible();
  await video.evaluate((v: HTMLVideoElement) => {
    v.muted = true;
    return v.play();
  });
  await expect
    .poll(() => video.evaluate((v: HTMLVideoElement) => v.currentTime), { timeout: 20_000 })
    .toBeGreaterThan(0);
  expect(await video.evaluate((v: HTMLVideoElement) => v.duration)).toBeGreaterThan(0);
}

test('the seed flow: simulator down → render → error card with Retry → simulator up → Retry → clip and final video play', async ({
  page,
  app,
}) => {
  await page.goto('/');
  await page.getByLabel('Project name').fill('Seed flow');
  await page.getByRole('button', { name: 'Create project' }).click();
  const form = page.getByRole('form', { name: 'New segment' });
  for (const prompt of ['A lighthouse in a storm', 'The storm clears at sunrise']) {
    await form.getByLabel('Prompt', { exact: true }).fill(prompt);
    await form.getByLabel('Width').fill(String(SMALL.width));
    await form.getByLabel('Height').fill(String(SMALL.height));
    await form.getByLabel('Length (frames)').fill(String(SMALL.frames));
    await form.getByLabel('Frames per second').fill(String(SMALL.fps));
    await form.getByRole('button', { name: 'Add to timeline' }).click();
    await expect(page.getByText(prompt)).toBeVisible();
  }

  await app.sim.goDown();
  try {
    await page.getByRole('button', { name: 'Render', exact: true }).click();
    for (const n of [1, 2]) {
      const card = segmentCard(page, n);
      const error = card.getByRole('article', { name: 'Cannot reach the video generation service' });
      await expect(error).toBeVisible({ timeout: 60_000 });
      await expect(error.getByText('COMFYUI_CONNECTION_ERROR', { exact: true })).toBeVisible();
      await expect(error.getByRole('button', { name: 'Retry' })).toBeEnabled();
    }
    await shot(page, 'error-card-connection');
    // The header noticed too (the failures made it look again).
    await expect(page.getByRole('button', { name: '0 of 1 GPU backends healthy' })).toBeVisible();
  } finally {
    await app.sim.goUp();
  }

  await backendsHealthy(page);
  for (const n of [1, 2]) {
    await segmentCard(page, n).getByRole('button', { name: 'Retry' }).click();
  }
  for (const n of [1, 2]) {
    const card = segmentCard(page, n);
    await expect(card.getByText(/^Clip ready/)).toBeVisible({ timeout: 60_000 });
    await expect(card.getByRole('article')).toHaveCount(0);
  }
  // The clip of a segment plays inline.
  const clip = segmentCard(page, 1).getByLabel('Clip of segment 1');
  await expect
    .poll(() => clip.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 20_000 })
    .toBeGreaterThan(0);

  await playFinalVideo(page, 'Seed flow');
  await expect(page.getByRole('link', { name: 'Download MP4' })).toHaveAttribute('href', /\/api\/assets\//);
  await shot(page, 'timeline-completed');
});

test('a permanent error (missing model) shows what to change and no Retry button', async ({
  page,
  request,
  app,
}) => {
  const project = await createProject(request, 'Missing model', [{ prompt: 'A fox in a field of flowers' }]);
  app.sim.addFault({ kind: 'missing_model', count: 1 });
  try {
    await page.goto(`/projects/${project.id}`);
    await page.getByRole('button', { name: 'Render', exact: true }).click();
    const error = segmentCard(page, 1).getByRole('article', { name: 'A model file is missing' });
    await expect(error).toBeVisible({ timeout: 60_000 });
    await expect(error.getByText('COMFYUI_MISSING_MODEL', { exact: true })).toBeVisible();
    await expect(error.getByText('Needs a change')).toBeVisible();
    await expect(error.getByText(/What to change/)).toBeVisible();
    await expect(error.getByRole('button', { name: /retry/i })).toHaveCount(0);
    await error.getByText('Technical details').click();
    await expect(error.locator('details dl')).toBeVisible();
    await shot(page, 'error-card-missing-model');
    // The link leads to the workflow settings.
    await error.getByRole('link', { name: 'Open workflow settings' }).click();
    await expect(page.getByRole('heading', { name: 'Bindings' })).toBeVisible();
  } finally {
    app.sim.clearFaults();
  }
});

test('cancel a render while a segment is generating', async ({ page, request, app }) => {
  const project = await createProject(request, 'Cancel me', [
    { prompt: 'A very long take' },
    { prompt: 'Another take' },
  ]);
  app.sim.addFault({ kind: 'hang', variant: 'generation' });
  try {
    await page.goto(`/projects/${project.id}`);
    await page.getByRole('button', { name: 'Render', exact: true }).click();
    await expect(segmentCard(page, 1).getByText('Generating', { exact: true })).toBeVisible({
      timeout: 30_000,
    });
    await expect(page.getByRole('progressbar', { name: 'Render progress' })).toBeVisible();
    await shot(page, 'timeline-generating');
    await page.getByRole('button', { name: 'Cancel render' }).click();
    for (const n of [1, 2]) {
      await expect(segmentCard(page, n).getByText('Cancelled: render again to generate it.')).toBeVisible();
    }
    await expect(page.getByRole('button', { name: 'Render', exact: true })).toBeEnabled();
    await page.getByText(/^Render history/).click();
    await expect(page.locator('.render-history__item').first()).toContainText('Cancelled');
  } finally {
    app.sim.clearFaults();
  }
});

test('live updates arrive with no reload and no polling, and cards do not jump', async ({
  page,
  request,
}) => {
  const project = await createProject(request, 'Live', [
    { prompt: 'Shot one' },
    { prompt: 'Shot two' },
    { prompt: 'Shot three' },
  ]);
  await page.goto(`/projects/${project.id}`);
  await expect(page.getByRole('status').filter({ hasText: 'Live' })).toBeVisible();
  await page.evaluate(() => {
    const w = window as unknown as { __shift: number };
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as { value: number; hadRecentInput: boolean }[]) {
        if (!e.hadRecentInput) w.__shift += e.value;
      }
    }).observe({ type: 'layout-shift' });
  });
  const reads: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.method() === 'GET' && path.startsWith(`/api/projects/${project.id}`)) reads.push(path);
  });

  // Rendered from elsewhere (the API), so nothing on this page asks for it.
  const res = await request.post(`/api/projects/${project.id}/render`);
  expect(res.status()).toBe(202);
  for (const n of [1, 2, 3]) {
    await expect(segmentCard(page, n).getByText(/^Clip ready/)).toBeVisible({ timeout: 60_000 });
  }
  await expect(page.getByLabel('Final video of Live')).toBeVisible({ timeout: 60_000 });
  expect(reads, 'the page must not poll for status').toEqual([]);
  // Status changes keep every card where it was (the final video appears beside, not above).
  const shift = await page.evaluate(() => (window as unknown as { __shift: number }).__shift);
  expect(shift).toBeLessThan(0.01);
});
