import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  DatabaseKind,
  databaseConfig,
  postgresUrl,
  repoRoot,
  startCatalogBackend,
  tempDir,
  waitFor,
} from '../__testUtils__/testBackend';

jest.setTimeout(120_000);

const auth = mockCredentials.user.header();

type Server = Parameters<typeof request>[0];

/** GET an entity by `kind/namespace/name`, as a signed-in user. */
const getEntity = (server: Server, ref: string) =>
  request(server)
    .get(`/api/catalog/entities/by-name/${ref}`)
    .set('Authorization', auth);

/** Entities matching a catalog filter, as a signed-in user. */
const queryEntities = async (server: Server, filter: string) =>
  (
    await request(server)
      .get('/api/catalog/entities/by-query')
      .query({ filter })
      .set('Authorization', auth)
  ).body.items as any[] | undefined;

const componentYaml = (name: string, type: string, owner: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  lifecycle: production\n  owner: ${owner}\n`;
const sampleLocations = [
  { type: 'file', target: path.join(repoRoot, 'examples/entities.yaml') },
  { type: 'file', target: path.join(repoRoot, 'examples/org.yaml') },
  {
    type: 'file',
    target: path.join(repoRoot, 'templates/*/template.yaml'),
  },
];

/** Starts the backend on the given database and checks the sample catalog. */
async function checkSampleCatalog(kind: DatabaseKind) {
  const backend = await startCatalogBackend({
    database: databaseConfig(kind),
    locations: sampleLocations,
  });
  try {
    const services = await waitFor('the sample services', async () => {
      const items = await queryEntities(
        backend.server,
        'kind=component,spec.type=service',
      );
      return items && items.length >= 3 ? items : undefined;
    });
    expect(services.map((e: any) => e.metadata.name).sort()).toEqual([
      'payment-events-publisher',
      'payments-service',
      'product-catalog-service',
    ]);

    // Relations are stitched: the payments service provides the OpenAPI API.
    const service = await waitFor('stitched relations', async () => {
      const res = await getEntity(
        backend.server,
        'component/default/payments-service',
      );
      const rel = res.body.relations?.find(
        (r: any) => r.type === 'providesApi',
      );
      return rel ? res.body : undefined;
    });
    expect(service.relations).toEqual(
      expect.arrayContaining([
        { type: 'providesApi', targetRef: 'api:default/payments-api' },
        {
          type: 'dependsOn',
          targetRef: 'component:default/ledger-library',
        },
        { type: 'ownedBy', targetRef: 'group:default/payments-team' },
      ]),
    );

    // Each API carries its specification text.
    const apis = await waitFor('the three APIs', async () => {
      const items = await queryEntities(backend.server, 'kind=api');
      return items && items.length >= 3 ? items : undefined;
    });
    const byName = Object.fromEntries(
      apis.map((a: any) => [a.metadata.name, a]),
    );
    expect(byName['payments-api'].spec.type).toBe('openapi');
    expect(byName['payments-api'].spec.definition).toContain(
      'operationId: createPayment',
    );
    expect(byName['payment-events-api'].spec.type).toBe('asyncapi');
    expect(byName['payment-events-api'].spec.definition).toContain(
      'payments.captured',
    );
    expect(byName['product-catalog-api'].spec.type).toBe('graphql');
    expect(byName['product-catalog-api'].spec.definition).toContain(
      'type Product',
    );
  } finally {
    await backend.stop();
  }
}

/** Starts a backend, again while SQLite reports its file locked (up to ~30 s). */
async function startWhenUnlocked<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const locked = /database is locked|MigrationLocked|SQLITE_BUSY/.test(
        String(error),
      );
      if (!locked || attempt >= 6) throw error;
      await new Promise(r => setTimeout(r, 1000 * attempt));
    }
  }
}

describe('the backend on SQLite', () => {
  it('loads the sample catalog and answers catalog queries', () =>
    checkSampleCatalog('sqlite'));
});

// PostgreSQL comes from scripts/test.sh; outside CI a bare `jest` run skips it.
const describeOnPostgres =
  postgresUrl || process.env.CI ? describe : describe.skip;
describeOnPostgres('the backend on PostgreSQL', () => {
  it('loads the sample catalog and answers catalog queries', () =>
    checkSampleCatalog('postgres'));
});

describe('a malformed catalog file', () => {
  it('is reported against its location while the last good entities and other locations stay', async () => {
    const dir = tempDir('portal-bad-yaml-');
    const file = path.join(dir, 'team.yaml');
    fs.writeFileSync(
      file,
      componentYaml(
        'volatile-service',
        'service',
        'group:default/payments-team',
      ),
    );
    const backend = await startCatalogBackend({
      database: databaseConfig('sqlite'),
      locations: [{ type: 'file', target: file }, ...sampleLocations],
    });
    try {
      await waitFor('the volatile service', async () =>
        (
          await getEntity(backend.server, 'component/default/volatile-service')
        ).status === 200
          ? true
          : undefined,
      );

      fs.writeFileSync(
        file,
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [broken\n',
      );

      // The error lands on the location entity that reads the file.
      const errors = await waitFor('the processing error', async () => {
        const locations = await queryEntities(backend.server, 'kind=location');
        const location = locations?.find((e: any) =>
          JSON.stringify(e.spec).includes(file),
        );
        const items = location?.status?.items ?? [];
        return items.some((i: any) => i.level === 'error') ? items : undefined;
      });
      expect(JSON.stringify(errors)).toMatch(/YAML|yaml|parse/);

      // The entity read before the break is still there, and so is the rest.
      const kept = await getEntity(
        backend.server,
        'component/default/volatile-service',
      );
      expect(kept.status).toBe(200);
      const other = await getEntity(
        backend.server,
        'component/default/payments-service',
      );
      expect(other.status).toBe(200);
    } finally {
      await backend.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the local SQLite database', () => {
  it('keeps registered locations across a restart', async () => {
    const sqliteDir = tempDir('portal-sqlite-');
    // A repository's catalog-info.yaml, registered by URL as users do.
    const server = http.createServer((req, res) => {
      if (req.url === '/repo/catalog-info.yaml') {
        res.setHeader('Content-Type', 'text/yaml');
        res.end(
          componentYaml(
            'registered-later',
            'library',
            'group:default/web-team',
          ),
        );
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = {
      database: databaseConfig('sqlite', sqliteDir),
      locations: [],
      readingAllow: [host],
    };
    const getComponent = (b: { server: Server }) =>
      getEntity(b.server, 'component/default/registered-later');
    try {
      const first = await startCatalogBackend(options);
      try {
        const res = await request(first.server)
          .post('/api/catalog/locations')
          .set('Authorization', auth)
          .send({
            type: 'url',
            target: `http://${host}/repo/catalog-info.yaml`,
          });
        expect(res.status).toBe(201);
        await waitFor('the registered component', async () =>
          (await getComponent(first)).status === 200 ? true : undefined,
        );
      } finally {
        await first.stop();
      }
      expect(fs.readdirSync(sqliteDir)).toContain('catalog.sqlite');

      // The first backend's SQLite connections may still be finishing a
      // write when stop() returns (seen under load: the second start's
      // migration lock then meets SQLITE_BUSY). A restarted process would
      // not overlap; here the second start waits for the file and tries
      // again.
      const second = await startWhenUnlocked(() =>
        startCatalogBackend(options),
      );
      try {
        const r = await getComponent(second);
        expect(r.status).toBe(200);
        expect(r.body.spec.type).toBe('library');
      } finally {
        await second.stop();
      }
    } finally {
      server.close();
      fs.rmSync(sqliteDir, { recursive: true, force: true });
    }
  });
});
