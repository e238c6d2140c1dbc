import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPortalConfig } from './rootConfig';
import { redactionsOf } from './cloudLogging';
import { SecretResolutionError, secretValuesOf } from './secrets';

// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  SecretManagerFake,
  startSecretManagerFake,
} from '../../../scripts/lib/secret-manager-fake';

jest.setTimeout(60_000);

describe('loadPortalConfig', () => {
  let dir: string;
  let files: string[];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-config-'));
    fs.writeFileSync(
      path.join(dir, 'base.yaml'),
      'app:\n  baseUrl: http://localhost:3000\nbackend:\n  baseUrl: http://localhost:7007\n',
    );
    fs.writeFileSync(
      path.join(dir, 'prod.yaml'),
      [
        'app:',
        '  baseUrl: ${APP_BASE_URL}',
        'backend:',
        '  listen:',
        '    port: ${PORT:-7007}',
        '  database:',
        '    connection:',
        '      host: ${POSTGRES_HOST}',
        '      password: ${POSTGRES_PASSWORD}',
        '',
      ].join('\n'),
    );
    files = [
      '--config',
      path.join(dir, 'base.yaml'),
      '--config',
      path.join(dir, 'prod.yaml'),
    ];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('layers files left to right and applies fallbacks', async () => {
    const config = await loadPortalConfig({
      argv: ['node', 'backend', ...files],
      env: {
        APP_BASE_URL: 'https://portal.example.com',
        POSTGRES_HOST: 'db',
        POSTGRES_PASSWORD: 'pw',
      },
      watch: false,
    });
    expect(config.getString('app.baseUrl')).toBe('https://portal.example.com');
    expect(config.getString('backend.baseUrl')).toBe('http://localhost:7007');
    expect(config.getNumber('backend.listen.port')).toBe(7007);
  });

  it('stops with a message naming the missing variables', async () => {
    await expect(
      loadPortalConfig({
        argv: ['node', 'backend', ...files],
        env: { POSTGRES_HOST: 'db' },
        watch: false,
      }),
    ).rejects.toThrow(
      /Missing required environment variables APP_BASE_URL, POSTGRES_PASSWORD/,
    );
  });

  it('drops the static API token entry when PORTAL_API_TOKEN is unset', async () => {
    const tokenFile = path.join(dir, 'token.yaml');
    fs.writeFileSync(
      tokenFile,
      [
        'backend:',
        '  auth:',
        '    externalAccess:',
        '      - type: static',
        '        options:',
        '          token: ${PORTAL_API_TOKEN}',
        '          subject: portal-api-token',
        '',
      ].join('\n'),
    );
    const argv = ['node', 'backend', '--config', tokenFile];
    const without = await loadPortalConfig({ argv, env: {}, watch: false });
    expect(without.getConfigArray('backend.auth.externalAccess')).toEqual([]);

    const withToken = await loadPortalConfig({
      argv,
      env: { PORTAL_API_TOKEN: 'pipeline-token-0123456789' },
      watch: false,
    });
    const [entry] = withToken.getConfigArray('backend.auth.externalAccess');
    expect(entry.getString('options.token')).toBe('pipeline-token-0123456789');
    (withToken as any).close?.();
  });

  describe('with Secret Manager references', () => {
    let fake: SecretManagerFake;
    let argv: string[];
    const session = (n: number) =>
      `session-secret-v${n}-0123456789abcdefghijklmnop`;
    beforeEach(async () => {
      fake = await startSecretManagerFake({
        secrets: { 'acme-portal/session': session(1) },
      });
      const file = path.join(dir, 'secrets.yaml');
      fs.writeFileSync(
        file,
        [
          'auth:',
          '  session:',
          '    secret: ${AUTH_SESSION_SECRET}',
          'portal:',
          '  secrets:',
          '    refreshInterval: { milliseconds: 100 }',
          '',
        ].join('\n'),
      );
      argv = ['node', 'backend', ...files, '--config', file];
    });
    afterEach(async () => {
      await fake.close();
    });
    const env = () => ({
      SECRET_MANAGER_EMULATOR_HOST: fake.endpoint,
      APP_BASE_URL: 'https://portal.example.com',
      POSTGRES_HOST: 'db',
      POSTGRES_PASSWORD: 'pw',
      AUTH_SESSION_SECRET: 'sm://acme-portal/session',
    });
    /** Resolves on the config's next change; fails after 10 s. */
    const nextChange = (config: any) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no configuration change within 10 s')),
          10_000,
        );
        const sub = config.subscribe(() => {
          clearTimeout(timer);
          sub.unsubscribe();
          resolve();
        });
      });
    /** Waits for `probe` to hold; fails after 10 s. */
    const eventually = async (what: string, probe: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!probe()) {
        if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
        await new Promise(r => setTimeout(r, 25));
      }
    };

    it('substitutes the value, follows a rotation live and redacts every version', async () => {
      const config = await loadPortalConfig({ argv, env: env(), watch: false });
      try {
        expect(config.getString('auth.session.secret')).toBe(session(1));
        expect(config.getString('app.baseUrl')).toBe(
          'https://portal.example.com',
        );

        const changed = nextChange(config);
        fake.set('acme-portal/session', session(2));
        await changed;
        expect(config.getString('auth.session.secret')).toBe(session(2));
        expect(secretValuesOf(config)).toEqual([session(1), session(2)]);
        expect(redactionsOf(config, () => [])).toEqual(
          expect.arrayContaining([session(1), session(2)]),
        );
      } finally {
        (config as any).close();
      }
      // Closed: no more reads.
      const reads = fake.accessCount('acme-portal/session');
      await new Promise(r => setTimeout(r, 400));
      expect(fake.accessCount('acme-portal/session')).toBe(reads);
    });

    it('keeps the last good configuration while a rotated value breaks the contract, and tries again', async () => {
      const config = await loadPortalConfig({ argv, env: env(), watch: false });
      const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
      const refusals = () =>
        errors.mock.calls
          .map(c => String(c[0]))
          .filter(line => line.includes('not applied'));
      try {
        fake.set('acme-portal/session', 'too-short');
        // Refused at each refresh (every 100 ms) until it is fixed.
        await eventually('two refusals', () => refusals().length >= 2);
        expect(refusals()[0]).toContain(
          'Rotated secrets AUTH_SESSION_SECRET not applied (the last good configuration stays',
        );
        expect(errors.mock.calls.join('\n')).not.toContain('too-short');
        expect(config.getString('auth.session.secret')).toBe(session(1));
        // The refused value is redacted all the same.
        expect(secretValuesOf(config)).toContain('too-short');

        const changed = nextChange(config);
        fake.set('acme-portal/session', session(3));
        await changed;
        expect(config.getString('auth.session.secret')).toBe(session(3));
      } finally {
        errors.mockRestore();
        (config as any).close();
      }
    });

    it('takes the refresh interval as a duration or in milliseconds, and 0 turns it off', async () => {
      for (const [interval, reads] of [
        ["'100ms'", (n: number) => n > 1],
        ['100', (n: number) => n > 1],
        ['0', (n: number) => n === 1],
        ['false', (n: number) => n === 1],
      ] as const) {
        const file = path.join(dir, 'interval.yaml');
        fs.writeFileSync(
          file,
          `portal:\n  secrets:\n    refreshInterval: ${interval}\n`,
        );
        const config = await loadPortalConfig({
          argv: [...argv, '--config', file],
          env: env(),
          watch: false,
        });
        const before = fake.accessCount('acme-portal/session');
        await new Promise(r => setTimeout(r, 500));
        (config as any).close();
        const count = fake.accessCount('acme-portal/session') - before + 1;
        expect({ interval, ok: reads(count) }).toEqual({ interval, ok: true });
      }
    });

    it('stops start-up naming the variable and the secret it cannot read', async () => {
      fake.deny('acme-portal/session');
      const error = await loadPortalConfig({
        argv,
        env: env(),
        watch: false,
      }).catch(e => e);
      expect(error).toBeInstanceOf(SecretResolutionError);
      expect(error.message).toContain(
        'AUTH_SESSION_SECRET (sm://acme-portal/session): permission denied',
      );
      expect(error.message).not.toContain(session(1));
    });
  });
});
