/*
 * The production server reads the sample specs (examples/api-specs) from the
 * local Cloud Storage server that scripts/e2e/global-setup.js starts, through
 * STORAGE_EMULATOR_HOST, and serves them as API entities.
 */
import { expect, test } from '@playwright/test';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const get = (path: string) =>
  fetch(`${process.env.PORTAL_URL}${path}`, {
    headers: { Authorization: `Bearer ${process.env.PORTAL_API_TOKEN}` },
  });

test('the bucket specs are API entities of the production server, linked to their components', async () => {
  const refunds = await portal.waitFor('api:default/refunds-api', async () => {
    const res = await get(
      '/api/catalog/entities/by-name/api/default/refunds-api',
    );
    return res.status === 200 ? await res.json() : undefined;
  });
  expect(refunds.spec).toMatchObject({
    type: 'openapi',
    owner: 'group:default/payments-team',
    system: 'payments',
  });
  expect(refunds.metadata.annotations['api-docs/source']).toBe(
    'gs://portal-api-docs/apis/payments/refunds-api.yaml',
  );

  // All four, once the catalog has processed them (the first can come
  // before the others).
  const names = await portal.waitFor('the four bucket APIs', async () => {
    const body = await (
      await get(
        '/api/catalog/entities/by-query?filter=kind=api,metadata.annotations.api-docs/source&fields=metadata.name',
      )
    ).json();
    const found = body.items.map((e: any) => e.metadata.name).sort();
    return found.length >= 4 ? found : undefined;
  });
  expect(names).toEqual([
    'portal-admin-api',
    'product-search',
    'refunds-api',
    'settlement-events',
  ]);

  const service = await portal.waitFor(
    'payments-service providesApi',
    async () => {
      const res = await get(
        '/api/catalog/entities/by-name/component/default/payments-service',
      );
      const body = await res.json();
      return body.relations?.some(
        (r: any) =>
          r.type === 'providesApi' && r.targetRef === 'api:default/refunds-api',
      )
        ? body
        : undefined;
    },
  );
  expect(service.metadata.name).toBe('payments-service');
});
