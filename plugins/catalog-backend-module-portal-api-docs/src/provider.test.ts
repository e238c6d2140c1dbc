/*
 * The provider through the real @google-cloud/storage client against the
 * local Cloud Storage server (scripts/lib/gcs-fake.js) over HTTP.
 */
import { mockServices } from '@backstage/backend-test-utils';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { ApiEntity } from '@backstage/catalog-model';
import Knex from 'knex';
import { mkdtempSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The fake lives in scripts/ (start.sh and the benchmark use it too).
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { GcsFake, startGcsFake } from '../../../scripts/lib/gcs-fake';
import { gcsSpecBucket } from './bucket';
import { GcsApiDocsConfig } from './config';
import { GcsApiDocsProvider } from './provider';
import { ScanStateStore } from './state';
import { aliasBomb } from './testFixtures';

jest.setTimeout(30_000);

const BUCKET = 'acme-api-docs';

const openapi = (title: string, extra = '') =>
  `openapi: 3.0.3\ninfo:\n  title: ${title}\n  version: 1.0.0\n${extra}paths: {}\n`;

function config(
  fake: GcsFake,
  more: Partial<GcsApiDocsConfig> = {},
): GcsApiDocsConfig {
  return {
    id: 'test',
    bucket: BUCKET,
    prefix: 'apis/',
    namespace: 'default',
    apiEndpoint: fake.url,
    authenticate: false,
    retries: 0,
    concurrency: 4,
    defaults: { owner: 'group:default/platform-team', lifecycle: 'production' },
    maxSpecSize: 5 * 1024 * 1024,
    maxYamlAliases: 100,
    schedule: { frequency: { minutes: 5 }, timeout: { minutes: 1 } },
    ...more,
  };
}

const databases: Knex.Knex[] = [];
afterAll(async () => {
  await Promise.all(databases.map(d => d.destroy()));
});

/** A fresh catalog database for the provider's state (SQLite in memory). */
async function newStore() {
  const knex = Knex({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  databases.push(knex);
  return ScanStateStore.create(knex);
}

/**
 * A provider (one instance of the portal) with a connection recording its
 * mutations. Instances given the same `store` share the catalog database.
 */
async function setup(
  fake: GcsFake,
  more: Partial<GcsApiDocsConfig> = {},
  store?: ScanStateStore,
) {
  const logger = mockServices.logger.mock();
  const mutations: EntityProviderMutation[] = [];
  const connection: EntityProviderConnection = {
    applyMutation: async m => {
      mutations.push(m);
    },
    refresh: async () => {},
  };
  const cfg = config(fake, more);
  const shared = store ?? (await newStore());
  const provider = new GcsApiDocsProvider(
    cfg,
    gcsSpecBucket(cfg),
    shared,
    logger,
  );
  await provider.connect(connection);
  const entities = () => {
    const last = mutations[mutations.length - 1];
    if (last?.type !== 'full') throw new Error('no full mutation');
    return Object.fromEntries(
      last.entities.map(e => [e.entity.metadata.name, e.entity as ApiEntity]),
    );
  };
  const logged = (level: 'warn' | 'error' | 'info') =>
    (logger[level] as jest.Mock).mock.calls.map(c => String(c[0]));
  return { provider, store: shared, mutations, entities, logger, logged };
}

describe('GcsApiDocsProvider against the local Cloud Storage server', () => {
  let fake: GcsFake;
  afterEach(async () => {
    await fake?.stop();
  });

  it('scans, skips unchanged objects, follows updates, metadata changes and deletions', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          'apis/payments/refunds.yaml': openapi('Refunds'),
          'apis/storefront/search.graphql':
            '# x-backstage-owner: web-team\ntype Query { a: Int }\n',
          'apis/README.md': '# not a spec',
          'apis/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]),
          'other/outside.yaml': openapi('Outside the prefix'),
        },
      },
    });
    const t = await setup(fake);

    const first = await t.provider.scan();
    expect(first).toMatchObject({
      apis: 2,
      objects: 4,
      downloaded: 2,
      ignored: 2,
      problems: 0,
    });
    expect(Object.keys(t.entities()).sort()).toEqual(['refunds', 'search']);
    expect(t.entities().refunds.spec).toMatchObject({
      type: 'openapi',
      system: 'payments',
    });
    expect(t.entities().search.spec).toMatchObject({
      type: 'graphql',
      owner: 'web-team',
    });
    expect(fake.counts.media).toBe(2);
    const locationKeys = (t.mutations[0] as any).entities.map(
      (e: any) => e.locationKey,
    );
    expect(new Set(locationKeys)).toEqual(new Set(['gcs-api-docs:test']));

    // Nothing changed: nothing is downloaded, the same entities are applied.
    const second = await t.provider.scan();
    expect(second).toMatchObject({ apis: 2, downloaded: 0, unchanged: 4 });
    expect(fake.counts.media).toBe(2);

    // An update: only that object is downloaded again.
    fake.put(BUCKET, 'apis/payments/refunds.yaml', openapi('Refunds v2'));
    expect(await t.provider.scan()).toMatchObject({ apis: 2, downloaded: 1 });
    expect(fake.counts.media).toBe(3);
    expect(t.entities().refunds.metadata.title).toBe('Refunds v2');

    // Object metadata only (new metageneration): no download, new owner.
    fake.setMetadata(BUCKET, 'apis/payments/refunds.yaml', {
      'backstage-owner': 'group:default/payments-team',
    });
    expect(await t.provider.scan()).toMatchObject({ apis: 2, downloaded: 0 });
    expect(t.entities().refunds.spec.owner).toBe('group:default/payments-team');
    expect(t.entities().refunds.metadata.title).toBe('Refunds v2');

    // A new object and a deleted one.
    fake.put(
      BUCKET,
      'apis/payments/payouts.json',
      JSON.stringify({ swagger: '2.0', info: { title: 'Payouts' } }),
    );
    fake.remove(BUCKET, 'apis/storefront/search.graphql');
    expect(await t.provider.scan()).toMatchObject({ apis: 2, downloaded: 1 });
    expect(Object.keys(t.entities()).sort()).toEqual(['payouts', 'refunds']);
    expect(t.logged('error')).toEqual([]);
  });

  it('a failed listing or download removes nothing; the next scan completes the job', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          'apis/a.yaml': openapi('A'),
          'apis/b.yaml': openapi('B'),
        },
      },
    });
    const t = await setup(fake);
    await t.provider.scan();
    expect(t.mutations).toHaveLength(1);

    fake.fault('list', { status: 503 });
    expect((await t.provider.scan()).apis).toBeUndefined();
    expect(t.mutations).toHaveLength(1);
    expect(t.logged('error')).toEqual([
      expect.stringMatching(
        /^Listing gs:\/\/acme-api-docs\/apis\/ failed: 503 .*The catalog keeps the 2 API entities it has/,
      ),
    ]);

    // b changes and c appears, but reading b fails: no mutation at all.
    fake.put(BUCKET, 'apis/b.yaml', openapi('B2'));
    fake.put(BUCKET, 'apis/c.yaml', openapi('C'));
    fake.fault('media', { status: 503, object: 'apis/b.yaml' });
    expect((await t.provider.scan()).apis).toBeUndefined();
    expect(t.mutations).toHaveLength(1);
    expect(t.logged('error')[1]).toMatch(
      /^Reading 1 of 3 objects under gs:\/\/acme-api-docs\/apis\/ failed \(apis\/b\.yaml: 503 .*The catalog keeps what it has/,
    );

    // The next scan reads only what it still lacks (b), then applies all.
    const media = fake.counts.media;
    expect(await t.provider.scan()).toMatchObject({ apis: 3, downloaded: 1 });
    expect(fake.counts.media).toBe(media + 1);
    expect(t.entities().b.metadata.title).toBe('B2');
  });

  it('bad input is reported and the other APIs are unaffected; a broken update keeps the last good version', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          'apis/good.yaml': openapi('Good'),
          'apis/keeper.yaml': openapi('Keeper'),
          'apis/invalid.yaml': 'openapi: 3.0.0\ninfo: [broken\n',
          'apis/invalid.json': '{"openapi": ',
          'apis/bomb.yaml': aliasBomb(3),
          'apis/remote.yaml': openapi(
            'Remote',
            'components:\n  schemas:\n    X: { $ref: "https://evil.example/x.json" }\n',
          ),
          'apis/binary.yaml': Buffer.from([1, 2, 0, 3, 0xff]),
          'apis/huge.yaml': openapi(
            'Huge',
            `x-padding: "${'x'.repeat(3000)}"\n`,
          ),
        },
      },
    });
    const t = await setup(fake, { maxSpecSize: 2000 });
    expect(await t.provider.scan()).toMatchObject({ apis: 2, problems: 6 });
    expect(Object.keys(t.entities()).sort()).toEqual(['good', 'keeper']);
    const warnings = t.logged('warn').join('\n');
    expect(warnings).toMatch(
      /apis\/invalid\.yaml \(generation \d+\) is not valid YAML/,
    );
    expect(warnings).toMatch(
      /apis\/invalid\.json \(generation \d+\) is not valid JSON/,
    );
    expect(warnings).toMatch(
      /apis\/bomb\.yaml .* YAML aliases expand beyond the limit of 100/,
    );
    expect(warnings).toMatch(
      /apis\/remote\.yaml .*\(\$ref "https:\/\/evil\.example\/x\.json"/,
    );
    expect(warnings).toMatch(/apis\/binary\.yaml .* is binary/);
    expect(warnings).toMatch(
      /apis\/huge\.yaml .* more than the limit of 2000 \(maxSpecSize\); not downloaded/,
    );
    // The oversize object was never downloaded.
    expect(fake.requests.some(r => r.path.includes('huge.yaml'))).toBe(false);

    // A broken update of keeper: the catalog keeps the version it had.
    fake.put(BUCKET, 'apis/keeper.yaml', 'openapi: 3.0.0\ninfo: {title: [\n');
    await t.provider.scan();
    expect(t.entities().keeper.metadata.title).toBe('Keeper');
    expect(t.logged('warn').pop()).toMatch(
      /apis\/keeper\.yaml .* is not valid YAML.*The catalog keeps its previous version \(API api:default\/keeper\)/,
    );
    // Fixed: the new version replaces it.
    fake.put(BUCKET, 'apis/keeper.yaml', openapi('Keeper fixed'));
    await t.provider.scan();
    expect(t.entities().keeper.metadata.title).toBe('Keeper fixed');
  });

  it('two objects yielding one entity name: the holder keeps it, the other is reported', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: { 'apis/billing/orders.yaml': openapi('Billing orders') },
      },
    });
    const t = await setup(fake);
    await t.provider.scan();
    // A later object that sorts first claims the same name.
    fake.put(BUCKET, 'apis/aaa/orders.yaml', openapi('Other orders'));
    expect(await t.provider.scan()).toMatchObject({ apis: 1, conflicts: 1 });
    expect(t.entities().orders.metadata.title).toBe('Billing orders');
    expect(t.logged('warn')).toEqual([
      'gs://acme-api-docs/apis/aaa/orders.yaml would make API api:default/orders, which gs://acme-api-docs/apis/billing/orders.yaml already provides; it is left out. Give one of them another name (x-backstage-name in the spec or the object metadata backstage-name).',
    ]);
    // Reported once, not on every scan.
    await t.provider.scan();
    expect(t.logged('warn')).toHaveLength(1);
    // Renamed through metadata: both appear.
    fake.setMetadata(BUCKET, 'apis/aaa/orders.yaml', {
      'backstage-name': 'other-orders',
    });
    expect(await t.provider.scan()).toMatchObject({ apis: 2, conflicts: 0 });
  });

  it('of new claimants the first object name wins; when the holder goes, the other takes over', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          'apis/b/orders.yaml': openapi('B orders'),
          'apis/a/orders.yaml': openapi('A orders'),
        },
      },
    });
    const t = await setup(fake);
    expect(await t.provider.scan()).toMatchObject({ apis: 1, conflicts: 1 });
    expect(t.entities().orders.metadata.title).toBe('A orders');
    fake.remove(BUCKET, 'apis/a/orders.yaml');
    expect(await t.provider.scan()).toMatchObject({ apis: 1, conflicts: 0 });
    expect(t.entities().orders.metadata.title).toBe('B orders');
  });

  it('shares what it read through the database: another instance downloads nothing unchanged and keeps the last good versions and name holders', async () => {
    fake = await startGcsFake({
      buckets: {
        [BUCKET]: {
          'apis/z/orders.yaml': openapi('Holder'),
          'apis/keeper.yaml': openapi('Keeper'),
          'apis/gone-non-spec.yaml': openapi('Soon not a spec'),
        },
      },
    });
    const first = await setup(fake);
    expect(await first.provider.scan()).toMatchObject({
      apis: 3,
      downloaded: 3,
    });

    // Meanwhile: a broken version, a claimant that sorts first, a spec
    // emptied by a failed upload, and one that stopped being a spec.
    fake.put(BUCKET, 'apis/keeper.yaml', 'openapi: 3.0.0\ninfo: [broken\n');
    fake.put(BUCKET, 'apis/a/orders.yaml', openapi('Claimant'));
    fake.put(BUCKET, 'apis/gone-non-spec.yaml', 'just: some yaml\n');

    // A second instance (or the first, restarted) on the same database.
    const media = fake.counts.media;
    const second = await setup(fake, {}, first.store);
    expect(await second.provider.scan()).toMatchObject({
      apis: 3,
      downloaded: 3,
      unchanged: 1,
      conflicts: 1,
      problems: 2,
    });
    expect(fake.counts.media).toBe(media + 3);
    const entities = second.entities();
    expect(entities.keeper.metadata.title).toBe('Keeper');
    expect(entities.orders.metadata.title).toBe('Holder');
    expect(entities['gone-non-spec'].metadata.title).toBe('Soon not a spec');
    expect(second.logged('warn').join('\n')).toMatch(
      /apis\/gone-non-spec\.yaml .* is no longer an API spec \(not an API spec .*\)\. The catalog keeps its previous version/,
    );

    // Nothing changed since: the first instance downloads nothing.
    expect(await first.provider.scan()).toMatchObject({
      apis: 3,
      downloaded: 0,
      unchanged: 4,
    });
  });

  it('refuses an empty spec and a gzip object that unpacks beyond the limit, without unpacking it all', async () => {
    const big = openapi('Big', `x-padding: "${'x'.repeat(5000)}"\n`);
    fake = await startGcsFake({
      buckets: { [BUCKET]: { 'apis/ok.yaml': openapi('Ok') } },
    });
    fake.put(BUCKET, 'apis/empty.yaml', '');
    fake.put(BUCKET, 'apis/small.yaml', gzipSync(openapi('Small gzip')), {
      contentEncoding: 'gzip',
    });
    fake.put(BUCKET, 'apis/bomb.yaml', gzipSync(big), {
      contentEncoding: 'gzip',
    });
    const t = await setup(fake, { maxSpecSize: 1000 });
    expect(await t.provider.scan()).toMatchObject({ apis: 2, problems: 2 });
    expect(Object.keys(t.entities()).sort()).toEqual(['ok', 'small']);
    expect(t.entities().small.metadata.title).toBe('Small gzip');
    const warnings = t.logged('warn').join('\n');
    expect(warnings).toMatch(/apis\/empty\.yaml .* is empty/);
    expect(warnings).toMatch(
      /apis\/bomb\.yaml .* unpacks \(gzip\) to more than the limit of 1000 bytes \(maxSpecSize\)/,
    );
  });

  it('authenticates with Application Default Credentials from the metadata server and renews the token before it expires', async () => {
    // Scaled-down Cloud Run: tokens live 3 s at the server; the client is
    // told 302 s, so google-auth-library (which renews a token 5 minutes
    // before its expiry) keeps it for 2 s, then fetches a new one.
    fake = await startGcsFake({
      buckets: { [BUCKET]: { 'apis/a.yaml': openapi('A') } },
      auth: { tokenLifetimeSeconds: 3, advertisedLifetimeSeconds: 302 },
    });
    // Cloud Run's way: no key file, the metadata server hands out tokens.
    // (gcloud's own credentials in HOME would win, so HOME is empty.)
    const saved = {
      GCE_METADATA_HOST: process.env.GCE_METADATA_HOST,
      METADATA_SERVER_DETECTION: process.env.METADATA_SERVER_DETECTION,
      GOOGLE_CLOUD_PROJECT: process.env.GOOGLE_CLOUD_PROJECT,
      HOME: process.env.HOME,
      GOOGLE_APPLICATION_CREDENTIALS:
        process.env.GOOGLE_APPLICATION_CREDENTIALS,
    };
    process.env.GCE_METADATA_HOST = `127.0.0.1:${fake.port}`;
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
    process.env.GOOGLE_CLOUD_PROJECT = 'fake-project';
    process.env.HOME = mkdtempSync(join(tmpdir(), 'adc-'));
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    try {
      // Without credentials the server refuses.
      const anonymous = await setup(fake);
      expect((await anonymous.provider.scan()).apis).toBeUndefined();
      expect(anonymous.logged('error')[0]).toMatch(/Listing .* failed: 401/);

      // (Listing and downloads use one client each, so two tokens at a time.)
      const t = await setup(fake, { authenticate: true });
      const tokensOf = () =>
        new Set(fake.requests.map(r => r.authorization).filter(Boolean));
      expect((await t.provider.scan()).apis).toBe(1);
      fake.put(BUCKET, 'apis/a.yaml', openapi('A2'));
      expect(await t.provider.scan()).toMatchObject({ downloaded: 1 });
      // Both scans with the same tokens: cached, not fetched per request.
      expect(fake.tokensIssued).toHaveLength(2);
      expect(tokensOf().size).toBe(2);

      // Past the renewal point: new tokens; the old ones then expire.
      await new Promise(r => setTimeout(r, 2200));
      fake.put(BUCKET, 'apis/a.yaml', openapi('A3'));
      expect(await t.provider.scan()).toMatchObject({ apis: 1, downloaded: 1 });
      expect(t.entities().a.metadata.title).toBe('A3');
      expect(fake.tokensIssued).toHaveLength(4);
      expect(tokensOf().size).toBe(4);
      await new Promise(r => setTimeout(r, 1000));
      const expired = await fetch(`${fake.url}/storage/v1/b/${BUCKET}/o`, {
        headers: { authorization: `Bearer ${fake.tokensIssued[0]}` },
      });
      expect(expired.status).toBe(401);
      expect(await t.provider.scan()).toMatchObject({ apis: 1 });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
