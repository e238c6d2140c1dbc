import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPortalConfig } from './rootConfig';

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
});
