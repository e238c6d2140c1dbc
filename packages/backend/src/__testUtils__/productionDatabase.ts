/*
 * Helpers for tests of the production database settings: a throwaway
 * PostgreSQL whose Unix socket is laid out like Cloud Run's, `backend.database`
 * as the portal's root config service makes it from contract variables, and a
 * plugin that hands its database client to the test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import {
  coreServices,
  createBackendPlugin,
  DatabaseService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { loadPortalConfig } from '@internal/backend-services';
import { repoRoot } from './testBackend';

export type Knex = Awaited<ReturnType<DatabaseService['getClient']>>;

const postgresScript = path.join(repoRoot, 'scripts/postgres.sh');

/** Whether PostgreSQL's binaries are installed (scripts/postgres.sh needs them). */
export const havePostgreSQL = fs.existsSync('/usr/lib/postgresql');

export type SocketCluster = ReturnType<typeof startSocketCluster>;

/**
 * A throwaway cluster (scripts/postgres.sh) whose socket is
 * `<tmp>/cloudsql/<instance>/.s.PGSQL.<port>`, as Cloud Run mounts
 * `/cloudsql/<instance>/.s.PGSQL.5432`.
 */
export function startSocketCluster(instance = 'acme-test:europe-west1:portal') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-cloudsql-'));
  // The postgres user must reach the socket directory below it.
  fs.chmodSync(root, 0o755);
  const socketDir = path.join(root, 'cloudsql', instance);
  const dataDir = path.join(root, 'pg');
  const out = execFileSync(
    postgresScript,
    ['start', dataDir, '--socket-dir', socketDir],
    { encoding: 'utf8' },
  );
  const port = Number(/PGPORT=(\d+)/.exec(out)![1]);
  return {
    socketDir,
    port,
    /** The socket file. */
    socketPath: path.join(socketDir, `.s.PGSQL.${port}`),
    /** An administrator's client over the socket. */
    async admin(database = 'postgres') {
      const client = new Client({
        host: socketDir,
        port,
        user: 'postgres',
        database,
      });
      await client.connect();
      return client;
    },
    stop() {
      execFileSync(postgresScript, ['stop', dataDir], { stdio: 'ignore' });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The production configuration (app-config.yaml + app-config.production.yaml,
 * the contract check and the portal's adjustments) for this environment.
 */
export function productionConfig(env: Record<string, string>) {
  return loadPortalConfig({
    argv: [
      'node',
      'backend',
      '--config',
      path.join(repoRoot, 'app-config.yaml'),
      '--config',
      path.join(repoRoot, 'app-config.production.yaml'),
    ],
    env: { ...env, NODE_ENV: 'production' },
    watch: false,
  });
}

/**
 * `backend.database` as the portal's root config service gives it in
 * production, for the given database variables.
 */
export async function productionDatabase(env: Record<string, string>) {
  const config = await productionConfig({
    APP_BASE_URL: 'https://portal.example.com',
    OKTA_CLIENT_ID: 'placeholder',
    OKTA_CLIENT_SECRET: 'placeholder',
    OKTA_AUDIENCE: 'https://acme.okta.com',
    AUTH_SESSION_SECRET: 'placeholder-session-secret-0123456789',
    ...env,
  });
  const database = config.getConfig('backend.database').get<JsonObject>();
  (config as { close?: () => void }).close?.();
  return database;
}

/** A plugin (id `probe`) that hands its database client to the test. */
export function probePlugin() {
  let resolve: (knex: Knex) => void;
  const client = new Promise<Knex>(r => {
    resolve = r;
  });
  const plugin = createBackendPlugin({
    pluginId: 'probe',
    register(env) {
      env.registerInit({
        deps: { database: coreServices.database },
        async init({ database }) {
          resolve(await database.getClient());
        },
      });
    },
  });
  return { plugin, client };
}

/** The portal's own catalog entity file (entity `developer-portal`). */
export const catalogInfo = {
  type: 'file',
  target: path.join(repoRoot, 'catalog-info.yaml'),
};

/** Names of the entities the catalog serves (none while it is not ready). */
export async function entityNames(backend: { server: any }) {
  const res = await request(backend.server).get(
    '/api/catalog/entities/by-query?limit=50',
  );
  return res.status === 200
    ? (res.body.items as Array<{ metadata: { name: string } }>).map(
        e => e.metadata.name,
      )
    : [];
}
