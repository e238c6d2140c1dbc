import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { urlReaderServiceFactory } from '@backstage/backend-defaults/urlReader';
import { JsonObject } from '@backstage/types';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import catalogLogs from '@backstage/plugin-catalog-backend-module-logs';
import permissionPlugin from '@backstage/plugin-permission-backend';
import portalPolicy from '@internal/backstage-plugin-permission-backend-module-portal-policy';
import searchPlugin from '@backstage/plugin-search-backend';
import searchPg from '@backstage/plugin-search-backend-module-pg';
import searchCatalog from '@backstage/plugin-search-backend-module-catalog';

export { repoRoot } from './repoRoot';

/**
 * Connection string of the PostgreSQL that the test scripts start
 * (scripts/test.sh exports it). Missing: PostgreSQL tests fail in CI and are
 * skipped, with a message, elsewhere.
 */
export const postgresUrl =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;

export type DatabaseKind = 'postgres' | 'sqlite';

export function databaseConfig(
  kind: DatabaseKind,
  sqliteDir?: string,
): JsonObject {
  if (kind === 'postgres') {
    if (!postgresUrl) {
      throw new Error(
        'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set; run the suite with `yarn test:all` (scripts/test.sh starts PostgreSQL)',
      );
    }
    // A fresh prefix per test gives every run its own databases.
    return {
      client: 'pg',
      connection: postgresUrl,
      prefix: `itest_${randomBytes(4).toString('hex')}_`,
    };
  }
  return {
    client: 'better-sqlite3',
    connection: sqliteDir ? { directory: sqliteDir } : ':memory:',
  };
}

export function tempDir(prefix: string) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the catalog, permission and search plugins (as packages/backend
 * wires them) with real database, scheduler and URL reader services.
 */
export async function startCatalogBackend(options: {
  database: JsonObject;
  locations: Array<{ type: string; target: string; rules?: JsonObject[] }>;
  /** Hosts the URL reader may read from (backend.reading.allow). */
  readingAllow?: string[];
  /** More backend features (catalog modules under test). */
  features?: Parameters<typeof startTestBackend>[0]['features'];
  /** catalog.providers */
  providers?: JsonObject;
}) {
  return startTestBackend({
    features: [
      catalogPlugin,
      scaffolderEntityModel,
      catalogLogs,
      permissionPlugin,
      portalPolicy,
      searchPlugin,
      searchPg,
      searchCatalog,
      ...(options.features ?? []),
      databaseServiceFactory,
      // PORTAL_TEST_LOG=1 prints the plugins' warnings (e.g. processing errors).
      ...(process.env.PORTAL_TEST_LOG
        ? [mockServices.rootLogger.factory({ level: 'warn' })]
        : []),
      schedulerServiceFactory,
      urlReaderServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl: 'http://localhost:7007',
            database: options.database,
            reading: {
              allow: (options.readingAllow ?? []).map(host => ({ host })),
            },
          },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [
              {
                allow: [
                  'Component',
                  'System',
                  'Domain',
                  'API',
                  'Resource',
                  'Location',
                  'User',
                  'Group',
                  'Template',
                ],
              },
            ],
            locations: options.locations as unknown as JsonObject[],
            ...(options.providers ? { providers: options.providers } : {}),
          },
          search: {
            collators: {
              catalog: {
                schedule: {
                  frequency: { minutes: 10 },
                  timeout: { minutes: 5 },
                  initialDelay: { seconds: 1 },
                },
              },
            },
          },
        },
      }),
    ],
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}
