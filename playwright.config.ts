import { defineConfig } from '@playwright/test';
import path from 'node:path';

// The end-to-end tests build the app and run the portal as it runs in
// production: the backend on :7007 serves the built app (no development-mode
// React warnings), with its own SQLite files (tests/e2e/app-config.e2e.yaml).
// They drive Debian's Chromium: Playwright's own browser download is not
// available on these machines.
const config = ['app-config.yaml', 'tests/e2e/app-config.e2e.yaml']
  .map(file => `--config ${path.resolve(__dirname, file)}`)
  .join(' ');

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'e2e-test-report' }]],
  webServer: {
    // Each run starts from an empty database, and a fresh example warehouse
    // (the DuckDB file shop-orders lives in) beside it, and a fresh copy of
    // the drafts journey's dataset, whose schema file it edits.
    command: `rm -rf .ripple/e2e && node scripts/example-warehouse.mjs .ripple/e2e/example.duckdb && cp -r tests/e2e/drafts .ripple/e2e/drafts && yarn workspace app build ${config} && yarn workspace backend start ${config}`,
    url: 'http://localhost:7007/.backstage/health/v1/readiness',
    reuseExistingServer: !process.env.CI,
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  use: {
    baseURL: 'http://localhost:7007',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  outputDir: 'node_modules/.cache/e2e-test-results',
});
