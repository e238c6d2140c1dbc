/*
 * The Cloud SQL Node connector with IAM database authentication, chosen
 * through configuration alone (CLOUD_SQL_INSTANCE, POSTGRES_USER as the IAM
 * database user, no host, no password): Backstage's database manager
 * (`connection.type: cloudsql`) drives the real
 * @google-cloud/cloud-sql-connector, which gets a token from the metadata
 * server (Application Default Credentials, as on Cloud Run), calls the SQL
 * Admin API for the instance's settings and an ephemeral client certificate,
 * and opens TLS to the instance on port 3307. A local Cloud SQL
 * (scripts/lib/cloud-sql-fake.js) answers all three and pipes accepted
 * connections to a real PostgreSQL.
 *
 * Backstage's side runs in a child Node process: Google's auth stack (gaxios
 * 8) loads fetch with a dynamic import(), which Jest's module sandbox does
 * not allow. The one seam: the connector takes the Admin API's address only
 * from constructor options, which Backstage does not pass, so the child is
 * started with scripts/lib/cloud-sql-admin-endpoint.js preloaded.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { JsonObject } from '@backstage/types';
import { repoRoot } from '../__testUtils__/testBackend';
import {
  havePostgreSQL,
  productionDatabase,
  SocketCluster,
  startSocketCluster,
} from '../__testUtils__/productionDatabase';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  CloudSqlFake,
  startCloudSqlFake,
} from '../../../../scripts/lib/cloud-sql-fake';

jest.setTimeout(120_000);

const describePg = havePostgreSQL || process.env.CI ? describe : describe.skip;

const INSTANCE = 'fake-project:europe-west1:portal';

/**
 * Run in the child: Backstage's DatabaseManager (what the database service
 * uses) gives plugin `probe` its client; prints what PostgreSQL says.
 */
const CHILD = `
const { DatabaseManager } = require('@backstage/backend-defaults/database');
const { ConfigReader } = require('@backstage/config');
(async () => {
  const database = JSON.parse(process.env.PROBE_DATABASE);
  const manager = DatabaseManager.fromConfig(new ConfigReader({ backend: { database } }));
  const logger = { warn() {}, info() {}, error() {}, debug() {}, child() { return logger; } };
  const out = {};
  try {
    const knex = await manager
      .forPlugin('probe', { logger, lifecycle: { addShutdownHook() {}, addStartupHook() {} } })
      .getClient();
    out.row = (await knex.raw(
      'select current_user as who, current_database() as db, inet_client_addr() as addr',
    )).rows[0];
    out.statementTimeout = (await knex.raw('show statement_timeout')).rows[0].statement_timeout;
    out.poolMax = knex.client.pool.max;
    await knex.destroy();
  } catch (error) {
    out.error = String(error && error.message);
  }
  process.stdout.write('\\nPROBE ' + JSON.stringify(out) + '\\n');
  process.exit(0);
})();
`;

async function probeInChild(
  database: JsonObject,
  fake: CloudSqlFake,
): Promise<{
  row?: { who: string; db: string; addr: string | null };
  statementTimeout?: string;
  poolMax?: number;
  error?: string;
}> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--require',
      path.join(repoRoot, 'scripts/lib/cloud-sql-admin-endpoint.js'),
      '-e',
      CHILD,
    ],
    {
      cwd: path.join(repoRoot, 'packages/backend'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        // Cloud Run: Application Default Credentials from the metadata server.
        GCE_METADATA_HOST: fake.metadataHost,
        CLOUD_SQL_ADMIN_API_ENDPOINT: fake.url,
        PROBE_DATABASE: JSON.stringify(database),
      },
      timeout: 60_000,
    },
  );
  // knex may print warnings to stdout too.
  const line = stdout.split('\n').find(l => l.startsWith('PROBE '));
  if (!line) throw new Error(`The probe printed no result:\n${stdout}`);
  return JSON.parse(line.slice('PROBE '.length));
}

describePg(
  'the Cloud SQL Node connector with IAM database authentication',
  () => {
    let pg: SocketCluster;
    let fake: CloudSqlFake;

    beforeAll(async () => {
      pg = startSocketCluster();
      fake = await startCloudSqlFake({
        instanceConnectionName: INSTANCE,
        postgres: { path: pg.socketPath, port: pg.port },
      });
      // The IAM database user exists in the instance (gcloud sql users create
      // --type=cloud_iam_service_account); Backstage creates a database per plugin.
      const admin = await pg.admin();
      await admin.query(`create role "${fake.iamUser}" login createdb`);
      await admin.end();
    });

    afterAll(async () => {
      await fake?.stop();
      pg?.stop();
    });

    it('is chosen by CLOUD_SQL_INSTANCE (no host, port or password) and connects plugins as the IAM database user', async () => {
      const database = await productionDatabase({
        CLOUD_SQL_INSTANCE: INSTANCE,
        CLOUD_SQL_IP_TYPE: 'PUBLIC',
        POSTGRES_USER: fake.iamUser,
      });
      expect(database.connection).toEqual({
        type: 'cloudsql',
        instance: INSTANCE,
        ipAddressType: 'PUBLIC',
        user: fake.iamUser,
        statement_timeout: 30000,
      });

      const result = await probeInChild(database, fake);
      expect(result).toEqual({
        // addr: the fake's proxy reaches PostgreSQL over its socket.
        row: { who: fake.iamUser, db: 'backstage_plugin_probe', addr: null },
        statementTimeout: '30s',
        poolMax: 5,
      });
      expect(fake.counts.connectSettings).toBeGreaterThan(0);
      expect(fake.counts.ephemeralCerts).toBeGreaterThan(0);
      expect(fake.counts.connections).toBeGreaterThan(0);
      expect(fake.counts.refused).toBe(0);
      // Tokens came from the metadata server, as on Cloud Run.
      expect(fake.tokensIssued.length).toBeGreaterThan(0);
      expect(new Set(fake.requests)).toEqual(
        new Set([
          'GET /sql/v1beta4/projects/fake-project/instances/portal/connectSettings',
          'POST /sql/v1beta4/projects/fake-project/instances/portal:generateEphemeralCert',
        ]),
      );
      // The plugin's database was created by the IAM user.
      const admin = await pg.admin();
      try {
        const { rows } = await admin.query(
          "select pg_get_userbyid(datdba) as owner from pg_database where datname = 'backstage_plugin_probe'",
        );
        expect(rows).toEqual([{ owner: fake.iamUser }]);
      } finally {
        await admin.end();
      }
    });

    it('refuses a user that is not the IAM database user of the credentials, and says so', async () => {
      const database = await productionDatabase({
        CLOUD_SQL_INSTANCE: INSTANCE,
        POSTGRES_USER: 'someone-else@fake-project.iam',
      });
      const result = await probeInChild(database, fake);
      expect(result.error).toMatch(
        /Cloud SQL IAM user authentication failed for user "someone-else@fake-project.iam"/,
      );
      expect(fake.refusals).toContain(
        'Cloud SQL IAM user authentication failed for user "someone-else@fake-project.iam"',
      );
    });
  },
);
