/* Shared steps of the browser suites (not a test file). */
import { expect, Page } from '@playwright/test';

export const base = () => process.env.PORTAL_URL!;

/** Opens `path` and signs in as Guest (demo layer). */
export async function signIn(page: Page, path = '/') {
  await page.goto(`${base()}${path}`);
  await page.getByRole('button', { name: 'Enter' }).click();
  // Signed in: the sign-in page is gone and the sidebar is there.
  await expect(page.getByRole('button', { name: 'Enter' })).toBeHidden();
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
}

/** Entity page tabs are links in the "Content navigation" bar. */
export async function openTab(page: Page, name: string) {
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name, exact: true })
    .click();
}
