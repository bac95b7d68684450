import { expect, test, type Page } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

failOnBrowserErrors();

// One person's whole journey on the example catalog, as the guest (a member
// of data-platform, which owns orders-export): a change of proj.ds.orders
// from its dataset page to the compatibility view of its rollout. Each step
// leaves a screenshot in tests/e2e/screenshots (ignored by git).
test.describe.configure({ mode: 'serial' });

const shot = (page: Page, name: string) =>
  page.screenshot({ path: `tests/e2e/screenshots/${name}.png`, fullPage: true });

test('a dataset change, from the live preview to the rollout and the compatibility view', async ({ page }) => {
  // Four cores, as the browser tells the page: the preview then runs its
  // rewrites in two of the engine's Web Workers (on 2 cores it keeps them on
  // the page's thread), and this proves the bundle's workers load.
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 4 });
  });
  test.setTimeout(420_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in once the app's navigation shows; the session survives reloads.
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  // 1. Open the dataset and its Migrations tab.
  await page.goto('/catalog/default/resource/orders');
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Migrations of this dataset' })).toBeVisible();
  await shot(page, '01-dataset-migrations');

  // 2. Build a rename, and watch the impact computed in the browser.
  await page.getByRole('button', { name: 'New migration' }).click();
  await expect(page.getByRole('heading', { name: 'New migration of proj.ds.orders' })).toBeVisible();
  const requests: string[] = [];
  page.on('request', r => requests.push(r.url()));
  await page.getByRole('button', { name: /Column/ }).click();
  await page.getByRole('option', { name: 'amount (NUMERIC)' }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('amount_usd');
  const preview = page.getByRole('region', { name: 'Impact preview' });
  await expect(preview.getByLabel('Impact summary')).toContainText('Consumers affected');
  const affected = preview.getByRole('list', { name: 'Affected consumers' });
  await expect(affected).toContainText('component:default/orders-export');
  // The table moves too, so that a compatibility view keeps the old name working.
  await page.getByRole('button', { name: 'Add another change' }).click();
  const second = page.getByRole('group', { name: 'Change 2' });
  await second.getByRole('button', { name: /Change/ }).click();
  await page.getByRole('option', { name: 'Move the table' }).click();
  await second.getByRole('textbox', { name: 'New table' }).fill('proj.sales.orders');
  await expect(preview).toContainText(/Computed in your browser in [\d.]+ ms/);
  // Its rewrites ran in the engine's Web Workers, off the page's thread.
  expect(page.workers().length).toBeGreaterThan(0);
  await affected.getByText('component:default/orders-export').click();
  await expect(affected).toContainText('amount_usd');
  expect(requests.filter(url => url.includes('/api/ripple'))).toEqual([]);
  await shot(page, '02-live-preview');

  // 3. Create it; the agent proposes a patch for every consumer.
  await page.getByRole('button', { name: 'Create the migration' }).click();
  await expect(page).toHaveURL(/\/ripple\/migrations\/[0-9a-f-]+/);
  const migrationUrl = page.url().split('?')[0];
  await expect(page.getByRole('heading', { name: /Rename amount to amount_usd/ })).toBeVisible();
  const ordersExport = page.getByRole('rowheader', { name: /orders-export/ });
  await expect(page.getByRole('row').filter({ has: ordersExport })).toContainText('Awaiting review', { timeout: 60_000 });
  await expect(page.getByText('Proposed', { exact: true })).toBeVisible({ timeout: 60_000 });
  await shot(page, '03-agent-proposals');

  // 4. Open orders-export, read its diff and approve it.
  await ordersExport.click();
  const consumer = page.getByRole('region', { name: 'Consumer component:default/orders-export' });
  await expect(consumer.getByRole('region', { name: 'Diff', exact: true })).toContainText('amount_usd');
  await consumer.getByRole('textbox', { name: /Comment/ }).fill('Matches the partner file format.');
  await consumer.getByRole('button', { name: 'Approve' }).click();
  await expect(consumer.getByRole('status')).toContainText('You approved patch v1.');
  await expect(consumer.getByRole('list', { name: 'Reviews' })).toContainText('Matches the partner file format.');
  await shot(page, '04-approved');

  // 5. The catalog entity of orders-export carries the decision (the catalog
  // module's annotation), and its Migrations tab shows it.
  const id = migrationUrl.split('/').pop()!;
  await page.goto('/catalog/default/component/orders-export');
  await expect(async () => {
    // What a person does to see the catalog's newest data: schedule a refresh.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(3_000);
    await page.reload();
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: /Inspect entity/ }).click();
    await page.getByRole('tab', { name: /Raw YAML/ }).click();
    await expect(page.getByRole('dialog')).toContainText(`ripple.io/review-decision.${id}: approve`, { timeout: 2_000 });
  }).toPass({ timeout: 180_000 });
  await shot(page, '05-catalog-annotation');
  await page.keyboard.press('Escape');
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  // Newest migration first.
  await expect(page.getByRole('list', { name: 'Reviews' }).first()).toContainText('Approved');
  await shot(page, '06-consumer-tab');

  // 6. The compatibility view's DDL, to copy and run before the rollout:
  // the table moves, and consumers not yet patched read it by its old name.
  await page.goto(`${migrationUrl}?tab=compat-view`);
  const ddl = page.getByRole('region', { name: 'Compatibility view DDL' });
  await expect(ddl).toContainText('CREATE');
  await expect(ddl).toContainText('proj.sales.orders');
  await expect(ddl.getByRole('button')).toBeVisible();
  await shot(page, '07-compat-view');
  await page.getByRole('button', { name: 'I ran it: mark the view applied' }).click();
  await expect(page.getByText(/✓ Applied by/)).toBeVisible();

  // 7. Start the rollout and advance it.
  await page.getByRole('tab', { name: 'Rollout' }).click();
  await page.getByRole('button', { name: 'Start the rollout' }).click();
  const waves = page.getByRole('list', { name: 'Waves' });
  await expect(waves.getByRole('listitem').first()).toContainText('Active');
  await expect(page.getByText('Rolling out', { exact: true }).first()).toBeVisible();
  await shot(page, '08-rollout-started');
  await page.getByRole('button', { name: /Advance to the next wave|Complete the rollout/ }).click();
  await expect(waves.getByRole('listitem').first()).toContainText('Completed');
  await expect(waves.getByRole('listitem').nth(1)).toContainText('Active');
  await shot(page, '09-rollout-advanced');

  // The burndown and the event log tell the story so far.
  await page.getByRole('tab', { name: 'Burndown' }).click();
  await expect(page.getByRole('img', { name: /Consumers remaining/ })).toBeVisible();
  await shot(page, '10-burndown');
  await page.getByRole('tab', { name: 'Events' }).click();
  await expect(page.getByRole('list', { name: 'Event log' })).toContainText('rollout', { ignoreCase: true });
  await shot(page, '11-events');

  // 8. The fleet dashboard counts it.
  await page.getByTestId('sidebar-root').getByRole('link', { name: 'Ripple' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'Rename amount to amount_usd' }).first()).toContainText('Rolling out');
  await shot(page, '12-fleet-dashboard');

  // 9. orders-export's Airflow task fails after its patch was delivered: an
  // OpenLineage FAIL run (as Airflow's integration posts it, with the dev
  // portal's token) is a breach of its health gate, and pauses the rollout.
  // Its wave comes first: the rollout is advanced until its patch is delivered.
  const ordersExportRow = page.getByRole('row').filter({ has: ordersExport });
  for (let advanced = 0; ; advanced++) {
    await page.goto(`${migrationUrl}?tab=consumers`);
    const delivered = await expect(ordersExportRow)
      .toContainText('delivered', { timeout: 10_000 })
      .then(() => true, () => false);
    if (delivered) break;
    expect(advanced).toBeLessThan(3);
    await page.getByRole('tab', { name: 'Rollout' }).click();
    await page.getByRole('button', { name: /Advance to the next wave|Complete the rollout/ }).click();
    await expect(page.getByText('Rolling out', { exact: true }).first()).toBeVisible();
  }
  const runId = crypto.randomUUID();
  for (const eventType of ['START', 'FAIL']) {
    const posted = await page.request.post('/api/ripple/api/v1/lineage', {
      headers: { Authorization: 'Bearer ripple-dev-openlineage-token' },
      data: {
        eventTime: new Date().toISOString(),
        producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
        schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        eventType,
        run: { runId },
        job: { namespace: 'airflow', name: 'orders_export.export' },
        inputs: [{ namespace: 'bigquery', name: 'proj.ds.orders' }],
        outputs: [],
      },
    });
    expect(posted.status()).toBe(200);
  }
  await page.getByRole('tab', { name: 'Rollout' }).click();
  // One failed run of one: its error rate is 1, its failed runs 1.
  await expect(page.getByText(/^component:default\/orders-export is unhealthy: errorRate 1 is above 0\.05; failedRuns 1 is above 0$/)).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByText('Paused', { exact: true }).first()).toBeVisible();
  await shot(page, '12b-rollout-paused-by-a-breach');
  // The consumer's health, with the source that judged it.
  await page.getByRole('tab', { name: 'Consumers' }).click();
  await ordersExport.click();
  await expect(consumer).toContainText('health unhealthy (from openlineage)');
  await expect(consumer).toContainText('Unhealthy: errorRate 1 is above 0.05; failedRuns 1 is above 0');
  await shot(page, '12c-consumer-health');
});

// The dev portal's example warehouse (docs/validation.md): shop-orders lives
// in a DuckDB file made for the run, and names it (ripple.io/warehouse). A
// change the engine patches right is validated `passed`; one whose retype
// changes what its consumer computes is validated `failed`, with the rows
// that differ. The time from creating a migration to its validation shown
// is printed (docs/validation.md, "Figures").
test("a dataset on a warehouse: each consumer's patch validated on real rows, passed and failed", async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  /** A new migration of shop-orders from its Migrations tab; when it was created. */
  async function createMigration(title: string, changes: (form: Page) => Promise<void>) {
    await page.goto('/catalog/default/resource/shop-orders');
    await page.getByRole('link', { name: 'Migrations', exact: true }).click();
    await page.getByRole('button', { name: 'New migration' }).click();
    await expect(page.getByRole('heading', { name: 'New migration of shop.orders' })).toBeVisible();
    await changes(page);
    const preview = page.getByRole('region', { name: 'Impact preview' });
    await expect(preview.getByRole('list', { name: 'Affected consumers' })).toContainText('component:default/shop-report');
    await page.getByRole('textbox', { name: 'Title' }).fill(title);
    const created = Date.now();
    await page.getByRole('button', { name: 'Create the migration' }).click();
    await expect(page.getByRole('heading', { name: title })).toBeVisible();
    return created;
  }
  const shopReport = page.getByRole('rowheader', { name: /shop-report/ });
  const consumer = page.getByRole('region', { name: 'Consumer component:default/shop-report' });
  const validation = consumer.getByRole('region', { name: 'Validation', exact: true });

  // 1. amount renamed: the engine's patch gives the same rows.
  const renamed = await createMigration('Rename amount in the example warehouse', async form => {
    await form.getByRole('button', { name: /Column/ }).click();
    await form.getByRole('option', { name: 'amount (DECIMAL(10, 2))' }).click();
    await form.getByRole('textbox', { name: 'New name' }).fill('amount_usd');
  });
  const passedRow = page.getByRole('row').filter({ has: shopReport });
  await expect(passedRow.getByText('Passed', { exact: true })).toBeVisible({ timeout: 60_000 });
  const seconds = (Date.now() - renamed) / 1000;
  await expect(passedRow).toContainText('1 passed');
  await shopReport.click();
  await expect(validation).toContainText('on example · 1 passed');
  const statement = validation.getByRole('listitem', { name: 'report.sql:1' });
  await expect(statement).toContainText('Passed');
  await expect(statement).toContainText('3 rows before, 3 after');
  await shot(page, '13-validation-passed');
  // eslint-disable-next-line no-console
  console.log(`example migration: created to its validation shown passed in ${seconds.toFixed(1)} s`);
  test.info().annotations.push({ type: 'validation shown passed after', description: `${seconds.toFixed(1)} s` });

  // 2. status renamed and amount retyped to INTEGER: the patch renames
  // status, and the report's revenue is no longer what it was.
  await createMigration('Retype amount in the example warehouse', async form => {
    await form.getByRole('button', { name: /Column/ }).click();
    await form.getByRole('option', { name: 'status (VARCHAR)' }).click();
    await form.getByRole('textbox', { name: 'New name' }).fill('order_status');
    await form.getByRole('button', { name: 'Add another change' }).click();
    const second = form.getByRole('group', { name: 'Change 2' });
    await second.getByRole('button', { name: /Change/ }).click();
    await form.getByRole('option', { name: 'Change a column’s type' }).click();
    await second.getByRole('button', { name: /Column/ }).click();
    await form.getByRole('option', { name: 'amount (DECIMAL(10, 2))' }).click();
    await second.getByRole('textbox', { name: 'New type' }).fill('INTEGER');
  });
  const failedRow = page.getByRole('row').filter({ has: shopReport });
  await expect(failedRow.getByText('Failed', { exact: true })).toBeVisible({ timeout: 60_000 });
  await shopReport.click();
  await expect(validation.getByText('Failed', { exact: true }).first()).toBeVisible();
  const failed = validation.getByRole('listitem', { name: 'report.sql:1' });
  await expect(failed).toContainText('Columns whose checksums differ: revenue');
  const differing = failed.getByRole('region', { name: 'Rows that differ at report.sql:1' });
  await expect(differing).toHaveAttribute('data-tone', 'blocked');
  // Revenue by status before (exact decimals) and after (rounded integers).
  await expect(differing).toContainText('paid, 3, 84.99');
  await expect(differing).toContainText('paid, 3, 85');
  await shot(page, '14-validation-failed');
});
