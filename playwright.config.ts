import { defineConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { chromiumLaunchOptions } = require('./scripts/lib/portal');

/**
 * End-to-end tests against the production server (the production tree of
 * scripts/production-tree.sh, on PostgreSQL, with the demo data layer), started
 * once by scripts/e2e/global-setup.js. Three projects:
 *   server:    packages/backend/e2e-tests        (HTTP contract: smoke, env, SIGTERM)
 *   browser:   packages/app/e2e-tests            (Chromium: catalog, entity pages, search)
 *   container: packages/backend/container-tests  (the image: contents, run as on Cloud Run;
 *              needs scripts/container/build.sh first)
 * Run with `yarn test:e2e` (needs `yarn build:backend` first) or as part of
 * `yarn test:all`.
 */
export default defineConfig({
  globalSetup: require.resolve('./scripts/e2e/global-setup.js'),
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    [
      'json',
      {
        outputFile:
          process.env.PLAYWRIGHT_JSON_OUTPUT_NAME || '.cache/e2e-results.json',
      },
    ],
  ],
  outputDir: '.cache/e2e-test-results',
  use: {
    baseURL: process.env.PORTAL_URL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'server',
      testDir: 'packages/backend/e2e-tests',
    },
    {
      name: 'browser',
      testDir: 'packages/app/e2e-tests',
      // The smoke suite must pass first.
      dependencies: ['server'],
      use: {
        browserName: 'chromium',
        viewport: { width: 1400, height: 900 },
        launchOptions: chromiumLaunchOptions,
      },
    },
    {
      // The container image built by scripts/container/build.sh, run with
      // buildah as Cloud Run runs it (docs/container.md).
      name: 'container',
      testDir: 'packages/backend/container-tests',
    },
  ],
});
