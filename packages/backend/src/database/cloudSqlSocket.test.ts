/*
 * PostgreSQL reached through a Unix socket laid out like Cloud Run's
 * (`/cloudsql/<project>:<region>:<instance>/.s.PGSQL.5432`), with the
 * production configuration (app-config.yaml + app-config.production.yaml,
 * loaded by the portal's loadPortalConfig from contract variables) and real
 * plugins: a database per plugin (the default), and one database with a
 * schema per plugin for a user without CREATEDB; the statement timeout and
 * the pool size reach PostgreSQL. A throwaway cluster per suite
 * (scripts/postgres.sh --socket-dir).
 */
import { JsonObject } from '@backstage/types';
import { startCatalogBackend, waitFor } from '../__testUtils__/testBackend';
import {
  catalogInfo,
  entityNames,
  havePostgreSQL,
  Knex,
  probePlugin,
  productionDatabase,
  startSocketCluster,
} from '../__testUtils__/productionDatabase';

jest.setTimeout(120_000);

if (!havePostgreSQL && !process.env.CI) {
  // eslint-disable-next-line no-console
  console.warn(
    'PostgreSQL is not installed: Cloud SQL socket tests skipped (scripts/postgres.sh installs it)',
  );
}
const describePg = havePostgreSQL || process.env.CI ? describe : describe.skip;

/** The catalog (with the portal's own entity) and the probe plugin on `database`. */
async function startWithProbe(database: JsonObject) {
  const probe = probePlugin();
  const backend = await startCatalogBackend({
    database,
    locations: [catalogInfo],
    features: [probe.plugin],
  });
  return { backend, knex: await probe.client };
}

describePg('PostgreSQL through a Cloud Run-style Unix socket', () => {
  describe('a database per plugin (default)', () => {
    let pg: ReturnType<typeof startSocketCluster>;
    let backend: Awaited<ReturnType<typeof startCatalogBackend>> | undefined;
    let knex: Knex;

    beforeAll(async () => {
      pg = startSocketCluster();
      const database = await productionDatabase({
        POSTGRES_HOST: pg.socketDir,
        POSTGRES_PORT: String(pg.port),
        POSTGRES_USER: 'postgres',
        POSTGRES_PASSWORD: 'unused',
      });
      ({ backend, knex } = await startWithProbe(database));
    });
    afterAll(async () => {
      await backend?.stop();
      pg?.stop();
    });

    it('connects through the socket and gives each plugin its own database', async () => {
      const [row] = (
        await knex.raw(
          'select inet_client_addr() as addr, current_database() as db',
        )
      ).rows;
      // A Unix-socket connection has no client address.
      expect(row).toEqual({ addr: null, db: 'backstage_plugin_probe' });
      const admin = await pg.admin();
      try {
        const { rows } = await admin.query(
          "select datname from pg_database where datname like 'backstage_plugin_%' order by 1",
        );
        expect(rows.map(r => r.datname)).toEqual(
          expect.arrayContaining([
            'backstage_plugin_catalog',
            'backstage_plugin_probe',
            'backstage_plugin_search',
          ]),
        );
      } finally {
        await admin.end();
      }
      // The catalog works over it.
      await waitFor('the catalog entity', async () =>
        (await entityNames(backend!)).includes('developer-portal')
          ? true
          : undefined,
      );
    });

    it('applies the default statement timeout (30 s) and pool size (5)', async () => {
      const [row] = (await knex.raw('show statement_timeout')).rows;
      expect(row.statement_timeout).toBe('30s');
      expect((knex.client as any).pool.max).toBe(5);
      expect((knex.client as any).pool.min).toBe(0);
    });
  });

  describe('one database, a schema per plugin (POSTGRES_PLUGIN_DIVISION_MODE=schema)', () => {
    let pg: ReturnType<typeof startSocketCluster>;
    let backend: Awaited<ReturnType<typeof startCatalogBackend>> | undefined;
    let knex: Knex;
    let database: JsonObject;

    beforeAll(async () => {
      pg = startSocketCluster();
      // What a team that gets one database has: its own database, no CREATEDB.
      const admin = await pg.admin();
      await admin.query('create role portal login nocreatedb');
      await admin.query('create database portal owner portal');
      // ...and no way into the `postgres` database either.
      await admin.query('revoke connect on database postgres from public');
      await admin.end();
      database = await productionDatabase({
        POSTGRES_HOST: pg.socketDir,
        POSTGRES_PORT: String(pg.port),
        POSTGRES_USER: 'portal',
        POSTGRES_PASSWORD: 'unused',
        POSTGRES_PLUGIN_DIVISION_MODE: 'schema',
        POSTGRES_DATABASE: 'portal',
        POSTGRES_POOL_MAX: '3',
        POSTGRES_STATEMENT_TIMEOUT_MS: '1500',
      });
      ({ backend, knex } = await startWithProbe(database));
    });
    afterAll(async () => {
      await backend?.stop();
      pg?.stop();
    });

    it('turns the contract variables into the database settings', () => {
      expect(database).toMatchObject({
        client: 'pg',
        pluginDivisionMode: 'schema',
        connection: {
          host: pg.socketDir,
          port: pg.port,
          user: 'portal',
          database: 'portal',
          statement_timeout: 1500,
        },
        knexConfig: { pool: { min: 0, max: 3 } },
      });
      expect(database.connection).not.toHaveProperty('instance');
      expect(database.connection).not.toHaveProperty('directory');
    });

    it('keeps every plugin in the one database, each in its own schema', async () => {
      const [row] = (
        await knex.raw(
          'select inet_client_addr() as addr, current_database() as db, current_schema() as schema, current_user as who',
        )
      ).rows;
      expect(row).toEqual({
        addr: null,
        db: 'portal',
        schema: 'probe',
        who: 'portal',
      });
      await waitFor('the catalog entity', async () =>
        (await entityNames(backend!)).includes('developer-portal')
          ? true
          : undefined,
      );
      const admin = await pg.admin('portal');
      try {
        const schemas = await admin.query(
          "select nspname from pg_namespace where nspowner = 'portal'::regrole order by 1",
        );
        expect(schemas.rows.map(r => r.nspname)).toEqual(
          expect.arrayContaining(['catalog', 'probe', 'search']),
        );
        const tables = await admin.query(
          "select table_schema from information_schema.tables where table_name = 'final_entities'",
        );
        expect(tables.rows).toEqual([{ table_schema: 'catalog' }]);
        const databases = await admin.query(
          "select datname from pg_database where datname like 'backstage_plugin_%'",
        );
        expect(databases.rows).toEqual([]);
      } finally {
        await admin.end();
      }
    });

    it('PostgreSQL ends a statement that runs past POSTGRES_STATEMENT_TIMEOUT_MS', async () => {
      const [row] = (await knex.raw('show statement_timeout')).rows;
      expect(row.statement_timeout).toBe('1500ms');
      const started = Date.now();
      await expect(knex.raw('select pg_sleep(5)')).rejects.toMatchObject({
        code: '57014', // query_canceled
        message: expect.stringMatching(/statement timeout/),
      });
      expect(Date.now() - started).toBeLessThan(4_000);
      // The connection is usable again.
      expect((await knex.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
    });

    it('opens at most POSTGRES_POOL_MAX connections for a plugin, however many queries wait', async () => {
      expect((knex.client as any).pool.max).toBe(3);
      const admin = await pg.admin();
      try {
        // (A knex query runs once it is awaited: then() starts it.)
        const queries = Array.from({ length: 8 }, () =>
          knex.raw('select pg_sleep(0.4)').then(() => undefined),
        );
        let most = 0;
        const deadline = Date.now() + 1_000;
        while (Date.now() < deadline) {
          const { rows } = await admin.query(
            "select count(*)::int as n from pg_stat_activity where application_name = 'backstage_plugin_probe' and state = 'active'",
          );
          most = Math.max(most, rows[0].n);
          await new Promise(r => setTimeout(r, 50));
        }
        await Promise.all(queries);
        expect(most).toBe(3);
      } finally {
        await admin.end();
      }
    });
  });
});
