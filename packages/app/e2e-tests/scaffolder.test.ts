/*
 * Creating a service in Chromium: the Service on Cloud Run form, run for real
 * by the production server against the local GitHub fake (repository
 * creation, branch protection, git push through git http-backend), ending on
 * the success page with links to the repository and the new catalog entity.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';

/* eslint-disable @typescript-eslint/no-require-imports */
const portal = require('../../../scripts/lib/portal');
const {
  generateOrg,
  startGithubFake,
} = require('../../../scripts/lib/github-fake');
/* eslint-enable @typescript-eslint/no-require-imports */

test.describe('Create → Service on Cloud Run', () => {
  let fake: any;
  let pg: any;
  let server: any;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    fake = await startGithubFake({
      state: generateOrg({ repos: 1, users: 1, teams: 1 }),
    });
    pg = portal.startPostgres(path.join(portal.workDir, 'e2e-scaffolder-pg'));
    const token = `scaffolder-e2e-${Date.now()}-0123456789`;
    server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({ pg, port: await portal.freePort(), token }),
        // The integration only: no organisation, so no discovery.
        GITHUB_TOKEN: fake.token,
        GITHUB_API_URL: fake.url,
      },
      logFile: path.join(portal.workDir, 'e2e-scaffolder.log'),
    });
    await server.waitReady();
    // Sign in only once the guest user and its groups are in the catalog:
    // the token carries the memberships then, and registering the new
    // entity ('members' may create locations) is allowed. Signing in
    // earlier gave a token without them (seen once: 403 at the last step).
    await portal.waitFor(
      'the guest user with its groups',
      async () => {
        const res = await fetch(
          `${server.base}/api/catalog/entities/by-name/user/default/guest`,
          { headers: { Authorization: `Bearer ${token}` } },
        );
        if (res.status !== 200) return undefined;
        const user = await res.json();
        return user.relations?.some((r: any) => r.type === 'memberOf')
          ? true
          : undefined;
      },
      120_000,
    );
  });

  test.afterAll(async () => {
    await server?.stop();
    pg?.stop();
    await fake?.close();
  });

  test('fill the form, create the repository, open the new entity', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    await page.goto(
      `${server.base}/create/templates/default/service-cloud-run`,
    );
    await page.getByRole('button', { name: 'Enter' }).click();

    // Step 1: about the service.
    await page.getByLabel('Name').first().fill('checkout-api');
    await page.getByLabel('Description').first().fill('Takes the money');
    await page.getByLabel('Owner').first().click();
    await page.getByRole('option', { name: 'Platform Team' }).click();
    await page.getByRole('button', { name: 'Next' }).click();

    // Step 2: the repository (host github.com is the only one allowed).
    // Owner and Repository are free-text autocompletes: type, then leave the
    // field so that the value is taken.
    await page.getByLabel('Owner').first().pressSequentially('acme');
    await page.getByLabel('Owner').first().press('Tab');
    await page
      .getByLabel('Repository')
      .first()
      .pressSequentially('checkout-api');
    await page.getByLabel('Repository').first().press('Tab');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    // The success page: links to the repository and the catalog entity.
    const openInCatalog = page.getByRole('link', { name: 'Open in catalog' });
    await expect(openInCatalog).toBeVisible({ timeout: 60_000 });
    await expect(
      page.getByRole('link', { name: 'Repository' }),
    ).toHaveAttribute('href', /checkout-api/);

    // What GitHub was asked for.
    const created = fake.created['checkout-api'];
    expect(created.request).toMatchObject({ has_wiki: false });
    expect(created.topics).toEqual(['service', 'cloud-run']); // the form's default
    expect(
      created.protection.main.required_pull_request_reviews
        .required_approving_review_count,
    ).toBe(2);

    await openInCatalog.click();
    await expect(page).toHaveURL(/\/catalog\/default\/component\/checkout-api/);
    // The catalog processes the new location in the background: a click
    // right after the run can come before it (the page says "Entity not
    // found" until a reload).
    await expect(async () => {
      await page.reload();
      await expect(page.getByText('Takes the money').first()).toBeVisible({
        timeout: 3_000,
      });
    }).toPass({ timeout: 60_000 });
    await expect(
      page.getByRole('heading', { name: 'checkout-api' }).first(),
    ).toBeVisible();
  });
});
