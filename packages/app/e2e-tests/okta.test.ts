/*
 * Signing in with Okta in Chromium: the production server of
 * scripts/e2e/global-setup.js with Okta pointed at the stand-in
 * (scripts/okta-standin.mjs, users in scripts/e2e/okta-users.js).
 */
import { expect, Page, test } from '@playwright/test';

const base = () => process.env.PORTAL_URL!;

/** Clicks "Sign In" on the Okta card and completes the stand-in's pop-up. */
async function signInWithOkta(page: Page, login: string) {
  await page.goto(`${base()}/`);
  await expect(
    page.getByText('Sign in with your company Okta account'),
  ).toBeVisible();
  const popupOpened = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign In', exact: true }).click();
  const popup = await popupOpened;
  await popup.locator('input[name=login]').fill(login);
  await popup.locator('input[name=password]').fill('any password');
  await popup.locator('button[type=submit]').click();
  // The consent form (offline access for the refresh token).
  await popup.locator('button[type=submit]').click();
  await popup.waitForEvent('close');
}

test('sign in with Okta and land in the portal as that user, with their groups', async ({
  page,
}) => {
  await signInWithOkta(page, 'grace');
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();

  // The identity the portal holds: catalog user, catalog and Okta groups.
  await page.goto(`${base()}/settings`);
  await expect(page.getByText('Grace Hopper').first()).toBeVisible();
  await expect(
    page.getByText('grace.hopper@acme.example').first(),
  ).toBeVisible();
  await expect(page.getByText('Backstage Identity')).toBeVisible();
  await expect(page.getByText('User Entity:')).toBeVisible();
  // Ownership: the user, the catalog group, and her mapped Okta group in its
  // own namespace (group:okta/web-team: in no catalog, shown as okta/web-team).
  // Okta's Everyone is never mapped (docs/security.md).
  for (const name of ['Platform Team', 'okta/web-team']) {
    await expect(page.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('link', { name: 'everyone' })).toHaveCount(0);

  // The catalog is hers to browse.
  await page.getByRole('link', { name: 'Catalog', exact: true }).click();
  await expect(page.getByTestId('user-picker-owned')).toBeVisible();

  // A reload signs her in again without the pop-up.
  await page.reload();
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
});

test('a user the catalog does not know is told why they cannot sign in', async ({
  page,
}) => {
  await signInWithOkta(page, 'stranger');
  await expect(page.getByText('You could not be signed in')).toBeVisible();
  await expect(page.getByTestId('sign-in-failure')).toContainText(
    'stranger@acme.example is not a user of this portal',
  );
  await expect(page.getByRole('link', { name: 'Settings' })).toBeHidden();
  await page.getByRole('button', { name: 'Back to sign-in' }).click();
  await expect(
    page.getByText('Sign in with your company Okta account'),
  ).toBeVisible();
});
