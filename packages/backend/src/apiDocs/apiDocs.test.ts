/*
 * API specs in Cloud Storage end to end inside one backend: the portal's
 * catalog module (provider + relations processor) with the real catalog,
 * database and scheduler, reading the local Cloud Storage server
 * (scripts/lib/gcs-fake.js) through @google-cloud/storage.
 */
import path from 'node:path';
import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import apiDocsModule from '@internal/backstage-plugin-catalog-backend-module-portal-api-docs';
import {
  repoRoot,
  startCatalogBackend,
  databaseConfig,
  waitFor,
} from '../__testUtils__/testBackend';
// The fake lives in scripts/ (start.sh, the e2e suite and the benchmark use it too).
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  GcsFake,
  seedFromDir,
  startGcsFake,
} from '../../../../scripts/lib/gcs-fake';

jest.setTimeout(120_000);

const BUCKET = 'acme-api-docs';
const auth = mockCredentials.user.header();
type Server = Parameters<typeof request>[0];

const getEntity = async (server: Server, ref: string) => {
  const res = await request(server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', auth);
  return res.status === 200 ? res.body : undefined;
};

const relations = (entity: any, type: string) =>
  (entity?.relations ?? [])
    .filter((r: any) => r.type === type)
    .map((r: any) => r.targetRef)
    .sort();

describe('API docs from Cloud Storage in the catalog', () => {
  let fake: GcsFake;
  let backend: Awaited<ReturnType<typeof startCatalogBackend>>;

  beforeAll(async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          ...seedFromDir(path.join(repoRoot, 'examples/api-specs'), {
            prefix: 'apis/',
          }),
          'apis/notes.txt': 'not a spec',
        },
      },
    });
    backend = await startCatalogBackend({
      database: databaseConfig('sqlite'),
      locations: [
        { type: 'file', target: path.join(repoRoot, 'examples/entities.yaml') },
        { type: 'file', target: path.join(repoRoot, 'examples/org.yaml') },
      ],
      features: [apiDocsModule],
      providers: {
        gcsApiDocs: {
          bucket: BUCKET,
          prefix: 'apis/',
          apiEndpoint: fake.url,
          retries: 0,
          schedule: { frequency: { seconds: 2 }, timeout: { seconds: 30 } },
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await fake?.stop();
  });

  it('turns every sample spec into an API entity with owner, system and definition', async () => {
    const server = backend.server;
    const refunds = await waitFor('api:default/refunds-api', () =>
      getEntity(server, 'api/default/refunds-api'),
    );
    expect(refunds.metadata).toMatchObject({
      title: 'Refunds API',
      description: 'Start, follow and cancel refunds of card payments.',
      annotations: {
        'api-docs/source': `gs://${BUCKET}/apis/payments/refunds-api.yaml`,
        'api-docs/version': '1.4.0',
      },
    });
    expect(refunds.spec).toMatchObject({
      type: 'openapi',
      owner: 'group:default/payments-team',
      system: 'payments',
      lifecycle: 'production',
    });
    expect(refunds.spec.definition).toContain('/refunds/{refundId}:');

    const settlement = await waitFor('settlement-events', () =>
      getEntity(server, 'api/default/settlement-events'),
    );
    // Owner from the object metadata (.gcs-metadata.json), system from the folder.
    expect(settlement.spec).toMatchObject({
      type: 'asyncapi',
      owner: 'group:default/payments-team',
      system: 'payments',
    });
    const search = await waitFor('product-search', () =>
      getEntity(server, 'api/default/product-search'),
    );
    expect(search.spec).toMatchObject({
      type: 'graphql',
      owner: 'group:default/web-team',
      system: 'storefront',
    });
    expect(search.metadata.title).toBe('Product search');
    const admin = await waitFor('portal-admin-api', () =>
      getEntity(server, 'api/default/portal-admin-api'),
    );
    expect(admin.spec).toMatchObject({
      type: 'openapi',
      system: 'developer-platform',
    });
  });

  it('links the APIs to the components that provide and consume them, both ways', async () => {
    const server = backend.server;
    const refunds = await waitFor('refunds-api relations', async () => {
      const e = await getEntity(server, 'api/default/refunds-api');
      return relations(e, 'apiProvidedBy').length ? e : undefined;
    });
    expect(relations(refunds, 'apiProvidedBy')).toEqual([
      'component:default/payments-service',
    ]);
    expect(relations(refunds, 'apiConsumedBy')).toEqual([
      'component:default/storefront-web',
    ]);
    expect(relations(refunds, 'ownedBy')).toEqual([
      'group:default/payments-team',
    ]);
    expect(relations(refunds, 'partOf')).toEqual(['system:default/payments']);

    // The component side, as the entity page's API cards read it.
    const service = await waitFor('payments-service providesApi', async () => {
      const e = await getEntity(server, 'component/default/payments-service');
      return relations(e, 'providesApi').includes('api:default/refunds-api')
        ? e
        : undefined;
    });
    // Its own providesApis entry stays next to the bucket's.
    expect(relations(service, 'providesApi')).toEqual([
      'api:default/payments-api',
      'api:default/refunds-api',
    ]);
    const web = await waitFor('storefront-web consumesApi', async () => {
      const e = await getEntity(server, 'component/default/storefront-web');
      return relations(e, 'consumesApi').includes('api:default/refunds-api')
        ? e
        : undefined;
    });
    expect(relations(web, 'consumesApi')).toContain(
      'api:default/product-search',
    );
  });

  it('follows updates, additions and deletions in the bucket on the next scans; a broken update keeps the API', async () => {
    const server = backend.server;
    await waitFor('refunds-api', () =>
      getEntity(server, 'api/default/refunds-api'),
    );

    fake.put(
      BUCKET,
      'apis/payments/refunds-api.yaml',
      'openapi: 3.0.3\ninfo: { title: Refunds API v2, version: 2.0.0, x-backstage-owner: group:default/payments-team }\npaths: {}\n',
    );
    fake.put(
      BUCKET,
      'apis/payments/chargebacks.json',
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'Chargebacks', version: '1' },
        'x-backstage-owner': 'payments-team',
      }),
    );
    fake.remove(BUCKET, 'apis/developer-platform/portal-admin-api.json');

    await waitFor('the update', async () => {
      const e = await getEntity(server, 'api/default/refunds-api');
      return e?.metadata.title === 'Refunds API v2' ? e : undefined;
    });
    // The new version names no providers or consumers: the links go, both ways.
    await waitFor('payments-service without refunds-api', async () => {
      const e = await getEntity(server, 'component/default/payments-service');
      return e &&
        !relations(e, 'providesApi').includes('api:default/refunds-api')
        ? e
        : undefined;
    });
    const updated = await getEntity(server, 'api/default/refunds-api');
    expect(relations(updated, 'apiProvidedBy')).toEqual([]);
    expect(relations(updated, 'apiConsumedBy')).toEqual([]);
    await waitFor('the new API', () =>
      getEntity(server, 'api/default/chargebacks'),
    );
    await waitFor('the deletion', async () =>
      (await getEntity(server, 'api/default/portal-admin-api'))
        ? undefined
        : true,
    );

    // Broken YAML in place of the spec: the catalog keeps the last good version.
    fake.put(
      BUCKET,
      'apis/payments/refunds-api.yaml',
      'openapi: 3.0.3\ninfo: [broken\n',
    );
    const lists = fake.counts.list;
    await waitFor('two more scans', async () =>
      fake.counts.list >= lists + 2 ? true : undefined,
    );
    const kept = await getEntity(server, 'api/default/refunds-api');
    expect(kept?.metadata.title).toBe('Refunds API v2');
  });
});
