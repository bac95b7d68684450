import { expect, test, type Page } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

failOnBrowserErrors();

// A consumer's timeline and its red flag on its Migrations tab
// (docs/frontend.md, "Deadlines and a consumer's timeline"): the guest
// creates a migration of proj.ds.orders whose target date has passed, the
// agent proposes the patches, and orders-export's tab shows the steps done
// so far and flags it red. The migration has its own title, so the
// journey's migration of the same dataset (journey.spec.ts) is told apart.
const shot = (page: Page, name: string) =>
  page.screenshot({
    path: `tests/e2e/screenshots/${name}.png`,
    fullPage: true,
  });

test("a consumer's timeline on its Migrations tab, red once its target date has passed", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const title = 'Rename amount (people)';
  const yesterday = new Date(Date.now() - 86_400_000)
    .toISOString()
    .slice(0, 10);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  // 1. A rename of amount with a target date, from the dataset's tab.
  await page.goto('/catalog/default/resource/orders');
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  await page.getByRole('button', { name: 'New migration' }).click();
  await page.getByRole('button', { name: /Column/ }).click();
  await page.getByRole('option', { name: 'amount (NUMERIC)' }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('amount_cents');
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('textbox', { name: 'Target date' }).fill(yesterday);
  await page.getByRole('button', { name: 'Create the migration' }).click();
  await expect(page).toHaveURL(/\/ripple\/migrations\/[0-9a-f-]+/);
  await expect(page.getByTestId('target-date')).toHaveText(
    `Overdue since ${yesterday}`,
  );
  await expect(page.getByText('Proposed', { exact: true })).toBeVisible({
    timeout: 60_000,
  });

  // 2. The burndown shows the target date.
  await page.getByRole('tab', { name: 'Burndown' }).click();
  await expect(page.getByTestId('burndown-target')).toContainText(
    `target ${yesterday}`,
  );
  // Inside the chart: right of its left edge (the axis, at x = 40).
  const targetLine = page.getByTestId('burndown-target').locator('line');
  expect(Number(await targetLine.getAttribute('x1'))).toBeGreaterThanOrEqual(
    40,
  );
  await shot(page, 'people-01-burndown');

  // 3. orders-export's Migrations tab: the timeline, and the red flag.
  await page.goto('/catalog/default/component/orders-export/ripple');
  const timeline = page.getByRole('list', {
    name: `Timeline of ${title} for this entity`,
  });
  await expect(timeline).toBeVisible({ timeout: 30_000 });
  const step = (name: string) => timeline.locator(`[data-step="${name}"]`);
  await expect(step('created')).toHaveAttribute('data-state', 'done');
  await expect(step('proposed')).toHaveAttribute('data-state', 'done');
  await expect(step('reviewed')).toHaveAttribute('data-state', 'pending');
  await expect(step('merged')).toContainText('not yet');
  await expect(step('deadline')).toHaveAttribute('data-state', 'overdue');
  await expect(step('deadline')).toContainText(yesterday);
  const card = page.locator('[data-overdue="true"]').filter({ has: timeline });
  await expect(card.getByText(`Overdue since ${yesterday}`)).toBeVisible();
  await expect(card.getByText('Not done by the target date')).toBeVisible();
  await shot(page, 'people-02-consumer-timeline');
});
