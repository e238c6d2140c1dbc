import { JsonObject } from '@backstage/types';
import {
  applyDatabaseSettings,
  checkInstanceConnectionName,
  checkPostgresHost,
} from './database';
import { createContractSubstitution, deploymentContract } from './contract';

/** backend.database as app-config.production.yaml gives it after substitution. */
function production(
  connection: JsonObject,
  extra: JsonObject = {},
): JsonObject {
  return {
    backend: {
      baseUrl: 'https://portal.example.com',
      database: {
        client: 'pg',
        pluginDivisionMode: 'database',
        connection: {
          // From the SQLite base layer (app-config.yaml), merged in.
          directory: '../../.data/sqlite',
          port: '5432',
          user: 'portal',
          ipAddressType: 'PUBLIC',
          statement_timeout: '30000',
          ...connection,
        },
        knexConfig: {
          pool: { min: 0, max: '5' },
          acquireConnectionTimeout: 10000,
        },
        ...extra,
      },
    },
  };
}

const databaseOf = (data: JsonObject) =>
  (data.backend as JsonObject).database as JsonObject;

describe('applyDatabaseSettings', () => {
  it('leaves a non-PostgreSQL database (local SQLite) alone', () => {
    const data = {
      backend: {
        database: {
          client: 'better-sqlite3',
          connection: { directory: '../../.data/sqlite' },
        },
      },
    };
    expect(applyDatabaseSettings(data).data).toBe(data);
    expect(applyDatabaseSettings({ app: {} }).data).toEqual({ app: {} });
  });

  it('TCP or the /cloudsql socket: host and password, numbers as numbers, no connector or SQLite keys', () => {
    const { data } = applyDatabaseSettings(
      production({
        host: '/cloudsql/acme-prod:europe-west1:portal',
        password: 'pw',
      }),
    );
    expect(databaseOf(data)).toEqual({
      client: 'pg',
      pluginDivisionMode: 'database',
      connection: {
        host: '/cloudsql/acme-prod:europe-west1:portal',
        port: 5432,
        user: 'portal',
        password: 'pw',
        statement_timeout: 30000,
      },
      knexConfig: {
        pool: { min: 0, max: 5 },
        acquireConnectionTimeout: 10000,
      },
    });
    expect((data.backend as JsonObject).baseUrl).toBe(
      'https://portal.example.com',
    );
  });

  it('a statement timeout of 0 stays 0 (no limit)', () => {
    const { data } = applyDatabaseSettings(
      production({ host: 'db', password: 'pw', statement_timeout: '0' }),
    );
    expect((databaseOf(data).connection as JsonObject).statement_timeout).toBe(
      0,
    );
  });

  it('CLOUD_SQL_INSTANCE: the Cloud SQL connector with IAM, without host, port or password', () => {
    const { data } = applyDatabaseSettings(
      production({
        instance: 'acme-prod:europe-west1:portal',
        ipAddressType: 'private',
        user: 'portal-runtime@acme-prod.iam',
        password: 'ignored',
      }),
    );
    expect(databaseOf(data).connection).toEqual({
      type: 'cloudsql',
      instance: 'acme-prod:europe-west1:portal',
      ipAddressType: 'PRIVATE',
      user: 'portal-runtime@acme-prod.iam',
      statement_timeout: 30000,
    });
  });

  it('refuses both a host and CLOUD_SQL_INSTANCE', () => {
    expect(() =>
      applyDatabaseSettings(
        production({
          host: '10.0.0.5',
          instance: 'acme-prod:europe-west1:portal',
          user: 'portal-runtime@acme-prod.iam',
        }),
      ),
    ).toThrow(/POSTGRES_HOST and CLOUD_SQL_INSTANCE are both set/);
  });

  it('refuses a service account e-mail as the IAM database user, naming the right one', () => {
    expect(() =>
      applyDatabaseSettings(
        production({
          instance: 'acme-prod:europe-west1:portal',
          user: 'portal-runtime@acme-prod.iam.gserviceaccount.com',
        }),
      ),
    ).toThrow(
      /POSTGRES_USER must be the IAM database user.*\(portal-runtime@acme-prod\.iam\)/,
    );
  });

  it('without the connector, names a missing host or password', () => {
    expect(() => applyDatabaseSettings(production({ password: 'pw' }))).toThrow(
      /POSTGRES_HOST must be set \(or CLOUD_SQL_INSTANCE/,
    );
    expect(() => applyDatabaseSettings(production({ host: 'db' }))).toThrow(
      /POSTGRES_PASSWORD must be set/,
    );
  });

  it('schema mode keeps the database and needs one', () => {
    const { data } = applyDatabaseSettings(
      production(
        { host: 'db', password: 'pw', database: 'portal' },
        { pluginDivisionMode: 'schema' },
      ),
    );
    expect(databaseOf(data).pluginDivisionMode).toBe('schema');
    expect((databaseOf(data).connection as JsonObject).database).toBe('portal');
    // Only schemas are created: no connection to the `postgres` database.
    expect(databaseOf(data)).toMatchObject({
      ensureExists: false,
      ensureSchemaExists: true,
    });
    const database = applyDatabaseSettings(
      production({ host: 'db', password: 'pw' }, {}),
    ).data;
    expect(databaseOf(database).ensureExists).toBeUndefined();
    expect(() =>
      applyDatabaseSettings(
        production(
          { host: 'db', password: 'pw' },
          { pluginDivisionMode: 'schema' },
        ),
      ),
    ).toThrow(
      /POSTGRES_DATABASE must be set with POSTGRES_PLUGIN_DIVISION_MODE=schema/,
    );
  });
});

describe('contract checks of the database variables', () => {
  it('POSTGRES_HOST: a host, or the socket directory, not the socket file', () => {
    expect(checkPostgresHost('10.0.0.5')).toBeUndefined();
    expect(
      checkPostgresHost('/cloudsql/acme-prod:europe-west1:portal'),
    ).toBeUndefined();
    expect(checkPostgresHost('/tmp/x/cloudsql/p:r:i')).toBeUndefined();
    expect(
      checkPostgresHost(
        '/cloudsql/acme-prod:europe-west1:portal/.s.PGSQL.5432',
      ),
    ).toMatch(/directory holding the socket/);
    expect(checkPostgresHost('/cloudsql/portal')).toMatch(
      /\/cloudsql\/<project>:<region>:<instance>/,
    );
  });

  it('CLOUD_SQL_INSTANCE: an instance connection name', () => {
    expect(
      checkInstanceConnectionName('acme-prod:europe-west1:portal'),
    ).toBeUndefined();
    expect(
      checkInstanceConnectionName('example.com:acme-prod:europe-west1:portal'),
    ).toBeUndefined();
    expect(checkInstanceConnectionName('portal')).toMatch(
      /<project>:<region>:<instance>/,
    );
  });

  it('host and password are required unless CLOUD_SQL_INSTANCE is set', async () => {
    const missing = async (env: Record<string, string>) => {
      const { substitute, check } = createContractSubstitution(
        env,
        deploymentContract,
      );
      for (const name of [
        'POSTGRES_HOST',
        'POSTGRES_USER',
        'POSTGRES_PASSWORD',
      ]) {
        await substitute(name);
      }
      try {
        check();
        return [];
      } catch (error) {
        return (error as { variables: string[] }).variables;
      }
    };
    expect(await missing({ POSTGRES_USER: 'portal' })).toEqual([
      'POSTGRES_HOST',
      'POSTGRES_PASSWORD',
    ]);
    expect(
      await missing({
        POSTGRES_USER: 'portal-runtime@acme-prod.iam',
        CLOUD_SQL_INSTANCE: 'acme-prod:europe-west1:portal',
      }),
    ).toEqual([]);
  });

  it('rejects unusable values with a clear message', () => {
    const problem = (name: string, value: string) =>
      deploymentContract.find(v => v.name === name)?.validate?.(value);
    expect(problem('POSTGRES_POOL_MAX', '0')).toMatch(/from 1 to 100/);
    expect(problem('POSTGRES_POOL_MAX', '5')).toBeUndefined();
    expect(problem('POSTGRES_STATEMENT_TIMEOUT_MS', '30s')).toMatch(
      /whole number/,
    );
    expect(problem('POSTGRES_STATEMENT_TIMEOUT_MS', '0')).toBeUndefined();
    expect(problem('POSTGRES_PLUGIN_DIVISION_MODE', 'schemas')).toMatch(
      /database or schema/,
    );
    expect(problem('CLOUD_SQL_IP_TYPE', 'private')).toBeUndefined();
    expect(problem('CLOUD_SQL_IP_TYPE', 'VPC')).toMatch(
      /PUBLIC, PRIVATE or PSC/,
    );
    expect(problem('POSTGRES_DATABASE', 'portal db')).toMatch(/database name/);
  });
});

describe('skipMigrations (PORTAL_SKIP_MIGRATIONS)', () => {
  const withSkip = (skipMigrations: string, plugin?: JsonObject) =>
    production(
      { host: 'db.internal', password: 'pw' },
      { skipMigrations, ...(plugin && { plugin }) },
    );

  it("becomes a boolean: the substitution gives 'true' or 'false'", () => {
    expect(
      databaseOf(applyDatabaseSettings(withSkip('true')).data).skipMigrations,
    ).toBe(true);
    expect(
      databaseOf(applyDatabaseSettings(withSkip('false')).data).skipMigrations,
    ).toBe(false);
    expect(
      databaseOf(applyDatabaseSettings(withSkip(' TRUE ')).data).skipMigrations,
    ).toBe(true);
  });

  it('per plugin too, other plugin settings untouched', () => {
    const database = databaseOf(
      applyDatabaseSettings(
        withSkip('false', {
          catalog: { skipMigrations: 'true' },
          search: { client: 'pg' },
        }),
      ).data,
    );
    expect(database.plugin).toEqual({
      catalog: { skipMigrations: true },
      search: { client: 'pg' },
    });
  });

  it('anything else stops start-up naming the variable', () => {
    expect(() => applyDatabaseSettings(withSkip('maybe'))).toThrow(
      "backend.database.skipMigrations (PORTAL_SKIP_MIGRATIONS) must be true or false, not 'maybe'",
    );
  });

  it('applies to any client and leaves the input alone', () => {
    const data = {
      backend: {
        database: { client: 'better-sqlite3', skipMigrations: 'true' },
      },
    };
    expect(databaseOf(applyDatabaseSettings(data).data)).toEqual({
      client: 'better-sqlite3',
      skipMigrations: true,
    });
    expect(data.backend.database.skipMigrations).toBe('true');
  });

  it('is read by the contract as true or false', () => {
    const problem = (name: string, value: string) =>
      deploymentContract.find(v => v.name === name)?.validate?.(value);
    for (const name of ['PORTAL_SKIP_MIGRATIONS', 'PORTAL_MIGRATE_ONLY']) {
      expect(problem(name, 'true')).toBeUndefined();
      expect(problem(name, 'false')).toBeUndefined();
      expect(problem(name, 'sometimes')).toBe('must be true or false');
    }
  });
});
