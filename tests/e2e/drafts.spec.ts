import { expect, test, type Page } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';
import fs from 'node:fs/promises';
import path from 'node:path';

failOnBrowserErrors();

// A dataset's schema changes and Ripple drafts the migration (docs/backend.md,
// "Drafts from schema changes"). The catalog of the e2e portal is files:
// e2e-orders lives in .ripple/e2e/drafts, a copy of tests/e2e/drafts that
// the webServer command of playwright.config.ts makes for each run, and
// names its columns in a schema file (ripple.io/schema-file). Ripple's
// draft task reads that file again at each run (every 3 s here), so the
// journey changes the schema by editing the copy, as a producer's commit
// would, without the catalog having to process the entity again.
const schemaFile = path.resolve(__dirname, '../../.ripple/e2e/drafts/schema.yaml');

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `tests/e2e/screenshots/${name}.png`, fullPage: true });

test('a schema change becomes a draft on the dataset, whose suggested rename the owner confirms before starting it', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  // 1. The dataset is in the catalog, and its Migrations tab has no draft.
  await expect(async () => {
    await page.goto('/catalog/default/resource/e2e-orders');
    await expect(page.getByRole('link', { name: 'Migrations', exact: true })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 120_000 });
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Migrations of this dataset' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Drafts' })).toHaveCount(0);
  // The draft task's first sighting of the schema only records it: let a
  // few of its runs (every 3 s) see it before the schema changes.
  await page.waitForTimeout(10_000);

  // 2. The producer renames amount (declared) and status (the engine
  // infers it: same type, same place, a similar name).
  await fs.writeFile(
    schemaFile,
    `columns:
  - {name: id, type: INTEGER}
  - {name: amount_usd, type: INTEGER, renamed_from: amount}
  - {name: state, type: VARCHAR}
`,
  );

  // 3. The draft appears on the tab, first, with its change and impact.
  const drafts = page.getByRole('region', { name: 'Drafts' });
  await expect(async () => {
    await page.reload();
    await expect(drafts).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  await expect(drafts).toContainText('Schema change to shop.e2e_orders');
  await expect(drafts).toContainText('Drafted by Ripple from a change of the dataset’s schema');
  await expect(drafts).toContainText('rename amount → amount_usd');
  await expect(drafts.getByLabel('Consumers by verdict')).toContainText('Breaking1');
  const renames = drafts.getByRole('region', { name: 'Renames to confirm' });
  await expect(renames).toContainText('rename status → state');
  await expect(renames).toContainText('schema.yaml, line 4');
  await shot(page, 'drafts-01-draft');

  // 4. The owner confirms the suggested rename: it joins the change.
  await renames.getByRole('button', { name: /^Confirm / }).click();
  await expect(renames).toHaveCount(0);
  await expect(drafts).toContainText('rename status → state');
  await expect(drafts).not.toContainText('drop status');
  await shot(page, 'drafts-02-confirmed');

  // 5. Started, it is analysed as any migration, on its own page.
  await drafts.getByRole('button', { name: 'Start' }).click();
  await expect(page).toHaveURL(/\/ripple\/migrations\/[0-9a-f-]+/);
  await expect(page.getByRole('heading', { name: /Schema change to shop.e2e_orders/ })).toBeVisible();
  const report = page.getByRole('rowheader', { name: /e2e-orders-report/ });
  await expect(page.getByText('Proposed', { exact: true })).toBeVisible({ timeout: 90_000 });
  // The agent's verdict on the consumer, as the draft counted it.
  await expect(page.getByRole('row').filter({ has: report })).toContainText('Breaking');
  await shot(page, 'drafts-03-started');
});
