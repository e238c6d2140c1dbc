import { placeholderContractEnv } from './__testUtils__/contractEnv';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config, ConfigReader } from '@backstage/config';
import { readHelmetOptions } from '@backstage/backend-defaults/rootHttpRouter';
import { applyAnalyticsCsp, ga4MeasurementId } from './analytics';
import { loadPortalConfig } from './rootConfig';

const withId = (csp?: object) => ({
  app: { analytics: { ga4: { measurementId: 'G-TEST123' } } },
  backend: { baseUrl: 'http://localhost:7007', ...(csp ? { csp } : {}) },
});

const GTAG = 'https://www.googletagmanager.com';
const GA4_HOSTS = [
  'https://www.google-analytics.com',
  'https://region1.google-analytics.com',
];

describe('applyAnalyticsCsp', () => {
  it('without a measurement id: nothing from Google; connect-src gets the WebSocket origin', () => {
    for (const data of [
      { backend: { csp: { 'connect-src': ["'self'"] } } },
      { app: { analytics: { ga4: {} } } },
      { app: { analytics: { ga4: { measurementId: ' ' } } } },
    ]) {
      const result = applyAnalyticsCsp(data);
      expect(result.ga4).toBe(false);
      expect(JSON.stringify(result.data)).not.toMatch(/google/);
    }
    const { data } = applyAnalyticsCsp({
      backend: {
        baseUrl: 'https://portal.example.com',
        csp: { 'connect-src': ["'self'"] },
      },
    });
    expect((data.backend as any).csp).toEqual({
      'connect-src': ["'self'", 'wss://portal.example.com'],
    });
  });

  it("adds GA4's exact hosts to Backstage's defaults", () => {
    const { data, ga4 } = applyAnalyticsCsp(withId());
    expect(ga4).toBe(true);
    expect((data.backend as any).csp).toEqual({
      'script-src': ["'self'", "'unsafe-eval'", GTAG],
      'connect-src': ["'self'", 'ws://localhost:7007', ...GA4_HOSTS],
    });
    expect((data.backend as any).baseUrl).toBe('http://localhost:7007');
    // No wildcard host anywhere.
    expect(JSON.stringify(data)).not.toMatch(/\*/);
  });

  it('extends configured directives (either spelling), keeps others and turned-off ones', () => {
    const { data } = applyAnalyticsCsp(
      withId({
        connectSrc: ["'self'", 'https:'],
        'img-src': false,
        'frame-src': ['https://example.com'],
      }),
    );
    expect((data.backend as any).csp).toEqual({
      'connect-src': ["'self'", 'https:', 'ws://localhost:7007', ...GA4_HOSTS],
      'img-src': false,
      'frame-src': ['https://example.com'],
      'script-src': ["'self'", "'unsafe-eval'", GTAG],
    });
    const off = applyAnalyticsCsp(withId({ 'connect-src': false })).data;
    expect((off.backend as any).csp['connect-src']).toBe(false);
  });

  it('adds portal.csp.connectSrc, once each, and refuses anything but a list of strings', () => {
    const { data } = applyAnalyticsCsp({
      backend: {
        baseUrl: 'https://portal.example.com',
        csp: { 'connect-src': ["'self'"] },
      },
      portal: {
        csp: {
          connectSrc: [
            'https://api.example.com',
            "'self'",
            'https://api.example.com',
          ],
        },
      },
    });
    expect((data.backend as any).csp['connect-src']).toEqual([
      "'self'",
      'https://api.example.com',
      'wss://portal.example.com',
    ]);
    expect(() =>
      applyAnalyticsCsp({ portal: { csp: { connectSrc: 'https://x' } } }),
    ).toThrow(/portal.csp.connectSrc must be a list/);
  });

  it('gives the header Backstage sends the hosts, and only when on', () => {
    const header = (data: object) => {
      const { directives } = readHelmetOptions(
        new ConfigReader(data as any).getConfig('backend'),
      ).contentSecurityPolicy as any;
      return directives as Record<string, string[]>;
    };
    const off = header(
      applyAnalyticsCsp({ backend: { csp: { 'connect-src': ["'self'"] } } })
        .data,
    );
    expect(JSON.stringify(off)).not.toMatch(/google/);
    const on = header(applyAnalyticsCsp(withId()).data);
    expect(on['script-src']).toEqual(["'self'", "'unsafe-eval'", GTAG]);
    expect(on['connect-src']).toEqual(
      expect.arrayContaining(["'self'", ...GA4_HOSTS]),
    );
    // img-src stays Backstage's: GA4 sends its hits with fetch/sendBeacon.
    expect(on['img-src']).toEqual(off['img-src']);
    expect(on['default-src']).toEqual(off['default-src']);
  });
});

describe('the CSP of the shipped config files', () => {
  const root = path.resolve(__dirname, '../../..');
  const files = (...names: string[]) => [
    'node',
    'backend',
    ...names.flatMap(n => ['--config', path.join(root, n)]),
  ];
  const productionEnv = placeholderContractEnv;
  const directives = (config: Config) =>
    (
      readHelmetOptions(config.getConfig('backend'))
        .contentSecurityPolicy as any
    ).directives as Record<string, string[]>;
  let log: jest.SpyInstance;
  beforeEach(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => log.mockRestore());

  it("production does not inherit local development's connect-src", async () => {
    const local = await loadPortalConfig({
      argv: files('app-config.yaml'),
      env: {},
      watch: false,
    });
    expect(directives(local)['connect-src']).toEqual(
      expect.arrayContaining(['http:', 'https:']),
    );
    const production = await loadPortalConfig({
      argv: files('app-config.yaml', 'app-config.production.yaml'),
      env: productionEnv,
      watch: false,
    });
    expect(directives(production)['connect-src']).toEqual([
      "'self'",
      'wss://portal.example.com',
    ]);
    const withGa = await loadPortalConfig({
      argv: files('app-config.yaml', 'app-config.production.yaml'),
      env: { ...productionEnv, GA4_MEASUREMENT_ID: 'G-TEST123' },
      watch: false,
    });
    expect(directives(withGa)['connect-src']).toEqual([
      "'self'",
      'wss://portal.example.com',
      ...GA4_HOSTS,
    ]);
    expect(directives(withGa)['script-src']).toEqual([
      "'self'",
      "'unsafe-eval'",
      GTAG,
    ]);
  });
});

describe('GA4_MEASUREMENT_ID through loadPortalConfig', () => {
  let dir: string;
  let argv: string[];
  const env = {
    APP_BASE_URL: 'https://portal.example.com',
    POSTGRES_HOST: 'db',
    POSTGRES_PASSWORD: 'pw',
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-analytics-'));
    fs.writeFileSync(
      path.join(dir, 'app-config.yaml'),
      [
        'app:',
        '  baseUrl: ${APP_BASE_URL}',
        '  analytics:',
        '    ga4:',
        '      measurementId: ${GA4_MEASUREMENT_ID}',
        'backend:',
        '  baseUrl: ${APP_BASE_URL}',
        '  csp:',
        `    connect-src: ["'self'", 'https:']`,
        '',
      ].join('\n'),
    );
    argv = ['node', 'backend', '--config', path.join(dir, 'app-config.yaml')];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('unset: no measurement id and a CSP without Google', async () => {
    const config = await loadPortalConfig({ argv, env, watch: false });
    expect(
      config.getOptionalString('app.analytics.ga4.measurementId'),
    ).toBeUndefined();
    expect(ga4MeasurementId(config.get())).toBeUndefined();
    expect(config.get('backend.csp')).toEqual({
      'connect-src': ["'self'", 'https:', 'wss://portal.example.com'],
    });
  });

  it('set: the measurement id for the frontend and a CSP that allows GA', async () => {
    const config = await loadPortalConfig({
      argv,
      env: { ...env, GA4_MEASUREMENT_ID: 'G-TEST123' },
      watch: false,
    });
    expect(config.getString('app.analytics.ga4.measurementId')).toBe(
      'G-TEST123',
    );
    expect(config.getStringArray('backend.csp.script-src')).toContain(GTAG);
    expect(config.getStringArray('backend.csp.connect-src')).toEqual([
      "'self'",
      'https:',
      'wss://portal.example.com',
      ...GA4_HOSTS,
    ]);
  });

  it('a value that is not a GA4 measurement id stops start-up', async () => {
    await expect(
      loadPortalConfig({
        argv,
        env: { ...env, GA4_MEASUREMENT_ID: 'UA-12345-1' },
        watch: false,
      }),
    ).rejects.toThrow(/GA4_MEASUREMENT_ID must be a GA4 measurement id/);
  });
});
