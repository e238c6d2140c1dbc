/*
 * Contract variables from Secret Manager, in the production server: the
 * path Cloud Run takes (TLS, Application Default Credentials from the
 * metadata server) against the local Secret Manager
 * (scripts/lib/secret-manager-fake.js), through @google-cloud/secret-manager.
 */
import { expect, test } from '@playwright/test';
import {
  SecretManagerFake,
  startSecretManagerFake,
  // eslint-disable-next-line @backstage/no-relative-monorepo-imports
} from '../../../scripts/lib/secret-manager-fake';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const pg = () => portal.sharedPostgres();

const TOKEN_V1 = 'sm-pipeline-token-v1-0123456789';
const TOKEN_V2 = 'sm-pipeline-token-v2-0123456789';
const SESSION = 'sm-session-secret-0123456789abcdefghijkl';
// Not a secret to Backstage's config schema: redacted only because it came
// from Secret Manager.
const CLIENT_ID = 'sm-okta-client-id-0123456789';

let fake: SecretManagerFake;
test.beforeEach(async () => {
  fake = await startSecretManagerFake({
    tls: true,
    auth: { tokenLifetimeSeconds: 300 },
    secrets: {
      'fake-project/portal-api-token': TOKEN_V1,
      'fake-project/auth-session-secret': SESSION,
      'fake-project/okta-client-id': CLIENT_ID,
    },
  });
});
test.afterEach(async () => {
  await fake.close();
});

/** The server's environment: the e2e contract with references. */
function env(port: number, overrides: Record<string, string> = {}) {
  return {
    ...portal.contractEnv({ pg: pg(), port }),
    ...portal.apiDocsEnv(),
    // Cloud Run's way in: TLS and the metadata server's tokens.
    PORTAL_SECRET_MANAGER_ENDPOINT: fake.endpoint,
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: fake.caFile!,
    GCE_METADATA_HOST: fake.metadataHost!,
    METADATA_SERVER_DETECTION: 'assume-present',
    PORTAL_API_TOKEN: 'sm://fake-project/portal-api-token',
    AUTH_SESSION_SECRET: 'sm://fake-project/auth-session-secret#1',
    OKTA_CLIENT_ID: 'sm://fake-project/okta-client-id',
    // Read the references again every second (default 10 minutes).
    APP_CONFIG_portal_secrets_refreshInterval: '{"seconds":1}',
    ...overrides,
  };
}

test('contract variables come from Secret Manager, rotate and never reach the log', async () => {
  const port = await portal.freePort();
  const server = portal.startServer({
    tree: process.env.PORTAL_TREE,
    env: env(port),
  });
  try {
    await server.waitReady();
    const res = await fetch(
      `${server.base}/api/catalog/entities?limit=1&filter=metadata.name=${TOKEN_V1}`,
      { headers: { Authorization: `Bearer ${TOKEN_V1}` } },
    );
    expect(res.status).toBe(200);
    expect(
      fake.calls.filter(c => c.key === 'fake-project/portal-api-token'),
    ).toContainEqual(expect.objectContaining({ authorized: true }));
    expect(server.output()).toContain(
      'PORTAL_API_TOKEN read from Secret Manager (sm://fake-project/portal-api-token, version 1)',
    );

    fake.set('fake-project/portal-api-token', TOKEN_V2);
    // (waitFor waits while the probe returns undefined.)
    await portal.waitFor(
      'the rotation in the log',
      async () =>
        server
          .output()
          .includes(
            'PORTAL_API_TOKEN rotated in Secret Manager (version 1 -> 2); configuration reloaded',
          ) || undefined,
    );
    await fetch(
      `${server.base}/api/catalog/entities?limit=1&filter=metadata.name=${TOKEN_V2}`,
    );
    await fetch(
      `${server.base}/api/catalog/entities?limit=1&filter=metadata.name=${CLIENT_ID}`,
    );
    // The three request lines are logged with the values redacted.
    const redacted = () =>
      server
        .output()
        .split('\n')
        .filter(line => line.includes('filter=metadata.name=***')).length;
    await portal.waitFor('the request log lines', async () =>
      redacted() >= 3 ? true : undefined,
    );
    // The pinned session secret was read once, the token again each second.
    expect(fake.accessCount('fake-project/auth-session-secret')).toBe(1);
    expect(fake.accessCount('fake-project/portal-api-token')).toBeGreaterThan(
      1,
    );
  } finally {
    await server.stop();
  }
  const output = server.output();
  for (const value of [TOKEN_V1, TOKEN_V2, SESSION, CLIENT_ID]) {
    expect(output).not.toContain(value);
  }
});

test('a secret that cannot be read stops start-up, naming the variable and the secret', async () => {
  fake.deny('fake-project/auth-session-secret');
  const port = await portal.freePort();
  const server = portal.startServer({
    tree: process.env.PORTAL_TREE,
    env: env(port, { OKTA_CLIENT_SECRET: 'sm://fake-project/okta-missing' }),
  });
  const result = await Promise.race([
    server.exited,
    new Promise(r => setTimeout(() => r('timeout'), 60_000)),
  ]);
  await server.stop();
  expect(result).not.toBe('timeout');
  expect((result as { code: number }).code).toBe(1);
  const output = server.output();
  expect(output).toContain(
    "AUTH_SESSION_SECRET (sm://fake-project/auth-session-secret#1): permission denied: the service account needs roles/secretmanager.secretAccessor on secret 'auth-session-secret' in project 'fake-project'",
  );
  expect(output).toContain(
    "OKTA_CLIENT_SECRET (sm://fake-project/okta-missing): not found: secret 'okta-missing'",
  );
  expect(output).not.toContain(TOKEN_V1);
  expect(output).not.toContain(SESSION);
});
