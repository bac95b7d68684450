import { expect, test } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

failOnBrowserErrors();

test('the Ripple page runs the engine in the browser, live', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await page.getByRole('link', { name: 'Ripple' }).click();
  await expect(page).toHaveURL(/\/ripple$/);

  // The engine loaded in the browser and the backend answered with its own.
  await expect(page.getByText(/Engine \d+\.\d+\.\d+ running in your browser/)).toBeVisible();
  await expect(page.getByText(/backend engine \d+\.\d+\.\d+/)).toBeVisible();

  const tables = page.getByRole('region', { name: 'Tables' });
  await expect(tables).toContainText('proj.ds.orders, proj.ds.customers');
  await page.screenshot({ path: 'tests/e2e/screenshots/engine-playground.png', fullPage: true });

  // Every edit is analysed again, without a request to the backend.
  const requests: string[] = [];
  page.on('request', r => requests.push(r.url()));
  const sql = page.getByRole('textbox', { name: 'SQL' });
  await sql.fill('MERGE INTO lake.dim t USING lake.stg s ON t.id = s.id\nWHEN MATCHED THEN DELETE');
  await expect(tables).toContainText('lake.stg');
  await expect(tables).toContainText('lake.dim');
  expect(requests.filter(url => url.includes('/api/ripple'))).toEqual([]);

  await sql.fill('SELECT a\nFROM t WHERE');
  await expect(page.getByRole('alert')).toContainText(
    'Expected: an expression, found: EOF at line 2, column 13',
  );
});

test('the engine routes refuse requests without a Backstage token', async ({ request }) => {
  const res = await request.post('http://localhost:7007/api/ripple/engine/tables', {
    data: { sql: 'SELECT id FROM proj.ds.orders', dialect: 'bigquery' },
  });
  expect(res.status()).toBe(401);
});
