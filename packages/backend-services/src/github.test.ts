import { placeholderContractEnv } from './__testUtils__/contractEnv';
import { Config } from '@backstage/config';
import path from 'node:path';
import { applyGithubAvailability } from './github';
import { loadPortalConfig } from './rootConfig';

const baseConfig = path.resolve(__dirname, '../../../app-config.yaml');
const productionConfig = path.resolve(
  __dirname,
  '../../../app-config.production.yaml',
);
const load = (env: Record<string, string>) =>
  loadPortalConfig({
    argv: ['node', 'backend', '--config', baseConfig],
    env,
    watch: false,
  });
const contractEnv = placeholderContractEnv;
const loadProduction = (env: Record<string, string>) =>
  loadPortalConfig({
    argv: [
      'node',
      'backend',
      '--config',
      baseConfig,
      '--config',
      productionConfig,
    ],
    env: { ...contractEnv, ...env },
    watch: false,
  });

const gh = (config: Config) => config.getConfigArray('integrations.github')[0];

const appEnv = {
  GITHUB_APP_ID: '12345',
  GITHUB_APP_PRIVATE_KEY:
    '-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----',
  GITHUB_APP_CLIENT_ID: 'Iv1.abc',
  GITHUB_APP_CLIENT_SECRET: 'shh',
};

describe('GitHub in the shipped app-config.yaml', () => {
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => log.mockRestore());

  it('is off without an organisation or credentials, and says so', async () => {
    const config = await load({});
    expect(config.getOptional('catalog.providers.github')).toBeUndefined();
    expect(config.getOptional('catalog.providers.githubOrg')).toBeUndefined();
    expect(gh(config).getOptional('apps')).toBeUndefined();
    expect(gh(config).getString('apiBaseUrl')).toBe('https://api.github.com');
    const lines = log.mock.calls.map(c => String(c[0]));
    expect(lines).toContain(
      "GitHub repository discovery 'repositories' is off: no organisation (GITHUB_ORG unset); see docs/github.md",
    );
    expect(lines).toContain(
      "GitHub org data 'github' is off: no organisation (GITHUB_ORG unset); see docs/github.md",
    );
  });

  it('is off with an organisation but no credentials', async () => {
    const config = await load({ GITHUB_ORG: 'acme' });
    expect(config.getOptional('catalog.providers.github')).toBeUndefined();
    expect(log.mock.calls.map(c => String(c[0]))).toContain(
      "GitHub org data 'github' is off: no credentials for github.com (GITHUB_TOKEN, or a GitHub App via GITHUB_APP_*); see docs/github.md",
    );
  });

  it('production without App variables drops the App entry and keeps the token', async () => {
    const config = await loadProduction({
      GITHUB_ORG: 'acme',
      GITHUB_TOKEN: 'ghp_x',
    });
    expect(gh(config).getOptional('apps')).toBeUndefined();
    expect(gh(config).getString('token')).toBe('ghp_x');
    expect(config.getOptional('catalog.providers.githubOrg')).toBeDefined();
  });

  it('is on with an organisation and a token', async () => {
    const config = await load({
      GITHUB_ORG: 'acme',
      GITHUB_TOKEN: 'ghp_x',
      GITHUB_API_URL: 'http://127.0.0.1:9999',
    });
    expect(
      config.getString('catalog.providers.github.repositories.organization'),
    ).toBe('acme');
    expect(config.getStringArray('catalog.providers.githubOrg.orgs')).toEqual([
      'acme',
    ]);
    expect(gh(config).getString('apiBaseUrl')).toBe('http://127.0.0.1:9999');
    expect(gh(config).getOptional('apps')).toBeUndefined();
    expect(log).not.toHaveBeenCalled();
  });

  it('is on with a GitHub App, whose escaped private key gets newlines', async () => {
    const config = await loadProduction({ GITHUB_ORG: 'acme', ...appEnv });
    expect(gh(config).getConfigArray('apps')[0].getNumber('appId')).toBe(12345);
    expect(gh(config).getConfigArray('apps')[0].getString('privateKey')).toBe(
      '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----',
    );
    expect(config.getOptional('catalog.providers.githubOrg')).toBeDefined();
  });

  it('stops on an incomplete GitHub App, naming what is missing', async () => {
    await expect(
      loadProduction({
        GITHUB_ORG: 'acme',
        GITHUB_APP_ID: '12345',
        GITHUB_APP_CLIENT_ID: 'Iv1.abc',
      }),
    ).rejects.toThrow(
      'The GitHub App in integrations.github[0].apps[0] (host github.com) is incomplete: privateKey (GITHUB_APP_PRIVATE_KEY), clientSecret (GITHUB_APP_CLIENT_SECRET) not set.',
    );
  });

  it('refuses a bad organisation name or a short webhook secret', async () => {
    const error = await load({
      GITHUB_ORG: 'acme/repo',
      GITHUB_WEBHOOK_SECRET: 'short',
    }).catch(e => e);
    expect(String(error)).toContain(
      'GITHUB_ORG must be a GitHub organisation login (letters, digits, hyphens)',
    );
    expect(String(error)).toContain(
      'GITHUB_WEBHOOK_SECRET must be at least 16 characters',
    );
  });
});

describe('applyGithubAvailability', () => {
  const integrations = { github: [{ host: 'github.com', token: 't' }] };

  it('leaves usable configuration untouched (same object)', () => {
    const data = {
      integrations,
      catalog: {
        providers: {
          github: { organization: 'acme' },
          githubOrg: [
            { id: 'a', githubUrl: 'https://github.com', orgs: ['acme'] },
          ],
        },
      },
    };
    const result = applyGithubAvailability(data);
    expect(result.off).toEqual([]);
    expect(result.data).toBe(data);
  });

  it('drops only the providers whose host has no credentials', () => {
    const { data, off } = applyGithubAvailability({
      integrations,
      catalog: {
        providers: {
          github: {
            main: { organization: 'acme' },
            ghe: { organization: 'acme', host: 'ghe.acme.com' },
          },
        },
      },
    });
    expect(data.catalog).toEqual({
      providers: { github: { main: { organization: 'acme' } } },
    });
    expect(off).toEqual([
      "GitHub repository discovery 'ghe' is off: no credentials for ghe.acme.com (GITHUB_TOKEN, or a GitHub App via GITHUB_APP_*)",
    ]);
  });

  it('keeps an org provider without orgs (all installations of an App)', () => {
    const { data, off } = applyGithubAvailability({
      integrations,
      catalog: {
        providers: {
          githubOrg: { id: 'all', githubUrl: 'https://github.com' },
        },
      },
    });
    expect(off).toEqual([]);
    expect((data.catalog as any).providers.githubOrg.id).toBe('all');
  });
});
