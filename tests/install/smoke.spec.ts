import { expect, Page, test } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

// Runs against a fresh create-app portal with Ripple installed from its
// packed tarballs by the README's lines (tests/install/run.sh), once for the
// new frontend system and once for the legacy one (RIPPLE_PORTAL_KIND).
const kind = process.env.RIPPLE_PORTAL_KIND ?? 'new';
const screenshots = process.env.RIPPLE_INSTALL_OUTPUT ?? '../../node_modules/.cache/install-test';

failOnBrowserErrors();

async function signIn(page: Page, path: string) {
  await page.goto(path);
  // The new system's template asks; the legacy one signs the guest in by itself.
  const enter = page.getByRole('button', { name: 'Enter' });
  const app = page.getByRole('navigation').first();
  await expect(enter.or(app).first()).toBeVisible({ timeout: 60_000 });
  if (await enter.isVisible()) await enter.click();
}

test('the backend answers: healthy, and Ripple mounted behind Backstage auth', async ({ request }) => {
  const ready = await request.get('/.backstage/health/v1/readiness');
  expect(ready.status()).toBe(200);
  // 401, not 404: the plugin is mounted and refuses calls without a token.
  const engine = await request.get('/api/ripple/engine');
  expect(engine.status()).toBe(401);
});

test('the Ripple page runs the engine in the browser next to the backend one', async ({ page }) => {
  await signIn(page, '/ripple');
  await expect(page.getByText(/Engine \d+\.\d+\.\d+ running in your browser/)).toBeVisible();
  // Answered by the backend, through the plugin's client and the user's token.
  await expect(page.getByText(/backend engine \d+\.\d+\.\d+/)).toBeVisible();

  const requests: string[] = [];
  page.on('request', r => requests.push(r.url()));
  const tables = page.getByRole('region', { name: 'Tables' });
  await page.getByRole('textbox', { name: 'SQL' }).fill('INSERT INTO lake.daily SELECT id FROM lake.orders');
  await expect(tables).toContainText('lake.orders');
  await expect(tables).toContainText('lake.daily');
  expect(requests.filter(url => url.includes('/api/ripple'))).toEqual([]);
  await page.screenshot({ path: `${screenshots}/${kind}-ripple-page.png`, fullPage: true });
});

test("a dataset's Migrations tab renders", async ({ page }) => {
  await signIn(page, '/catalog/default/resource/orders');
  await page.getByRole('tab', { name: 'Migrations' }).click();
  await expect(page.getByRole('button', { name: 'New migration' })).toBeVisible();
  await page.screenshot({ path: `${screenshots}/${kind}-dataset-migrations.png`, fullPage: true });
});
