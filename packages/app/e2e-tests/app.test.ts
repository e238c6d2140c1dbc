/*
 * The portal in Chromium against the production server on PostgreSQL
 * (started by scripts/e2e/global-setup.js with the demo data layer).
 */
import { expect, test } from '@playwright/test';
import { base, openTab, signIn } from './guest';

test('browse the catalog, a service, its APIs and the OpenAPI definition', async ({
  page,
}) => {
  await signIn(page);

  // The catalog table lists the sample components (all of them, not only the guest's).
  await page.getByTestId('user-picker-all').click();
  const table = page.getByRole('table');
  await expect(
    table.getByRole('link', { name: 'Payments Service' }),
  ).toBeVisible();
  await expect(
    table.getByRole('link', { name: 'Storefront Web' }),
  ).toBeVisible();

  await table.getByRole('link', { name: 'Payments Service' }).click();
  await expect(
    page.getByRole('heading', { name: 'Payments Service' }).first(),
  ).toBeVisible();

  // APIs tab: provided and consumed APIs.
  await openTab(page, 'APIs');
  await expect(page).toHaveURL(/\/payments-service\/apis$/);
  await expect(page.getByText('Provided APIs')).toBeVisible();
  await expect(page.getByText('Consumed APIs')).toBeVisible();
  await page.getByRole('link', { name: 'Payments API' }).first().click();

  // The API's definition renders the OpenAPI operations.
  await openTab(page, 'Definition');
  await expect(
    page.getByText('/payments/{paymentId}/capture').first(),
  ).toBeVisible();
  await expect(page.getByText('Authorise a payment').first()).toBeVisible();
});

test('dependencies tab of a website', async ({ page }) => {
  await signIn(page, '/catalog/default/component/storefront-web');
  await openTab(page, 'Dependencies');
  await expect(
    page.getByRole('link', { name: 'Design System' }).first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Product Catalog Service' }).first(),
  ).toBeVisible();
});

test('entity pages of every kind render', async ({ page }) => {
  await signIn(page);
  const pages: Array<[string, RegExp]> = [
    ['/catalog/default/component/design-system', /^Design System$/],
    ['/catalog/default/system/payments', /^Payments$/],
    ['/catalog/default/api/product-catalog-api', /^Product Catalog API$/],
    ['/catalog/default/group/payments-team', /^Payments Team$/],
    ['/catalog/default/user/ada.lovelace', /^Ada Lovelace$/],
  ];
  for (const [path, title] of pages) {
    await page.goto(`${base()}${path}`);
    await expect(
      page.getByRole('heading', { name: title }).first(),
      path,
    ).toBeVisible();
  }
  // The catalog graph draws a service's relations.
  await page.goto(
    `${base()}/catalog-graph?rootEntityRefs%5B%5D=component%3Adefault%2Fpayments-service`,
  );
  await expect(page.getByText('Ledger Library').first()).toBeVisible();
  // AsyncAPI and GraphQL definitions render too.
  await page.goto(
    `${base()}/catalog/default/api/product-catalog-api/definition`,
  );
  await expect(page.getByText('Money', { exact: true }).first()).toBeVisible();
  await page.getByText('Mutation', { exact: true }).first().click();
  await expect(page.getByText('adjustStock').first()).toBeVisible();
  await page.goto(
    `${base()}/catalog/default/api/payment-events-api/definition`,
  );
  await expect(page.getByText('payments.captured').first()).toBeVisible();
});

test('find a component through search', async ({ page }) => {
  await signIn(page);
  await expect(async () => {
    await page.goto(`${base()}/search?query=ledger`);
    await expect(page.getByText('Ledger Library').first()).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000 });
  await page.getByText('Ledger Library').first().click();
  await expect(page).toHaveURL(/\/catalog\/default\/component\/ledger-library/);
});

test('the scaffolder offers the templates', async ({ page }) => {
  await signIn(page, '/create');
  for (const title of [
    'Service on Cloud Run',
    'Library',
    'Website',
    'Import an existing repository',
  ]) {
    await expect(page.getByText(title, { exact: true }).first()).toBeVisible();
  }
  await page.goto(`${base()}/create/templates/default/service-cloud-run`);
  await expect(page.getByText('About the service').first()).toBeVisible();
});
