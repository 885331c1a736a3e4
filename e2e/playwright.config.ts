import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium.ts';

/**
 * Browser tests against the real server (a child process) and the real simulator (in the test
 * process, so a test can take it down and bring it up). `npm test` runs them after `build:web`.
 * Run alone: `npx playwright test -c e2e/playwright.config.ts` (after `npm run build:web`).
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // One server and simulator per worker; two cores, so one worker.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    viewport: { width: 1366, height: 860 },
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
  },
});
