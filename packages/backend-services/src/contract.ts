/**
 * The deployment contract: environment variables that the production
 * configuration (app-config.production.yaml) reads. The platform team sets
 * them on the Cloud Run service; docs/configuration.md lists them for humans.
 *
 * A required variable that a loaded config file references (`${NAME}`) but the
 * environment lacks stops start-up with a message naming it, as does a set
 * value that `validate` rejects. Variables referenced with a fallback
 * (`${PORT:-7007}`) or not marked required may be absent. Descriptions feed
 * the error message.
 */
import { checkBoolean } from './jsonValues';
import {
  checkInstanceConnectionName,
  checkPostgresHost,
  checkWholeNumber,
  DEFAULT_POOL_MAX,
  DEFAULT_STATEMENT_TIMEOUT_MS,
} from './database';

export interface ContractVariable {
  name: string;
  /** Whether it must be set; a function decides from the environment. */
  required: boolean | ((env: Record<string, string | undefined>) => boolean);
  description: string;
  /** Returns a problem with a set value, or undefined when it is fine. */
  validate?: (value: string) => string | undefined;
}

/** Host and password are needed unless the Cloud SQL connector is used. */
const withoutConnector = (env: Record<string, string | undefined>) =>
  !env.CLOUD_SQL_INSTANCE?.trim();

export const deploymentContract: ReadonlyArray<ContractVariable> = [
  {
    name: 'PORT',
    required: false,
    description: 'port to listen on (default 7007)',
  },
  {
    name: 'APP_BASE_URL',
    required: true,
    description: 'public URL of the portal',
  },
  {
    name: 'POSTGRES_HOST',
    required: withoutConnector,
    description:
      'Cloud SQL host, or /cloudsql/<project>:<region>:<instance> for the Unix socket (unless CLOUD_SQL_INSTANCE is set)',
    validate: checkPostgresHost,
  },
  {
    name: 'POSTGRES_PORT',
    required: false,
    description: 'PostgreSQL port (default 5432)',
    validate: checkWholeNumber(1, 65535),
  },
  {
    name: 'POSTGRES_USER',
    required: true,
    description:
      'PostgreSQL user; with CLOUD_SQL_INSTANCE the IAM database user (<service-account>@<project>.iam)',
  },
  {
    name: 'POSTGRES_PASSWORD',
    required: withoutConnector,
    description:
      'PostgreSQL password (unless CLOUD_SQL_INSTANCE is set: IAM database authentication)',
  },
  {
    name: 'CLOUD_SQL_INSTANCE',
    required: false,
    description:
      'instance connection name <project>:<region>:<instance>: connect through the Cloud SQL Node connector with IAM database authentication instead of POSTGRES_HOST',
    validate: checkInstanceConnectionName,
  },
  {
    name: 'CLOUD_SQL_IP_TYPE',
    required: false,
    description:
      'which address of the instance the connector uses: PUBLIC (default), PRIVATE or PSC',
    validate: value =>
      /^(PUBLIC|PRIVATE|PSC)$/i.test(value)
        ? undefined
        : 'must be PUBLIC, PRIVATE or PSC',
  },
  {
    name: 'POSTGRES_PLUGIN_DIVISION_MODE',
    required: false,
    description:
      'database (default): a database per plugin; schema: one database (POSTGRES_DATABASE) with a schema per plugin',
    validate: value =>
      /^(database|schema)$/.test(value)
        ? undefined
        : 'must be database or schema',
  },
  {
    name: 'POSTGRES_DATABASE',
    required: false,
    description:
      'the one database that holds a schema per plugin (with POSTGRES_PLUGIN_DIVISION_MODE=schema)',
    validate: value =>
      /^[A-Za-z0-9_$-]{1,63}$/.test(value)
        ? undefined
        : 'must be a database name (at most 63 letters, digits, _, $ or -)',
  },
  {
    name: 'POSTGRES_POOL_MAX',
    required: false,
    description: `connections per plugin per instance (default ${DEFAULT_POOL_MAX}); see docs/operations.md for the arithmetic`,
    validate: checkWholeNumber(1, 100),
  },
  {
    name: 'POSTGRES_STATEMENT_TIMEOUT_MS',
    required: false,
    description: `longest a statement may run, in milliseconds (default ${DEFAULT_STATEMENT_TIMEOUT_MS}); 0 means no limit`,
    validate: checkWholeNumber(0, 86_400_000),
  },
  {
    name: 'PORTAL_SKIP_MIGRATIONS',
    required: false,
    description:
      'true: this instance runs no database migrations at start-up (serving instances, once the migration job ran them; backend.database.skipMigrations). Default false',
    validate: checkBoolean,
  },
  {
    name: 'PORTAL_MIGRATE_ONLY',
    required: false,
    description:
      'true: the migration job mode: start every plugin (which runs its database migrations), then shut down with exit 0, or exit 1 when a plugin fails to start. Default false',
    validate: checkBoolean,
  },
  {
    name: 'PORTAL_API_TOKEN',
    required: false,
    description:
      'static token for machine clients; unset means none is accepted',
    validate: value =>
      /^\S{16,}$/.test(value)
        ? undefined
        : 'must be at least 16 characters without spaces',
  },
  {
    name: 'OKTA_CLIENT_ID',
    required: true,
    description: 'client id of the Okta OIDC app',
  },
  {
    name: 'OKTA_CLIENT_SECRET',
    required: true,
    description: 'client secret of the Okta OIDC app',
  },
  {
    name: 'OKTA_AUDIENCE',
    required: true,
    description: 'Okta org URL, e.g. https://acme.okta.com',
    validate: value =>
      /^https?:\/\/[^\s/]+/.test(value)
        ? undefined
        : 'must be a URL starting with https:// (the Okta org URL)',
  },
  {
    name: 'OKTA_AUTH_SERVER_ID',
    required: false,
    description: 'Okta authorization server id (default: default)',
  },
  {
    name: 'OKTA_ADMIN_GROUP',
    required: false,
    description:
      'Okta group whose members administer the portal (exact name in the groups claim)',
  },
  {
    name: 'OKTA_TEMPLATE_AUTHOR_GROUP',
    required: false,
    description:
      'Okta group whose members author templates (exact name in the groups claim); unset: admins only',
  },
  {
    name: 'OKTA_GROUP_PREFIX',
    required: false,
    description:
      'only Okta groups starting with this prefix count (as group:okta/<rest>) and make their members portal members; production refuses to start without it unless a configuration layer sets portal.okta.groups.map',
  },
  {
    name: 'AUTH_SESSION_SECRET',
    required: true,
    description: 'secret that signs sign-in session cookies',
    validate: value =>
      value.length >= 32 ? undefined : 'must be at least 32 characters',
  },
  {
    name: 'GITHUB_ORG',
    required: false,
    description:
      'GitHub organisation whose teams, members and repositories fill the catalog; unset means GitHub ingestion is off',
    validate: value =>
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(value)
        ? undefined
        : 'must be a GitHub organisation login (letters, digits, hyphens)',
  },
  {
    name: 'GITHUB_TOKEN',
    required: false,
    description:
      'GitHub token (fine-grained or classic) when no GitHub App is used',
  },
  {
    name: 'GITHUB_APP_ID',
    required: false,
    description: 'GitHub App id (with the other GITHUB_APP_* variables)',
    validate: value =>
      /^\d+$/.test(value) ? undefined : 'must be the numeric App id',
  },
  {
    name: 'GITHUB_APP_PRIVATE_KEY',
    required: false,
    description: "GitHub App private key (PEM; '\\n' escapes accepted)",
    validate: value =>
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)
        ? undefined
        : 'must be a PEM private key (-----BEGIN RSA PRIVATE KEY-----...)',
  },
  {
    name: 'GITHUB_APP_CLIENT_ID',
    required: false,
    description: 'GitHub App client id',
  },
  {
    name: 'GITHUB_APP_CLIENT_SECRET',
    required: false,
    description: 'GitHub App client secret',
  },
  {
    name: 'GITHUB_WEBHOOK_SECRET',
    required: false,
    description:
      'secret GitHub signs webhook deliveries with; unset means no webhook endpoint',
    validate: value =>
      value.length >= 16 ? undefined : 'must be at least 16 characters',
  },
  {
    name: 'GITHUB_API_URL',
    required: false,
    description:
      'GitHub API base URL (default https://api.github.com); tests and PORTAL_GITHUB=fake point it at a local fake',
    validate: value =>
      /^https?:\/\/[^\s/]+/.test(value) ? undefined : 'must be a URL',
  },
  {
    name: 'GOOGLE_CLOUD_PROJECT',
    required: false,
    description:
      "project id for trace links in the logs (projects/<id>/traces/<trace>); Cloud Logging groups a request's lines by it",
  },
  {
    name: 'REDIS_URL',
    required: false,
    description:
      'Memorystore (Redis) URL shared by all instances, e.g. redis://10.0.0.3:6379; unset means an in-memory cache per instance',
    validate: value =>
      /^rediss?:\/\/[^\s/]+/.test(value)
        ? undefined
        : 'must be a redis:// or rediss:// URL, e.g. redis://10.0.0.3:6379',
  },
  {
    name: 'GA4_MEASUREMENT_ID',
    required: false,
    description:
      'Google Analytics 4 measurement id (G-XXXXXXXXXX) of the web data stream; unset means no analytics',
    validate: value =>
      /^G-[A-Z0-9]{4,20}$/.test(value)
        ? undefined
        : 'must be a GA4 measurement id, e.g. G-ABC123XYZ0 (not a UA- property id)',
  },
  {
    name: 'API_DOCS_BUCKET',
    required: false,
    description:
      'Cloud Storage bucket whose OpenAPI, AsyncAPI and GraphQL specs become API entities; unset means off',
    validate: value =>
      /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(value) &&
      !value.includes('..')
        ? undefined
        : 'must be a bucket name (lower-case letters, digits, -, _ and .; no gs:// and no path)',
  },
  {
    name: 'API_DOCS_PREFIX',
    required: false,
    description:
      'only objects under this prefix of API_DOCS_BUCKET, e.g. apis/ (default: the whole bucket)',
    validate: value =>
      value.startsWith('/')
        ? 'must not start with / (object names have no leading slash), e.g. apis/'
        : undefined,
  },
];

/**
 * Raised when required contract variables are missing or set ones are
 * invalid; the message names every one.
 */
export class MissingEnvironmentError extends Error {
  readonly variables: string[];
  constructor(
    missing: string[],
    contract: ReadonlyArray<ContractVariable>,
    invalid: Map<string, string> = new Map(),
  ) {
    const parts: string[] = [];
    if (missing.length > 0) {
      const lines = missing.map(name => {
        const entry = contract.find(v => v.name === name);
        return `  ${name}${entry ? `: ${entry.description}` : ''}`;
      });
      const plural = missing.length > 1;
      parts.push(
        `Missing required environment variable${
          plural ? 's' : ''
        } ${missing.join(', ')}; ` +
          `the configuration references ${plural ? 'them' : 'it'} but ${
            plural ? 'they are' : 'it is'
          } not set:\n${lines.join('\n')}`,
      );
    }
    if (invalid.size > 0) {
      const lines = [...invalid].map(([name, why]) => `  ${name} ${why}`);
      parts.push(
        `Invalid environment variable${invalid.size > 1 ? 's' : ''} ${[
          ...invalid.keys(),
        ].join(', ')}:\n${lines.join('\n')}`,
      );
    }
    parts.push('See docs/configuration.md for the deployment contract.');
    super(parts.join('\n'));
    this.name = 'MissingEnvironmentError';
    this.variables = [...missing, ...invalid.keys()];
  }
}

/**
 * A config substitution function (for `${NAME}` in config files) that reads
 * the given environment and records required contract variables that are
 * referenced but missing or empty, and set ones that are invalid; `check`
 * throws for what it recorded since the previous check.
 */
export function createContractSubstitution(
  env: Record<string, string | undefined>,
  contract: ReadonlyArray<ContractVariable> = deploymentContract,
) {
  const byName = new Map(contract.map(v => [v.name, v]));
  const missing = new Set<string>();
  const invalid = new Map<string, string>();
  const substitute = async (name: string): Promise<string | undefined> => {
    const value = env[name]?.trim();
    if (!value) {
      const required = byName.get(name)?.required;
      if (typeof required === 'function' ? required(env) : required) {
        missing.add(name);
      }
      return undefined;
    }
    const problem = byName.get(name)?.validate?.(value);
    if (problem) {
      invalid.set(name, problem);
    }
    return value;
  };
  // Reports (and forgets) what the substitutions since the last check found:
  // a file that is read again (watched in development) is judged afresh.
  const check = () => {
    const found = { missing: [...missing].sort(), invalid: new Map(invalid) };
    missing.clear();
    invalid.clear();
    if (found.missing.length > 0 || found.invalid.size > 0) {
      throw new MissingEnvironmentError(found.missing, contract, found.invalid);
    }
  };
  return { substitute, check };
}
