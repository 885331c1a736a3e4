import { expectAccessible } from '../support/accessibility.ts';
import { createProject, expect, test } from '../support/fixtures.ts';

test('projects page, timeline, forms, dialogs, backends panel and workflow library pass axe (WCAG 2.1 AA)', async ({
  page,
  request,
}) => {
  const project = await createProject(request, 'Accessible', [
    { prompt: 'A calm lake' },
    { prompt: 'Birds take off' },
  ]);
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Accessible' })).toBeVisible();
  await expectAccessible(page, 'the projects page');

  await page.goto(`/projects/${project.id}`);
  await expect(page.getByRole('listitem', { name: /^Segment 1 of 2$/ })).toBeVisible();
  await page.getByRole('button', { name: 'Edit segment 1' }).click();
  await page.getByRole('button', { name: 'Add segment' }).click();
  await page
    .getByRole('form', { name: 'New segment' })
    .getByRole('button', { name: 'Add to timeline' })
    .click();
  await expect(
    page.getByRole('form', { name: 'New segment' }).getByLabel('Prompt', { exact: true }),
  ).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'the timeline with an edit form and a refused new segment');

  await page.getByRole('button', { name: /GPU backends/ }).click();
  await expect(page.getByRole('region', { name: 'GPU backends' })).toBeVisible();
  await expectAccessible(page, 'the backends panel');
  await page.keyboard.press('Escape');

  await page.getByRole('button', { name: 'Delete segment 2' }).click();
  await expect(page.getByRole('alertdialog')).toBeVisible();
  await expectAccessible(page, 'the delete dialog');
  await page.keyboard.press('Escape');

  await page.goto('/workflows');
  await page.getByRole('button', { name: 'Import workflow' }).click();
  await expectAccessible(page, 'the workflow library with the import form');
  await page.getByRole('list', { name: 'Workflows' }).getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'Graph' })).toBeVisible();
  await expectAccessible(page, 'a workflow');
});

test('keyboard only: skip link, then create a project and reach its first field', async ({ page }) => {
  await page.goto('/');
  // As a person would, start once the page has drawn its content: a Tab pressed while the
  // project list is still loading lands on whatever is focusable at that moment.
  await expect(page.getByLabel('Project name')).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Project name')).toBeFocused();
  await page.keyboard.type('Keyboard only');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Keyboard only', level: 1 })).toBeFocused();
});
