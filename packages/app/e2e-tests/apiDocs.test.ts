/*
 * APIs that exist only as spec objects in Cloud Storage (examples/api-specs,
 * served by the local Cloud Storage server of scripts/e2e/global-setup.js)
 * in the API explorer, rendered, and on the pages of their components.
 */
import { expect, test } from '@playwright/test';
import { base, openTab, signIn } from './guest';

test('an API from the bucket is listed in the API explorer and its OpenAPI definition renders', async ({
  page,
}) => {
  await signIn(page, '/api-docs');
  await page.getByTestId('user-picker-all').click();
  const table = page.getByRole('table');
  // The first scan runs at start-up; the table fills once it has.
  await expect(table.getByRole('link', { name: 'Refunds API' })).toBeVisible();
  await expect(
    table.getByRole('link', { name: 'Settlement events' }),
  ).toBeVisible();
  await expect(
    table.getByRole('link', { name: 'Product search' }),
  ).toBeVisible();

  await table.getByRole('link', { name: 'Refunds API' }).click();
  await expect(
    page.getByRole('heading', { name: 'Refunds API' }).first(),
  ).toBeVisible();
  await openTab(page, 'Definition');
  // Swagger UI: the operations of the spec.
  await expect(page.getByText('/refunds/{refundId}').first()).toBeVisible();
  await expect(page.getByText('Start a refund').first()).toBeVisible();
  await expect(page.getByText('Cancel a pending refund').first()).toBeVisible();
});

test('AsyncAPI and GraphQL definitions from the bucket render', async ({
  page,
}) => {
  await signIn(page, '/catalog/default/api/settlement-events/definition');
  // AsyncAPI: the channel's address and its message.
  await expect(
    page.getByText('payments.settlement.completed').first(),
  ).toBeVisible();
  await expect(page.getByText('Settlement completed').first()).toBeVisible();

  await page.goto(`${base()}/catalog/default/api/product-search/definition`);
  // GraphiQL's docs explorer: the schema's description and its types.
  await expect(
    page.getByText('Full-text product search for the storefront.').first(),
  ).toBeVisible();
  await expect(page.getByText('ProductConnection').first()).toBeVisible();
});

test("a service's APIs tab lists the API the bucket says it provides", async ({
  page,
}) => {
  await signIn(page, '/catalog/default/component/payments-service');
  await openTab(page, 'APIs');
  await expect(page.getByText('Provided APIs')).toBeVisible();
  // Its own payments-api and refunds-api from the bucket.
  await expect(
    page.getByRole('link', { name: 'Payments API' }).first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Refunds API' }).first(),
  ).toBeVisible();
});
