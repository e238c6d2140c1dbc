/*
 * The production database (`backend.database` in app-config.production.yaml)
 * reaches Cloud SQL one of three ways, chosen by which contract variables are
 * set:
 *
 * - TCP: POSTGRES_HOST is a host name or address;
 * - the Unix socket Cloud Run mounts: POSTGRES_HOST=/cloudsql/<instance> (a
 *   directory; pg connects to <dir>/.s.PGSQL.<port>);
 * - the Cloud SQL Node connector with IAM database authentication:
 *   CLOUD_SQL_INSTANCE=<project>:<region>:<instance>. Backstage's postgres
 *   connector does the work (`connection.type: cloudsql`); POSTGRES_USER is
 *   the IAM database user and no password is used.
 *
 * The functions here are pure: they turn the loaded configuration into what
 * Backstage's database service reads, or fail with a message naming the
 * variables to fix.
 */
import { JsonObject, JsonValue } from '@backstage/types';
import { checkBoolean, isObject, isTrue } from './jsonValues';

/** `backend.database.knexConfig.pool.max` when POSTGRES_POOL_MAX is unset. */
export const DEFAULT_POOL_MAX = 5;
/** `connection.statement_timeout` (ms) when POSTGRES_STATEMENT_TIMEOUT_MS is unset. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

const isSet = (v: JsonValue | undefined) =>
  v !== undefined && v !== null && String(v).trim() !== '';

/** `project:region:instance`, or `domain:project:region:instance`. */
const INSTANCE_CONNECTION_NAME =
  /^(?:[a-z0-9.-]+:)?[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]+$/;

/** Checks an instance connection name; returns a problem or undefined. */
export function checkInstanceConnectionName(value: string): string | undefined {
  return INSTANCE_CONNECTION_NAME.test(value)
    ? undefined
    : 'must be an instance connection name, <project>:<region>:<instance> (gcloud sql instances describe <instance> --format="value(connectionName)")';
}

/** Checks POSTGRES_HOST; returns a problem or undefined. */
export function checkPostgresHost(value: string): string | undefined {
  if (/\/\.s\.PGSQL\.\d+$/.test(value)) {
    return 'must be the directory holding the socket (/cloudsql/<project>:<region>:<instance>), not the socket file';
  }
  if (value.startsWith('/cloudsql/')) {
    const instance = value.slice('/cloudsql/'.length).replace(/\/+$/, '');
    if (checkInstanceConnectionName(instance)) {
      return 'must be /cloudsql/<project>:<region>:<instance> (the instance connection name Cloud Run mounts the socket under)';
    }
  }
  return undefined;
}

/** Checks a whole number variable; returns a problem or undefined. */
export function checkWholeNumber(min: number, max: number) {
  return (value: string): string | undefined => {
    const n = Number(value);
    return /^\d+$/.test(value) && n >= min && n <= max
      ? undefined
      : `must be a whole number from ${min} to ${max}`;
  };
}

/** A numeric string (as `${VAR}` substitution gives) as a number. */
function toNumber(value: JsonValue | undefined): JsonValue | undefined {
  return typeof value === 'string' && /^\d+$/.test(value.trim())
    ? Number(value)
    : value;
}

function numbersIn(object: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = { ...object };
  for (const key of keys) {
    if (out[key] !== undefined) out[key] = toNumber(out[key]) as JsonValue;
  }
  return out;
}

/**
 * `skipMigrations` of `backend.database` and of each
 * `backend.database.plugin.<id>` as a boolean: `${PORTAL_SKIP_MIGRATIONS}`
 * substitution gives the string 'true' or 'false'. Backstage's database
 * manager reads it with `getOptionalBoolean`, which accepts a few spellings;
 * anything else stops start-up here, naming the variable, instead of in the
 * first plugin that opens the database.
 */
function skipMigrationsAsBoolean(database: JsonObject): JsonObject {
  const convert = (object: JsonObject, where: string): JsonObject => {
    const value = object.skipMigrations;
    if (value === undefined || typeof value === 'boolean') return object;
    const text = String(value).trim();
    if (text === '') {
      const { skipMigrations: _empty, ...rest } = object;
      return rest;
    }
    if (checkBoolean(text)) {
      throw new Error(
        `${where} (PORTAL_SKIP_MIGRATIONS) must be true or false, not '${text}'`,
      );
    }
    return { ...object, skipMigrations: isTrue(text) };
  };
  const out = convert(database, 'backend.database.skipMigrations');
  if (!isObject(out.plugin)) return out;
  return {
    ...out,
    plugin: Object.fromEntries(
      Object.entries(out.plugin).map(([id, settings]) => [
        id,
        isObject(settings)
          ? convert(settings, `backend.database.plugin.${id}.skipMigrations`)
          : settings,
      ]),
    ),
  };
}

/**
 * Prepares `backend.database` for Backstage's PostgreSQL connector (other
 * clients, such as local SQLite, are left alone):
 *
 * - with `connection.instance` (CLOUD_SQL_INSTANCE): `connection.type:
 *   cloudsql`, no host, port or password (IAM database authentication); the
 *   user must be the IAM database user (`<sa>@<project>.iam`);
 * - without it: the connector settings (`instance`, `ipAddressType`) are
 *   removed and host and password must be set;
 * - `pluginDivisionMode: schema` needs `connection.database` (POSTGRES_DATABASE);
 * - numbers that arrive as strings from `${VAR}` (pool sizes, timeouts,
 *   statement_timeout) become numbers;
 * - `connection.directory`, which the SQLite base layer sets and the
 *   production layer merges into, is removed;
 * - `skipMigrations` (PORTAL_SKIP_MIGRATIONS; any client) becomes a boolean.
 *
 * Throws an Error naming the variables to fix.
 */
export function applyDatabaseSettings(data: JsonObject): {
  data: JsonObject;
} {
  const backend = data.backend;
  if (!isObject(backend) || !isObject(backend.database)) return { data };
  const database = skipMigrationsAsBoolean(backend.database);
  if (database.client !== 'pg' || !isObject(database.connection)) {
    return database === backend.database
      ? { data }
      : { data: { ...data, backend: { ...backend, database } } };
  }
  const {
    directory: _sqliteOnly,
    instance,
    ipAddressType,
    ...connection
  } = numbersIn(database.connection, ['port', 'statement_timeout']);
  const problems: string[] = [];
  let next: JsonObject;
  if (isSet(instance)) {
    const name = String(instance).trim();
    const nameProblem = checkInstanceConnectionName(name);
    if (nameProblem) problems.push(`CLOUD_SQL_INSTANCE ${nameProblem}`);
    if (isSet(connection.host)) {
      problems.push(
        'POSTGRES_HOST and CLOUD_SQL_INSTANCE are both set: unset POSTGRES_HOST to connect through the Cloud SQL Node connector, or CLOUD_SQL_INSTANCE to use the host or the /cloudsql socket',
      );
    }
    const user = String(connection.user ?? '');
    if (user.endsWith('.gserviceaccount.com')) {
      problems.push(
        `POSTGRES_USER must be the IAM database user, the service account's e-mail without .gserviceaccount.com (${user.replace(
          /\.gserviceaccount\.com$/,
          '',
        )})`,
      );
    }
    const { host: _h, port: _p, password: _pw, ...rest } = connection;
    next = {
      ...rest,
      type: 'cloudsql',
      instance: name,
      ...(isSet(ipAddressType) && {
        ipAddressType: String(ipAddressType).trim().toUpperCase(),
      }),
    };
  } else {
    const missing = [
      !isSet(connection.host) && 'POSTGRES_HOST',
      !isSet(connection.password) && 'POSTGRES_PASSWORD',
    ].filter(Boolean);
    if (missing.length > 0) {
      problems.push(
        `${missing.join(
          ' and ',
        )} must be set (or CLOUD_SQL_INSTANCE, for the Cloud SQL Node connector with IAM database authentication)`,
      );
    }
    next = connection;
  }
  if (database.pluginDivisionMode === 'schema' && !isSet(next.database)) {
    problems.push(
      'POSTGRES_DATABASE must be set with POSTGRES_PLUGIN_DIVISION_MODE=schema (the one database that holds a schema per plugin)',
    );
  }
  if (problems.length > 0) {
    throw new Error(
      `The database settings are unusable:\n${problems
        .map(p => `  ${p}`)
        .join('\n')}\nSee "Connecting to Cloud SQL" in docs/operations.md.`,
    );
  }
  const knexConfig = isObject(database.knexConfig)
    ? numbersIn(database.knexConfig, ['acquireConnectionTimeout'])
    : undefined;
  if (knexConfig && isObject(knexConfig.pool)) {
    knexConfig.pool = numbersIn(knexConfig.pool, [
      'min',
      'max',
      'acquireTimeoutMillis',
      'idleTimeoutMillis',
    ]);
  }
  return {
    data: {
      ...data,
      backend: {
        ...backend,
        database: {
          ...database,
          connection: next,
          ...(knexConfig && { knexConfig }),
          // Schema mode: the one database exists already; only the schemas
          // are created, so the user needs no connection to the `postgres`
          // database (where Backstage checks that a database exists).
          ...(database.pluginDivisionMode === 'schema' &&
            database.ensureExists === undefined && {
              ensureExists: false,
              ensureSchemaExists: database.ensureSchemaExists ?? true,
            }),
        },
      },
    },
  };
}
