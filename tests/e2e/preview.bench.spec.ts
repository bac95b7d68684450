import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

// A benchmark, not a test: how long the live preview takes per edit of the
// change, in the browser, for 100 consumers of typical size. Run it with
// `RIPPLE_BENCH=1 yarn playwright test tests/e2e/preview.bench.spec.ts`.
// The dataset's code route is answered here with 100 consumers built from
// the engine's TPC-H corpus (4 queries each, 2 KB of SQL, 12 of the 22
// queries read `orders`), so the figure does not depend on the example catalog.
test.skip(
  !process.env.RIPPLE_BENCH,
  'a benchmark: set RIPPLE_BENCH=1 to run it',
);

const corpus = path.resolve(__dirname, '../../rust-engine/engine/corpus/tpch');
const queries = fs
  .readdirSync(corpus)
  .filter(f => f.endsWith('.sql'))
  .sort()
  .map(f => ({
    name: f,
    content: fs.readFileSync(path.join(corpus, f), 'utf8'),
  }));

const consumers = Array.from({ length: 100 }, (_, i) => ({
  consumerRef: `component:default/pipeline-${i}`,
  discoveredBy: 'code',
  files: Array.from({ length: 4 }, (__, k) => {
    const q = queries[(i * 3 + k) % queries.length];
    return { path: `sql/${k}_${q.name}`, language: 'sql', content: q.content };
  }),
}));
const dataset = {
  ref: 'resource:default/orders',
  table: 'orders',
  dialect: 'generic',
  columns: [
    'o_orderkey',
    'o_custkey',
    'o_orderstatus',
    'o_totalprice',
    'o_orderdate',
    'o_orderpriority',
    'o_clerk',
    'o_shippriority',
    'o_comment',
  ].map(name => ({ name })),
};

// Measured twice in one run, on the same machine load: with the rewrites in
// two of the engine's Web Workers (what the page does on 4 cores), and on the
// page's thread (what it does on 2). The browser is told its core count; the
// machine's own cores are what they are.
for (const mode of ['workers', 'page thread'] as const) {
  test(`live preview: time per edit for 100 consumers (${mode})`, async ({
    page,
  }) => {
    await measure(page, mode);
  });
}

async function measure(page: Page, mode: 'workers' | 'page thread') {
  test.setTimeout(180_000);
  // The page uses workers for the cores beyond two: 4 cores, 2 workers.
  const cores = mode === 'workers' ? 4 : 2;
  await page.addInitScript(n => {
    Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => n });
  }, cores);
  await page.route('**/api/ripple/datasets/**', route =>
    route.fulfill({
      json: route.request().url().endsWith('/code') ? { consumers } : dataset,
    }),
  );
  await page.goto('/');
  await page.getByRole('button', { name: 'Enter' }).click();
  await expect(page.getByRole('link', { name: 'Ripple' })).toBeVisible();
  await page.goto('/catalog/default/resource/orders/ripple');
  await page.getByRole('button', { name: 'New migration' }).click();
  await page.getByRole('button', { name: /Column/ }).click();
  await page.getByRole('option', { name: 'o_orderdate' }).click();

  const field = page.getByRole('textbox', { name: 'New name' });
  const timing = page.locator('[data-preview-ms]');
  // The first preview analyses every file (kept for the next edits).
  await field.fill('x');
  await expect(timing).toBeVisible();
  const cold = Number(await timing.getAttribute('data-preview-ms'));
  const millis: number[] = [];
  // Each keystroke is one edit of the change, recomputed over every consumer.
  for (const name of ['o_order_date', 'o_order_dt', 'order_date_x']) {
    let edit = Number(await timing.getAttribute('data-preview-edit'));
    await field.fill('');
    for (const ch of name) {
      await field.press(ch === '_' ? 'Shift+Minus' : ch);
      edit += 1;
      await expect(timing).toHaveAttribute('data-preview-edit', String(edit));
      millis.push(Number(await timing.getAttribute('data-preview-ms')));
    }
  }
  await expect(page.getByLabel('Impact summary')).toContainText(
    'Consumers affected',
  );
  const summary = await page.getByLabel('Impact summary').innerText();
  const warm = [...millis].sort((a, b) => a - b);
  const pct = (p: number) =>
    warm[Math.min(warm.length - 1, Math.floor((p / 100) * warm.length))];
  const result = {
    mode,
    // The engine workers the preview spread its rewrites over.
    workers: page.workers().length,
    consumers: consumers.length,
    files: consumers.length * 4,
    sqlBytes: consumers.reduce(
      (n, c) => n + c.files.reduce((m, f) => m + f.content.length, 0),
      0,
    ),
    edits: millis.length,
    firstEditMs: cold,
    medianMs: pct(50),
    p95Ms: pct(95),
    maxMs: warm[warm.length - 1],
    summary: summary.replace(/\s+/g, ' '),
  };
  // eslint-disable-next-line no-console
  console.log(`preview benchmark: ${JSON.stringify(result)}`);
  expect(result.workers > 0).toBe(mode === 'workers');
  await page.screenshot({
    path: `tests/e2e/screenshots/bench-preview-${mode.replace(' ', '-')}.png`,
    fullPage: true,
  });
}
