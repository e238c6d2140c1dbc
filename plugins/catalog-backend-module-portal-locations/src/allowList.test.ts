import { ConfigReader } from '@backstage/config';
import {
  checkLocationTarget,
  parseAllowedUrlPrefix,
  readAllowedUrlPrefixes,
} from './allowList';

const acme = [parseAllowedUrlPrefix('https://github.com/acme')];

describe('checkLocationTarget', () => {
  it.each([
    'https://github.com/acme/payments/blob/main/catalog-info.yaml',
    'https://github.com/acme/payments',
    'https://github.com/Acme/payments/blob/main/catalog-info.yaml',
    'https://GITHUB.com/acme/x/blob/main/a.yaml',
    'https://github.com:443/acme/x/blob/main/a.yaml',
    'https://github.com/acme/x/./blob/main/a.yaml',
  ])('accepts %s', target => {
    expect(checkLocationTarget('url', target, acme)).toEqual({ ok: true });
  });

  it.each([
    ['a path leaving the organisation', 'https://github.com/acme/../evil/x'],
    ['an encoded path leaving it', 'https://github.com/acme/%2e%2e/evil/x'],
    ['an encoded slash', 'https://github.com/acme%2F..%2Fevil/x'],
    ['a backslash', 'https://github.com/acme\\..\\evil/x'],
    ['another organisation', 'https://github.com/evil/x/blob/main/a.yaml'],
    ['an organisation name extending ours', 'https://github.com/acme-evil/x'],
    ['the organisation itself', 'https://github.com/acme/'],
    ['a look-alike host', 'https://github.com.evil.example/acme/x'],
    ['a user name', 'https://user@github.com/acme/x'],
    ['a password', 'https://user:pw@github.com/acme/x'],
    ['user info hiding the host', 'https://github.com@evil.example/acme/x'],
    ['another port', 'https://github.com:8443/acme/x'],
    ['plain http', 'http://github.com/acme/x'],
    ['the metadata server', 'http://169.254.169.254/computeMetadata/v1/'],
    ['a file URL', 'file:///etc/passwd'],
    ['a relative path', '/etc/passwd'],
    ['whitespace', ' https://github.com/acme/x'],
    ['not a string', 42],
    ['nothing', ''],
  ])('refuses %s', (_, target) => {
    const result = checkLocationTarget('url', target, acme);
    expect(result.ok).toBe(false);
  });

  it('says what is allowed, nothing about what exists', () => {
    expect(
      checkLocationTarget('url', 'https://github.com/evil/x', acme),
    ).toEqual({
      ok: false,
      reason: 'only URLs under https://github.com/acme/ may be registered',
    });
  });

  it.each(['file', 'github', 'URL', undefined])('refuses type %s', type => {
    const result = checkLocationTarget(
      type,
      'https://github.com/acme/x/blob/main/a.yaml',
      acme,
    );
    expect(result).toEqual({
      ok: false,
      reason: expect.stringContaining("only locations of type 'url'"),
    });
  });

  it('refuses everything with an empty list', () => {
    expect(checkLocationTarget('url', 'https://github.com/acme/x', [])).toEqual(
      { ok: false, reason: expect.stringContaining('off') },
    );
  });
});

describe('parseAllowedUrlPrefix', () => {
  it('adds the trailing slash and keeps a non-default port', () => {
    expect(parseAllowedUrlPrefix('http://127.0.0.1:8080/acme')).toEqual({
      text: 'http://127.0.0.1:8080/acme/',
      protocol: 'http:',
      host: '127.0.0.1:8080',
      path: '/acme/',
    });
  });

  it.each([
    'github.com/acme',
    'ftp://github.com/acme/',
    'https://u:p@github.com/acme/',
    'https://github.com/acme/?x=1',
  ])('refuses %s', text => {
    expect(() => parseAllowedUrlPrefix(text)).toThrow(
      'portal.catalog.locations.allowedUrls',
    );
  });
});

describe('readAllowedUrlPrefixes', () => {
  const texts = (data: object) =>
    readAllowedUrlPrefixes(new ConfigReader(data)).prefixes.map(p => p.text);

  it('takes portal.catalog.locations.allowedUrls when set', () => {
    expect(
      texts({
        portal: {
          catalog: {
            locations: { allowedUrls: ['https://ghe.acme.example/platform'] },
          },
        },
        catalog: {
          providers: { github: { repositories: { organization: 'acme' } } },
        },
      }),
    ).toEqual(['https://ghe.acme.example/platform/']);
  });

  it('an empty list allows nothing', () => {
    expect(
      texts({ portal: { catalog: { locations: { allowedUrls: [] } } } }),
    ).toEqual([]);
  });

  it("defaults to the GitHub providers' organisations (app-config.yaml's shape)", () => {
    expect(
      texts({
        catalog: {
          providers: {
            githubOrg: {
              id: 'github',
              githubUrl: 'https://github.com',
              orgs: ['acme'],
            },
            github: {
              repositories: { organization: 'acme', catalogPath: '/x' },
              enterprise: { organization: 'tools', host: 'ghe.acme.example' },
            },
          },
        },
      }),
    ).toEqual(['https://github.com/acme/', 'https://ghe.acme.example/tools/']);
  });

  it('reads a single discovery provider and a list of org providers', () => {
    expect(
      texts({
        catalog: {
          providers: {
            github: { organization: 'acme' },
            githubOrg: [
              { id: 'a', githubUrl: 'https://github.com/', orgs: ['b'] },
            ],
          },
        },
      }),
    ).toEqual(['https://github.com/acme/', 'https://github.com/b/']);
  });

  it('without an organisation: any repository on the GitHub integration hosts', () => {
    expect(texts({})).toEqual(['https://github.com/']);
    expect(
      texts({
        integrations: { github: [{ host: 'ghe.acme.example' }] },
        catalog: { providers: { github: { repositories: {} } } },
      }),
    ).toEqual(['https://ghe.acme.example/']);
  });
});
