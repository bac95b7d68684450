import { expect, test, type Page } from '@playwright/test';
import { failOnBrowserErrors } from '@backstage/e2e-test-utils/playwright';

failOnBrowserErrors();

// Rollout timing in the browser (docs/rollout.md, "Timing"): a rollout whose
// plan's only delivery window opens in twelve hours shows its consumers
// waiting for it on the rollout tab; the kill switch stops every automatic
// step of the migration and resumes it. The plan's windows are set through
// the API (the page starts rollouts with the portal's plan), with the
// guest's own token; the migration has its own title, so the other specs'
// migrations of the same dataset are told apart.
const shot = (page: Page, name: string) =>
  page.screenshot({
    path: `tests/e2e/screenshots/${name}.png`,
    fullPage: true,
  });

test('a rollout waiting for its delivery window, and the kill switch', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const title = 'Rename amount (timing)';
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();

  // 1. A rename of amount, from the dataset's tab, analysed by the agent.
  await page.goto('/catalog/default/resource/orders');
  await page.getByRole('link', { name: 'Migrations', exact: true }).click();
  await page.getByRole('button', { name: 'New migration' }).click();
  await page.getByRole('button', { name: /Column/ }).click();
  await page.getByRole('option', { name: 'amount (NUMERIC)' }).click();
  await page.getByRole('textbox', { name: 'New name' }).fill('amount_minor');
  await page.getByRole('textbox', { name: 'Title' }).fill(title);
  await page.getByRole('button', { name: 'Create the migration' }).click();
  await expect(page).toHaveURL(/\/ripple\/migrations\/[0-9a-f-]+/);
  await expect(page.getByText('Proposed', { exact: true })).toBeVisible({
    timeout: 60_000,
  });
  const id = /\/ripple\/migrations\/([0-9a-f-]+)/.exec(page.url())![1];

  // 2. Started with one window, opening in twelve hours (UTC) for an hour,
  // its patches approved by the plan: nothing may be delivered before it.
  const refresh = await page.request.get(
    '/api/auth/guest/refresh?env=development',
    { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  );
  expect(refresh.status()).toBe(200);
  const token = (await refresh.json()).backstageIdentity.token;
  const opens = new Date(Date.now() + 12 * 3_600_000);
  const cron = `${opens.getUTCMinutes()} ${opens.getUTCHours()} * * *`;
  const started = await page.request.post(
    `/api/ripple/migrations/${id}/rollout/start`,
    {
      headers: { Authorization: `Bearer ${token}` },
      data: {
        plan: {
          autoApprove: true,
          windows: [{ cron, durationMinutes: 60, timeZone: 'UTC' }],
        },
      },
    },
  );
  expect(started.status(), await started.text()).toBe(200);

  // 3. The rollout tab: the plan's window, and its consumers waiting for it.
  await page.reload();
  await page.getByRole('tab', { name: 'Rollout' }).click();
  await expect(
    page.getByText(`Delivery windows: ${cron} for 60 min (UTC)`),
  ).toBeVisible({ timeout: 30_000 });
  const waiting = page.getByRole('list', {
    name: 'Consumers waiting before their delivery',
  });
  await expect(waiting).toBeVisible({ timeout: 60_000 });
  await expect(waiting).toContainText('waiting for the window at');
  await shot(page, 'timing-01-window-wait');

  // 4. The kill switch: every automatic step stops, then resumes.
  await page.getByRole('button', { name: 'Stop all automation' }).click();
  await page
    .getByRole('textbox', { name: /Why/ })
    .fill('Checking the window with the data team');
  await page.getByRole('button', { name: 'Stop every automatic step' }).click();
  const stopped = page.getByText('Automation stopped', { exact: true });
  await expect(stopped).toBeVisible();
  await expect(
    page.getByText('Reason: Checking the window with the data team'),
  ).toBeVisible();
  // The rollout's gate says why it is held.
  await expect(
    page.getByText(/Held: automation stopped by user:default\/guest/),
  ).toBeVisible();
  await shot(page, 'timing-02-stopped');
  await page.getByRole('button', { name: 'Resume automation' }).click();
  await expect(stopped).toBeHidden();
  await expect(
    page.getByRole('button', { name: 'Stop all automation' }),
  ).toBeVisible();
});
