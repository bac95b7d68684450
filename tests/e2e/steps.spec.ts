import { expect, test, type Page } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

failOnBrowserErrors();

// The dataset's own steps in the browser (docs/steps.md): a rename of
// shop.orders' amount, on the dev portal's example warehouse (a DuckDB file
// made for the run, `steps: run` in the e2e config), planned from the Steps
// tab and run step by step (expand, backfill in batches of two rows, verify,
// switch), then rolled back step by step, which leaves the warehouse as it
// was for the other specs.
const shot = (page: Page, name: string) =>
  page.screenshot({
    path: `tests/e2e/screenshots/${name}.png`,
    fullPage: true,
  });

test("a dataset's steps run one by one on the example warehouse, then rolled back", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const title = 'Rename amount (steps)';
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  // 1. The migration, from the dataset's tab.
  await page.goto('/catalog/default/resource/shop-orders');
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  await page.getByRole('button', { name: 'New migration' }).click();
  await page.getByRole('button', { name: /Column/ }).click();
  await page.getByRole('option', { name: 'amount (DECIMAL(10, 2))' }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('amount_usd');
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('button', { name: 'Create the migration' }).click();
  await expect(page.getByRole('heading', { name: title })).toBeVisible();

  // 2. The step plan: every statement shown before anything runs.
  await page.getByRole('tab', { name: 'Steps' }).click();
  await expect(page.getByText('No step plan yet')).toBeVisible();
  await page.getByRole('textbox', { name: /Batch key/ }).fill('id');
  await page.getByRole('textbox', { name: /Rows per batch/ }).fill('2');
  await page.getByRole('button', { name: 'Make a step plan' }).click();
  const steps = page.getByRole('list', { name: 'Steps on the warehouse' });
  await expect(steps).toBeVisible();
  await expect(page.getByRole('note')).toContainText('Nothing has run yet');
  await expect(
    page.getByRole('region', { name: 'Statements of Expand' }),
  ).toContainText('CREATE TABLE shop.orders__ripple_v2');
  await shot(page, 'steps-01-dry-run');

  const step = (name: string) => steps.getByRole('listitem', { name });
  async function run(name: string) {
    await step(name)
      .getByRole('button', { name: `Run ${name}` })
      .click();
    await expect(step(name).getByText('Done', { exact: true })).toBeVisible({
      timeout: 60_000,
    });
  }

  // 3. Run step by step: the backfill copies the six rows in three batches
  // of two, the verification's checks pass, the switch puts the view up.
  await run('Expand');
  await run('Backfill');
  await expect(
    step('Backfill').getByRole('progressbar', { name: 'Backfill' }),
  ).toBeVisible();
  await expect(step('Backfill')).toContainText('100% · 6 of 6 rows');
  await run('Verify the copy');
  await expect(step('Verify the copy')).toContainText(
    'The copy matches: every check passed',
  );
  await run('Switch');
  // The contract waits for the consumers (shop-report's patch is not even
  // reviewed).
  await expect(step('Contract')).toContainText(
    "Not yet: waiting for the consumers' rollout to start",
  );
  await shot(page, 'steps-02-switched');

  // 4. Rolled back, last step first: the warehouse as it was.
  async function rollBack(name: string) {
    await step(name)
      .getByRole('button', { name: `Roll back ${name}` })
      .click();
    await step(name).getByRole('textbox', { name: /Why/ }).fill('e2e');
    await step(name)
      .getByRole('button', { name: `Roll back ${name}` })
      .last()
      .click();
    await expect(
      step(name).getByText('Rolled back', { exact: true }),
    ).toBeVisible({ timeout: 60_000 });
  }
  await rollBack('Switch');
  await rollBack('Verify the copy');
  await rollBack('Backfill');
  await rollBack('Expand');
  await shot(page, 'steps-03-rolled-back');
});
