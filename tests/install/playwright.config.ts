import { defineConfig } from '@playwright/test';

// The install test's browser smoke test, against a portal that run.sh built
// from the packed tarballs and started (RIPPLE_PORTAL_URL). Debian's Chromium:
// Playwright's own browser download is not available on these machines.
const baseURL = process.env.RIPPLE_PORTAL_URL;
if (!baseURL) throw new Error('RIPPLE_PORTAL_URL is not set: run tests/install/run.sh');

export default defineConfig({
  testDir: '.',
  testMatch: 'smoke.spec.ts',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL,
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
  outputDir: `${process.env.RIPPLE_INSTALL_OUTPUT ?? '../../node_modules/.cache/install-test'}/results`,
});
