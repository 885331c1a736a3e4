import { createProject, expect, segmentCard, shot, test } from '../support/fixtures.ts';

test('create a project, add segments in the form, reorder by drag and drop, and the order survives a reload', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
  await page.getByLabel('Project name').fill('Drag and drop');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('heading', { name: 'Drag and drop', level: 1 })).toBeVisible();

  const form = page.getByRole('form', { name: 'New segment' });
  for (const prompt of ['First: a fox wakes up', 'Second: the fox runs', 'Third: the fox sleeps']) {
    await form.getByLabel('Prompt', { exact: true }).fill(prompt);
    await form.getByLabel('Width').fill('256');
    await form.getByLabel('Height').fill('144');
    await form.getByRole('button', { name: 'Add to timeline' }).click();
    await expect(page.getByText(prompt)).toBeVisible();
  }
  await expect(page.getByRole('listitem', { name: /^Segment \d of 3$/ })).toHaveCount(3);

  // Drag the third card by its handle above the first.
  const handle = page.getByRole('button', { name: 'Reorder segment 3' });
  const target = segmentCard(page, 1);
  const from = (await handle.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2, from.y - 10, { steps: 5 });
  await page.mouse.move(to.x + 40, to.y + 5, { steps: 15 });
  const saved = page.waitForResponse((r) => r.url().endsWith('/segments/reorder'));
  await page.mouse.up();
  expect((await saved).ok()).toBe(true);
  await expect(segmentCard(page, 1)).toContainText('Third: the fox sleeps');
  await page.reload();
  await expect(segmentCard(page, 1)).toContainText('Third: the fox sleeps');
  await expect(segmentCard(page, 2)).toContainText('First: a fox wakes up');
  await expect(segmentCard(page, 3)).toContainText('Second: the fox runs');
});

test('reorder by keyboard: pick up with Space, move with the arrows, drop with Space', async ({
  page,
  request,
}) => {
  const project = await createProject(request, 'Keyboard order', [
    { prompt: 'alpha shot' },
    { prompt: 'bravo shot' },
    { prompt: 'charlie shot' },
  ]);
  await page.goto(`/projects/${project.id}`);
  // dnd-kit announces each step in its live region: wait for it, as a screen reader user would hear
  // it, and for the frames in which it measures the cards before the next key.
  const announced = async (text: string | RegExp) => {
    await expect(page.getByRole('status').filter({ hasText: text })).toBeAttached();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  };
  await page.getByRole('button', { name: 'Reorder segment 1' }).focus();
  await page.keyboard.press('Space');
  // Picking up is announced, then at once where it is (over its own place).
  await announced(/Picked up segment 1\.|Segment 1 is over position 1\./);
  await page.keyboard.press('ArrowDown');
  await announced('Segment 1 is over position 2.');
  await page.keyboard.press('ArrowDown');
  await announced('Segment 1 is over position 3.');
  const saved = page.waitForResponse((r) => r.url().endsWith('/segments/reorder'));
  await page.keyboard.press('Space');
  expect((await saved).ok()).toBe(true);
  await expect(segmentCard(page, 3)).toContainText('alpha shot');
  await page.reload();
  await expect(segmentCard(page, 1)).toContainText('bravo shot');
  await expect(segmentCard(page, 3)).toContainText('alpha shot');
});

test('the API validation message appears beside its field', async ({ page, request }) => {
  const project = await createProject(request, 'Validation');
  await page.goto(`/projects/${project.id}`);
  const form = page.getByRole('form', { name: 'New segment' });
  await form.getByLabel('Prompt', { exact: true }).fill('Too wide');
  await form.getByLabel('Width').fill('5000');
  await form.getByRole('button', { name: 'Add to timeline' }).click();
  await expect(form.getByLabel('Width')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('must be at most 4096')).toBeVisible();
});

test('projects list: summary, rename, delete with confirmation', async ({ page, request }) => {
  const project = await createProject(request, 'To be renamed', [{ prompt: 'one' }, { prompt: 'two' }]);
  await page.goto('/');
  const row = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'To be renamed' }) });
  await expect(row).toContainText('0 of 2 clips done');
  await expect(row).toContainText('Never rendered');
  await shot(page, 'projects');
  await row.getByRole('button', { name: 'Rename To be renamed' }).click();
  await page.getByLabel('New name').fill('Renamed project');
  await page.getByLabel('New name').press('Enter');
  await expect(page.getByRole('link', { name: 'Renamed project' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete Renamed project' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete “Renamed project”?' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Delete project' }).click();
  await expect(page.getByRole('link', { name: 'Renamed project' })).toHaveCount(0);
  expect((await request.get(`/api/projects/${project.id}`)).status()).toBe(404);
});
