import {
  createSecretManagerAccessor,
  crc32c,
  EnvironmentSecrets,
  parseSecretReference,
  SecretResolutionError,
} from './secrets';
import type { ContractVariable } from './contract';

// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  SecretManagerFake,
  startSecretManagerFake,
} from '../../../scripts/lib/secret-manager-fake';

const contract: ContractVariable[] = [
  { name: 'OKTA_CLIENT_SECRET', required: true, description: 'okta' },
  { name: 'POSTGRES_PASSWORD', required: true, description: 'db' },
  { name: 'PORTAL_API_TOKEN', required: false, description: 'token' },
];

jest.setTimeout(60_000);

describe('parseSecretReference', () => {
  it('reads project, secret and version (default latest)', () => {
    expect(parseSecretReference('sm://acme-portal/okta-client-secret')).toEqual(
      {
        project: 'acme-portal',
        secret: 'okta-client-secret',
        version: 'latest',
        pinned: false,
        name: 'projects/acme-portal/secrets/okta-client-secret/versions/latest',
      },
    );
    expect(
      parseSecretReference(' sm://123456789012/DB_PASSWORD#7 '),
    ).toMatchObject({
      project: '123456789012',
      secret: 'DB_PASSWORD',
      version: '7',
      pinned: true,
      name: 'projects/123456789012/secrets/DB_PASSWORD/versions/7',
    });
    expect(parseSecretReference('sm://acme-portal/token#prod').pinned).toBe(
      false,
    );
  });

  it.each([
    ['sm://acme-portal', /expected sm:\/\/<project>\/<secret>/],
    ['sm://acme-portal/a/b', /expected sm:\/\/<project>\/<secret>/],
    ['sm://acme-portal/s#1#2', /expected sm:\/\/<project>\/<secret>/],
    ['sm://Acme/s', /'Acme' is not a project id/],
    ['sm://acme-portal/bad.name', /'bad.name' is not a secret id/],
    ['sm://acme-portal/s#0', /'0' is not a version/],
    ['sm://acme-portal/s#', /'' is not a version/],
    ['https://acme-portal/s', /does not start with sm:\/\//],
  ])('refuses %s, saying why', (value, message) => {
    expect(() => parseSecretReference(value)).toThrow(message);
  });
});

describe('crc32c', () => {
  it('is the Castagnoli CRC (RFC 3720 check value)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });
});

describe('EnvironmentSecrets through the real client and a local Secret Manager', () => {
  let fake: SecretManagerFake;
  let env: Record<string, string | undefined>;
  beforeEach(async () => {
    fake = await startSecretManagerFake({
      secrets: {
        'acme-portal/okta': 'okta-secret-v1',
        'acme-portal/db': 'db-password-v1',
      },
    });
    env = { SECRET_MANAGER_EMULATOR_HOST: fake.endpoint };
  });
  afterEach(async () => {
    await fake.close();
  });

  it('replaces references of contract variables by the values, leaving the rest alone', async () => {
    const secrets = await EnvironmentSecrets.resolve({
      env: {
        ...env,
        OKTA_CLIENT_SECRET: 'sm://acme-portal/okta',
        POSTGRES_PASSWORD: 'sm://acme-portal/db#1',
        PORTAL_API_TOKEN: 'plain-token-value-0123',
        NOT_IN_CONTRACT: 'sm://acme-portal/okta',
      },
      contract,
      accessor: createSecretManagerAccessor(env),
    });
    expect(secrets.env).toMatchObject({
      OKTA_CLIENT_SECRET: 'okta-secret-v1',
      POSTGRES_PASSWORD: 'db-password-v1',
      PORTAL_API_TOKEN: 'plain-token-value-0123',
      NOT_IN_CONTRACT: 'sm://acme-portal/okta',
    });
    expect(secrets.variables).toEqual([
      {
        variable: 'OKTA_CLIENT_SECRET',
        reference: 'sm://acme-portal/okta',
        version: '1',
      },
      {
        variable: 'POSTGRES_PASSWORD',
        reference: 'sm://acme-portal/db#1',
        version: '1',
      },
    ]);
    expect(secrets.values().sort()).toEqual([
      'db-password-v1',
      'okta-secret-v1',
    ]);
    expect(fake.calls.map(c => c.name).sort()).toEqual([
      'projects/acme-portal/secrets/db/versions/1',
      'projects/acme-portal/secrets/okta/versions/latest',
    ]);
    await secrets.close();
  });

  it('picks up a rotated secret on refresh; pinned versions are not read again', async () => {
    const secrets = await EnvironmentSecrets.resolve({
      env: {
        ...env,
        OKTA_CLIENT_SECRET: 'sm://acme-portal/okta',
        POSTGRES_PASSWORD: 'sm://acme-portal/db#1',
      },
      contract,
    });
    expect(secrets.refreshable).toBe(true);
    expect(await secrets.refresh()).toMatchObject({ changed: [], failed: [] });

    fake.set('acme-portal/okta', 'okta-secret-v2');
    fake.set('acme-portal/db', 'db-password-v2');
    const rotation = await secrets.refresh();
    expect(rotation).toMatchObject({
      changed: [{ variable: 'OKTA_CLIENT_SECRET', from: '1', to: '2' }],
      failed: [],
    });
    expect(rotation.env.OKTA_CLIENT_SECRET).toBe('okta-secret-v2');
    // Not current until applied (the config read with it was accepted)...
    expect(secrets.env.OKTA_CLIENT_SECRET).toBe('okta-secret-v1');
    expect((await secrets.refresh()).changed).toHaveLength(1);
    rotation.apply();
    expect((await secrets.refresh()).changed).toEqual([]);
    expect(secrets.env.OKTA_CLIENT_SECRET).toBe('okta-secret-v2');
    expect(secrets.env.POSTGRES_PASSWORD).toBe('db-password-v1');
    expect(fake.accessCount('acme-portal/db')).toBe(1);
    // Both versions stay redacted: old log lines may still be written.
    expect(secrets.values()).toEqual(
      expect.arrayContaining(['okta-secret-v1', 'okta-secret-v2']),
    );

    // A refresh that cannot read keeps the last value.
    fake.deny('acme-portal/okta');
    const failed = await secrets.refresh();
    expect(failed.changed).toEqual([]);
    expect(failed.failed).toEqual([
      expect.objectContaining({
        variable: 'OKTA_CLIENT_SECRET',
        reason: expect.stringMatching(/^permission denied/),
      }),
    ]);
    expect(secrets.env.OKTA_CLIENT_SECRET).toBe('okta-secret-v2');
    await secrets.close();
  });

  it('names every variable and reference that cannot be read, and no value', async () => {
    fake.set('acme-portal/denied', 'never-shown');
    fake.deny('acme-portal/denied');
    fake.set('acme-portal/old', 'old-value');
    fake.set('acme-portal/old', 'new-value');
    fake.disable('acme-portal/old', 1);
    const error = await EnvironmentSecrets.resolve({
      env: {
        ...env,
        OKTA_CLIENT_SECRET: 'sm://acme-portal/missing',
        POSTGRES_PASSWORD: 'sm://acme-portal/denied',
        PORTAL_API_TOKEN: 'sm://acme-portal/old#1',
      },
      contract,
    }).catch(e => e);
    expect(error).toBeInstanceOf(SecretResolutionError);
    expect(error.failures.map((f: any) => f.variable)).toEqual([
      'OKTA_CLIENT_SECRET',
      'PORTAL_API_TOKEN',
      'POSTGRES_PASSWORD',
    ]);
    expect(error.message).toContain(
      "OKTA_CLIENT_SECRET (sm://acme-portal/missing): not found: secret 'missing' or its version 'latest' does not exist in project 'acme-portal'",
    );
    expect(error.message).toContain(
      "POSTGRES_PASSWORD (sm://acme-portal/denied): permission denied: the service account needs roles/secretmanager.secretAccessor on secret 'denied' in project 'acme-portal'",
    );
    expect(error.message).toMatch(
      /PORTAL_API_TOKEN \(sm:\/\/acme-portal\/old#1\): version '1' cannot be read \(.*DISABLED state/,
    );
    expect(error.message).not.toMatch(/never-shown|old-value|new-value/);
  });

  it('refuses a malformed reference before asking Secret Manager', async () => {
    const error = await EnvironmentSecrets.resolve({
      env: { ...env, OKTA_CLIENT_SECRET: 'sm://acme-portal' },
      contract,
    }).catch(e => e);
    expect(error.message).toContain(
      "OKTA_CLIENT_SECRET (sm://acme-portal): 'sm://acme-portal' is not a secret reference",
    );
    expect(fake.calls).toEqual([]);
  });

  it('says so when Secret Manager does not answer', async () => {
    const port = fake.port;
    await fake.close();
    const error = await EnvironmentSecrets.resolve({
      env: { ...env, OKTA_CLIENT_SECRET: 'sm://acme-portal/okta' },
      contract,
      accessor: createSecretManagerAccessor(
        { SECRET_MANAGER_EMULATOR_HOST: `127.0.0.1:${port}` },
        { timeoutMs: 1500 },
      ),
    }).catch(e => e);
    expect(error.message).toMatch(
      /OKTA_CLIENT_SECRET \(sm:\/\/acme-portal\/okta\): Secret Manager did not answer/,
    );
    fake = await startSecretManagerFake();
  });
});

// TLS with Application Default Credentials (the path Cloud Run takes) runs in
// the production server: packages/backend/e2e-tests/secrets.test.ts. Under
// Jest, google-auth-library's dynamic import of its fetch cannot load.
