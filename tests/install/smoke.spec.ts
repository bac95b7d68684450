import { expect, Page, test } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

// Runs against a fresh create-app portal with Ripple installed from its
// packed tarballs by the README's lines (tests/install/run.sh), once for the
// new frontend system and once for the legacy one (RIPPLE_PORTAL_KIND).
const kind = process.env.RIPPLE_PORTAL_KIND ?? 'new';
const screenshots =
  process.env.RIPPLE_INSTALL_OUTPUT ?? '../../node_modules/.cache/install-test';

failOnBrowserErrors();

async function signIn(page: Page, path: string) {
  await page.goto(path);
  // The new system's template asks; the legacy one signs the guest in by itself.
  const enter = page.getByRole('button', { name: 'Enter' });
  const app = page.getByRole('navigation').first();
  await expect(enter.or(app).first()).toBeVisible({ timeout: 60_000 });
  if (await enter.isVisible()) await enter.click();
}

test('the backend answers: healthy, and Ripple mounted behind Backstage auth', async ({
  request,
}) => {
  const ready = await request.get('/.backstage/health/v1/readiness');
  expect(ready.status()).toBe(200);
  // 401, not 404: the plugin is mounted and refuses calls without a token.
  const engine = await request.get('/api/ripple/engine');
  expect(engine.status()).toBe(401);
});

test('the Ripple page is in the sidebar and lists migrations from the backend', async ({
  page,
}) => {
  await signIn(page, '/');
  await page.getByRole('link', { name: 'Ripple' }).first().click();
  await expect(page).toHaveURL(/\/ripple$/);
  await expect(page.getByRole('heading', { name: 'Migrations' })).toBeVisible();
  // Answered by the backend, through the plugin's client and the user's token.
  await expect(page.getByText('No migrations yet')).toBeVisible();
});

test("a dataset's Migrations tab renders and previews a change in the browser", async ({
  page,
}) => {
  // Four cores, as the browser tells the page: the preview then runs its
  // rewrites in two of the engine's Web Workers (on 2 cores it keeps them on
  // the page's thread), and this proves the bundle's workers load.
  await page.addInitScript(() => {
    Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 4 });
  });
  await signIn(page, '/catalog/default/resource/orders');
  // A tab in the legacy entity layout, a link in the new system's header.
  await page
    .getByRole('tab', { name: 'Migrations' })
    .or(page.getByRole('link', { name: 'Migrations', exact: true }))
    .first()
    .click();
  await expect(
    page.getByText('No migration of this dataset yet'),
  ).toBeVisible();
  await page.getByRole('button', { name: 'New migration' }).click();

  const preview = page.getByRole('region', { name: 'Impact preview' });
  await expect(preview).toContainText('to see the impact');
  // Every edit is computed by the WebAssembly engine in the page, over the
  // consumers' code the backend handed over once: no request per edit.
  const requests: string[] = [];
  page.on('request', r => requests.push(r.url()));
  await page.getByRole('button', { name: /Column$/ }).click();
  await page.getByRole('option', { name: /^amount\b/ }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('amount_usd');
  await expect(
    preview.getByText(
      /Computed in your browser in [\d.]+ ms over \d+ consumers/,
    ),
  ).toBeVisible();
  await expect(
    preview.getByRole('list', { name: 'Affected consumers' }),
  ).toContainText('component:default/orders-export');
  expect(requests.filter(url => url.includes('/api/ripple'))).toEqual([]);
  // The portal's bundler emitted the engine's Web Worker, and the preview's
  // rewrites ran there.
  expect(page.workers().length).toBeGreaterThan(0);
  await page.screenshot({
    path: `${screenshots}/${kind}-dataset-preview.png`,
    fullPage: true,
  });
});
