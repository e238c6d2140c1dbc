/*
 * The migration job and the serving instances that skip migrations
 * (docs/deployment.md), with the production tree on its own PostgreSQL: the
 * image started with PORTAL_MIGRATE_ONLY=true migrates every plugin's
 * database and exits 0; an instance with PORTAL_SKIP_MIGRATIONS=true then
 * starts against that database, serves, and runs no migration itself.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { Client } from 'pg';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const token = 'migrations-e2e-token-0123456789';

async function query(
  pg: { host: string; port: number },
  database: string,
  sql: string,
) {
  const client = new Client({ ...pg, user: 'postgres', database });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

test('the migration job migrates and exits 0; a serving instance that skips migrations starts on that database', async () => {
  test.setTimeout(240_000);
  const pg = portal.startPostgres(path.join(portal.workDir, 'migrations-pg'));
  try {
    // 1. The migration job: same image and environment, PORTAL_MIGRATE_ONLY.
    const job = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({ pg, port: await portal.freePort(), token }),
        PORTAL_MIGRATE_ONLY: 'true',
      },
      extraArgs: [],
      logFile: path.join(portal.workDir, 'e2e-migrate-job.log'),
    });
    const exit = await Promise.race([
      job.exited,
      new Promise<{ code: string }>(r =>
        setTimeout(() => r({ code: 'timeout' }), 120_000),
      ),
    ]);
    if (exit.code !== 0) await job.stop();
    expect(exit.code, job.output().slice(-4000)).toBe(0);
    expect(job.output()).toContain(
      'Migration job: every plugin started and its migrations are applied; shutting down',
    );

    // Every plugin's database exists and is migrated.
    const databases = (
      await query(
        pg,
        'postgres',
        "SELECT datname FROM pg_database WHERE datname LIKE 'backstage_plugin_%'",
      )
    ).map(r => r.datname);
    expect(databases).toEqual(
      expect.arrayContaining([
        'backstage_plugin_catalog',
        'backstage_plugin_scaffolder',
        'backstage_plugin_search',
      ]),
    );
    const catalogMigrations = async () =>
      Number(
        (
          await query(
            pg,
            'backstage_plugin_catalog',
            'SELECT count(*) AS n FROM knex_migrations',
          )
        )[0].n,
      );
    const migrated = await catalogMigrations();
    expect(migrated).toBeGreaterThan(10);
    // The GitHub webhook module's table of accepted deliveries (made in the
    // background while serving; the job waits for it).
    expect(
      await query(
        pg,
        'backstage_plugin_events',
        "SELECT to_regclass('portal_github_webhook_deliveries') AS t",
      ),
    ).toEqual([{ t: 'portal_github_webhook_deliveries' }]);

    // The newest catalog migration is "forgotten": an instance that migrated
    // would apply it again; one that skips migrations leaves it be.
    await query(
      pg,
      'backstage_plugin_catalog',
      'DELETE FROM knex_migrations WHERE id = (SELECT max(id) FROM knex_migrations)',
    );

    // 2. A serving instance with PORTAL_SKIP_MIGRATIONS.
    const port = await portal.freePort();
    const server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({ pg, port, token }),
        PORTAL_SKIP_MIGRATIONS: 'true',
      },
      extraArgs: [],
      logFile: path.join(portal.workDir, 'e2e-skip-migrations.log'),
    });
    try {
      await server.waitReady();
      const res = await portal.waitFor('the catalog', async () => {
        const r = await fetch(
          `${server.base}/api/catalog/entities?filter=kind=component`,
          { headers: { Authorization: `Bearer ${token}` } },
        );
        const body = r.status === 200 ? await r.json() : [];
        return body.length > 0 ? body : undefined;
      });
      expect(res.map((e: any) => e.metadata.name)).toContain(
        'developer-portal',
      );
      expect(await catalogMigrations()).toBe(migrated - 1);
      // Nothing it needs was left unmigrated (such as a plugin scheduler's
      // task tables, which Backstage creates lazily).
      expect(server.output()).not.toMatch(/relation "[^"]+" does not exist/);
    } finally {
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
    }
  } finally {
    pg.stop();
  }
});
