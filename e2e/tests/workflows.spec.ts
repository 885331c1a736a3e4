import { expect, shot, test } from '../support/fixtures.ts';

test('workflow library: browse, view a built-in, duplicate it, edit a binding, delete the copy', async ({
  page,
}) => {
  await page.goto('/workflows');
  await expect(page.getByRole('heading', { name: 'Workflows', level: 1 })).toBeVisible();
  const tiles = page.getByRole('list', { name: 'Workflows' }).getByRole('listitem');
  await expect(tiles.first()).toBeVisible();
  await shot(page, 'workflow-library');
  await tiles.first().getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Bindings' })).toBeVisible();
  await expect(page.getByRole('row', { name: /^Prompt/ })).toContainText('→ text');
  await shot(page, 'workflow-detail');
  await page.getByRole('button', { name: 'Duplicate' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('(copy)');
  await page.getByRole('button', { name: 'Edit bindings' }).click();
  await page.getByLabel('CFG scale').selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Save bindings' }).click();
  await expect(page.getByRole('row', { name: /^CFG scale/ })).toContainText('not bound');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete workflow' }).click();
  await expect(page.getByRole('heading', { name: 'Workflows', level: 1 })).toBeVisible();
});

test('importing a UI-format save is refused with the way to export in API format', async ({ page }) => {
  await page.goto('/workflows');
  await page.getByRole('button', { name: 'Import workflow' }).click();
  await page.getByLabel('Name').fill('From the UI');
  await page
    .getByLabel('Workflow JSON (API format)')
    .fill(JSON.stringify({ last_node_id: 2, nodes: [{ id: 1 }], links: [] }));
  await expect(page.getByText(/Export \(API\)/).last()).toBeVisible();
  await page.getByRole('button', { name: 'Import workflow' }).click();
  await expect(page.getByLabel('Workflow JSON (API format)')).toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'workflow-import-refused');
});
