/*
 * Secret Manager references in the deployment contract: a contract variable
 * whose value is `sm://<project>/<secret>` (optionally `#<version>`, default
 * `latest`) is replaced by the secret's value before the configuration is
 * read. The values are never logged; the logger redacts them (see
 * rootConfig.ts and cloudLogging.ts). `refresh` reads unpinned references
 * again, so a rotated secret reaches the live configuration without a
 * restart.
 */
import path from 'node:path';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
// Loaded at start-up anyway (the API-docs provider's client).
import { CRC32C } from '@google-cloud/storage';
import type { ContractVariable } from './contract';

/** A parsed `sm://<project>/<secret>#<version>` reference. */
export interface SecretReference {
  project: string;
  secret: string;
  /** `latest`, an alias, or a version number. */
  version: string;
  /** The version was given explicitly as a number: it never changes. */
  pinned: boolean;
  /** The resource name Secret Manager is asked for. */
  name: string;
}

const SCHEME = 'sm://';
// Project ids (6-30: letter first, lower-case letters, digits, hyphens), also
// the numeric project number; secret ids: letters, digits, - and _, up to 255.
const PROJECT = /^(?:[a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})$/;
const SECRET = /^[A-Za-z0-9_-]{1,255}$/;
const VERSION = /^(?:latest|[1-9]\d{0,18}|[A-Za-z][A-Za-z0-9_-]{0,62})$/;

/** Whether the value is a Secret Manager reference (well-formed or not). */
export function isSecretReference(value: string | undefined): boolean {
  return value?.trim().startsWith(SCHEME) ?? false;
}

/**
 * Parses a reference, or throws an Error whose message says what is wrong
 * with it (the reference holds no secret, so it may be shown).
 */
export function parseSecretReference(value: string): SecretReference {
  const text = value.trim();
  if (!text.startsWith(SCHEME)) {
    throw new Error(`'${text}' does not start with ${SCHEME}`);
  }
  const [location, version = 'latest', ...rest] = text
    .slice(SCHEME.length)
    .split('#');
  const [project, secret, ...more] = location.split('/');
  const expected =
    'expected sm://<project>/<secret> or sm://<project>/<secret>#<version>';
  if (rest.length > 0 || more.length > 0 || !project || !secret) {
    throw new Error(`'${text}' is not a secret reference; ${expected}`);
  }
  if (!PROJECT.test(project)) {
    throw new Error(
      `'${text}': '${project}' is not a project id (lower-case letters, digits and hyphens, 6 to 30, starting with a letter) or project number`,
    );
  }
  if (!SECRET.test(secret)) {
    throw new Error(
      `'${text}': '${secret}' is not a secret id (letters, digits, - and _)`,
    );
  }
  if (!VERSION.test(version)) {
    throw new Error(
      `'${text}': '${version}' is not a version (latest, a version number or an alias)`,
    );
  }
  return {
    project,
    secret,
    version,
    pinned: /^\d+$/.test(version),
    name: `projects/${project}/secrets/${secret}/versions/${version}`,
  };
}

/** The value of one secret version, and which version it was. */
export interface AccessedSecret {
  value: string;
  /** The version number Secret Manager served (for `latest`: the current one). */
  version: string;
}

/** Reads secret versions; the real one is Secret Manager's client. */
export interface SecretAccessor {
  access(name: string): Promise<AccessedSecret>;
  close?(): Promise<void>;
}

/** gRPC status codes the messages below explain. */
const GRPC = {
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAUTHENTICATED: 16,
  UNAVAILABLE: 14,
  DEADLINE_EXCEEDED: 4,
};

/** Why a reference could not be read, in words an operator can act on. */
export function describeAccessFailure(
  error: unknown,
  ref: Pick<SecretReference, 'project' | 'secret' | 'version'>,
): string {
  const code = (error as { code?: unknown })?.code;
  const details = String(
    (error as { details?: unknown })?.details ??
      (error as Error)?.message ??
      error,
  );
  switch (code) {
    case GRPC.NOT_FOUND:
      return `not found: secret '${ref.secret}' or its version '${ref.version}' does not exist in project '${ref.project}'`;
    case GRPC.PERMISSION_DENIED:
      return `permission denied: the service account needs roles/secretmanager.secretAccessor on secret '${ref.secret}' in project '${ref.project}' (${details})`;
    case GRPC.FAILED_PRECONDITION:
      return `version '${ref.version}' cannot be read (${details}); enable it or point at another version`;
    case GRPC.UNAUTHENTICATED:
      return `unauthenticated: no valid Google credentials (${details})`;
    case GRPC.UNAVAILABLE:
    case GRPC.DEADLINE_EXCEEDED:
      return `Secret Manager did not answer (${details})`;
    default:
      return details;
  }
}

/** Castagnoli CRC-32, which Secret Manager reports for each payload. */
export function crc32c(data: Uint8Array): number {
  const crc = new CRC32C();
  crc.update(Buffer.from(data));
  return crc.valueOf() >>> 0;
}

/**
 * Options for Secret Manager's client from the environment. On Cloud Run
 * nothing is needed (Application Default Credentials, the public endpoint).
 * SECRET_MANAGER_EMULATOR_HOST=<host:port> reaches a local server in
 * plaintext without credentials; PORTAL_SECRET_MANAGER_ENDPOINT=<host:port>
 * another endpoint with TLS and credentials.
 */
export function secretManagerClientOptions(
  env: Record<string, string | undefined>,
): ConstructorParameters<typeof SecretManagerServiceClient>[0] {
  const split = (hostPort: string) => {
    const match = /^(.+):(\d+)$/.exec(hostPort.trim());
    if (!match) {
      throw new Error(`'${hostPort}' is not <host>:<port>`);
    }
    return { apiEndpoint: match[1], port: Number(match[2]) };
  };
  if (env.SECRET_MANAGER_EMULATOR_HOST) {
    return {
      ...split(env.SECRET_MANAGER_EMULATOR_HOST),
      sslCreds: clientGrpc().credentials.createInsecure(),
    };
  }
  if (env.PORTAL_SECRET_MANAGER_ENDPOINT) {
    return split(env.PORTAL_SECRET_MANAGER_ENDPOINT);
  }
  return {};
}

/**
 * The gRPC library of the client's own google-gax: channel credentials from
 * another copy would be refused.
 */
function clientGrpc() {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const client = path.dirname(require.resolve('@google-cloud/secret-manager'));
  const gax = require(require.resolve('google-gax', { paths: [client] }));
  /* eslint-enable @typescript-eslint/no-require-imports */
  return gax.grpc as { credentials: { createInsecure(): any } };
}

/** Secret Manager through @google-cloud/secret-manager. */
export function createSecretManagerAccessor(
  env: Record<string, string | undefined> = process.env,
  options: { timeoutMs?: number } = {},
): SecretAccessor {
  let client: SecretManagerServiceClient | undefined;
  const timeout = options.timeoutMs ?? 20_000;
  return {
    async access(name) {
      if (!client) {
        // Loaded on first use: without references, start-up pays nothing
        // for the client and its gRPC stack.
        const { SecretManagerServiceClient: Client } =
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          require('@google-cloud/secret-manager') as typeof import('@google-cloud/secret-manager');
        client = new Client(secretManagerClientOptions(env));
      }
      const [response] = await client.accessSecretVersion(
        { name },
        { timeout },
      );
      const data = response.payload?.data;
      const bytes =
        typeof data === 'string'
          ? Buffer.from(data, 'utf8')
          : Buffer.from(data ?? new Uint8Array());
      const expected = response.payload?.dataCrc32c;
      if (expected !== null && expected !== undefined) {
        if (String(expected) !== String(crc32c(bytes))) {
          throw new Error(
            'the payload arrived damaged (CRC32C mismatch); try again',
          );
        }
      }
      return {
        value: bytes.toString('utf8'),
        version: response.name?.split('/').pop() ?? '',
      };
    },
    async close() {
      await client?.close();
      client = undefined;
    },
  };
}

/** One contract variable whose value comes from Secret Manager. */
interface ResolvedVariable {
  variable: string;
  reference: string;
  ref: SecretReference;
  value: string;
  version: string;
}

/** A variable that could not be resolved, with the reason (never a value). */
export interface SecretFailure {
  variable: string;
  reference: string;
  reason: string;
}

/** Start-up stops with this when a reference cannot be read. */
export class SecretResolutionError extends Error {
  readonly failures: SecretFailure[];
  constructor(failures: SecretFailure[]) {
    const plural = failures.length > 1;
    super(
      `Could not read ${
        plural ? 'secrets' : 'a secret'
      } from Secret Manager for ${failures
        .map(f => f.variable)
        .join(', ')}:\n${failures
        .map(f => `  ${f.variable} (${f.reference}): ${f.reason}`)
        .join(
          '\n',
        )}\nSee docs/operations.md ("Rotating a secret") and docs/configuration.md.`,
    );
    this.name = 'SecretResolutionError';
    this.failures = failures;
  }
}

/** What one refresh found. */
export interface SecretRefresh {
  /** Variables whose value changed, with the versions before and after. */
  changed: Array<{ variable: string; from: string; to: string }>;
  /** Variables that could not be read; they keep their last value. */
  failed: SecretFailure[];
  /** The environment with the changed values. */
  env: Record<string, string | undefined>;
  /** Makes `env` the current environment. */
  apply(): void;
}

/**
 * The environment with the Secret Manager references of contract variables
 * replaced by the secrets' values.
 */
export class EnvironmentSecrets {
  private readonly resolved: ResolvedVariable[];
  private readonly seen = new Set<string>();
  private current: Record<string, string | undefined>;

  private constructor(
    private readonly base: Record<string, string | undefined>,
    resolved: ResolvedVariable[],
    private readonly accessor: SecretAccessor,
  ) {
    this.resolved = resolved;
    this.current = this.build();
  }

  /**
   * Reads every contract variable's reference. Throws a
   * SecretResolutionError naming each variable and reference that could not
   * be read (malformed, missing, denied, unreachable).
   */
  static async resolve(options: {
    env: Record<string, string | undefined>;
    contract: ReadonlyArray<ContractVariable>;
    accessor?: SecretAccessor;
  }): Promise<EnvironmentSecrets> {
    const { env, contract } = options;
    const wanted = contract
      .map(v => v.name)
      .filter(name => isSecretReference(env[name]));
    // The client is made on the first access: none without references.
    const accessor = options.accessor ?? createSecretManagerAccessor(env);
    const failures: SecretFailure[] = [];
    const resolved: ResolvedVariable[] = [];
    await Promise.all(
      wanted.map(async variable => {
        const reference = env[variable]!.trim();
        let ref: SecretReference;
        try {
          ref = parseSecretReference(reference);
        } catch (error) {
          failures.push({
            variable,
            reference,
            reason: (error as Error).message,
          });
          return;
        }
        try {
          const { value, version } = await accessor.access(ref.name);
          resolved.push({ variable, reference, ref, value, version });
        } catch (error) {
          failures.push({
            variable,
            reference,
            reason: describeAccessFailure(error, ref),
          });
        }
      }),
    );
    if (failures.length > 0) {
      await accessor.close?.();
      throw new SecretResolutionError(
        failures.sort((a, b) => a.variable.localeCompare(b.variable)),
      );
    }
    resolved.sort((a, b) => a.variable.localeCompare(b.variable));
    return new EnvironmentSecrets(env, resolved, accessor);
  }

  /** The environment to read the configuration with. */
  get env(): Record<string, string | undefined> {
    return this.current;
  }

  /** Variables that came from Secret Manager, with reference and version. */
  get variables(): Array<{
    variable: string;
    reference: string;
    version: string;
  }> {
    return this.resolved.map(({ variable, reference, version }) => ({
      variable,
      reference,
      version,
    }));
  }

  /** Whether any reference can change (not pinned to a version number). */
  get refreshable(): boolean {
    return this.resolved.some(r => !r.ref.pinned);
  }

  /** Every value read so far (current and earlier versions), for redaction. */
  values(): string[] {
    return [...this.seen];
  }

  /**
   * Reads the unpinned references again and says what changed, without
   * changing `env`: `env` of the result is the environment with the new
   * values, and `apply()` makes it current, once the configuration read with
   * it was accepted. Until then every later refresh reports the change
   * again. A reference that cannot be read keeps its last value. Every value
   * read is redacted from then on, applied or not.
   */
  async refresh(): Promise<SecretRefresh> {
    const changed: SecretRefresh['changed'] = [];
    const failed: SecretFailure[] = [];
    const next = new Map<ResolvedVariable, AccessedSecret>();
    await Promise.all(
      this.resolved
        .filter(r => !r.ref.pinned)
        .map(async r => {
          try {
            const read = await this.accessor.access(r.ref.name);
            if (read.value) this.seen.add(read.value);
            if (read.value !== r.value) {
              changed.push({
                variable: r.variable,
                from: r.version,
                to: read.version,
              });
              next.set(r, read);
            }
          } catch (error) {
            failed.push({
              variable: r.variable,
              reference: r.reference,
              reason: describeAccessFailure(error, r.ref),
            });
          }
        }),
    );
    changed.sort((a, b) => a.variable.localeCompare(b.variable));
    failed.sort((a, b) => a.variable.localeCompare(b.variable));
    const env = { ...this.current };
    for (const [r, read] of next) env[r.variable] = read.value;
    return {
      changed,
      failed,
      env,
      apply: () => {
        for (const [r, read] of next) {
          r.value = read.value;
          r.version = read.version;
        }
        this.current = this.build();
      },
    };
  }

  async close(): Promise<void> {
    await this.accessor.close?.();
  }

  private build() {
    const env = { ...this.base };
    for (const r of this.resolved) {
      env[r.variable] = r.value;
      if (r.value) this.seen.add(r.value);
    }
    return env;
  }
}

const SECRETS = Symbol.for('portal.config.secrets');

/** Lets `secretValuesOf(config)` find the secrets a config was read with. */
export function attachSecrets(config: object, secrets: EnvironmentSecrets) {
  Object.defineProperty(config, SECRETS, { value: secrets });
}

/**
 * Values that came from Secret Manager (current and earlier versions), for
 * the logger to redact; empty for a config not loaded by loadPortalConfig.
 */
export function secretValuesOf(config: object): string[] {
  const secrets = (config as { [SECRETS]?: EnvironmentSecrets })[SECRETS];
  return secrets?.values() ?? [];
}
