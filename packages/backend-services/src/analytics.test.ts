import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import { readHelmetOptions } from '@backstage/backend-defaults/rootHttpRouter';
import { applyAnalyticsCsp, ga4MeasurementId } from './analytics';
import { loadPortalConfig } from './rootConfig';

const withId = (csp?: object) => ({
  app: { analytics: { ga4: { measurementId: 'G-TEST123' } } },
  backend: { baseUrl: 'http://localhost:7007', ...(csp ? { csp } : {}) },
});

describe('applyAnalyticsCsp', () => {
  it('leaves the data alone without a measurement id', () => {
    for (const data of [
      { backend: { csp: { 'connect-src': ["'self'"] } } },
      { app: { analytics: { ga4: {} } } },
      { app: { analytics: { ga4: { measurementId: ' ' } } } },
    ]) {
      const result = applyAnalyticsCsp(data);
      expect(result.ga4).toBe(false);
      expect(result.data).toBe(data);
    }
  });

  it("adds Google's hosts to Backstage's defaults", () => {
    const { data, ga4 } = applyAnalyticsCsp(withId());
    expect(ga4).toBe(true);
    expect((data.backend as any).csp).toEqual({
      'script-src': [
        "'self'",
        "'unsafe-eval'",
        'https://*.googletagmanager.com',
      ],
      'connect-src': [
        "'self'",
        'https://*.google-analytics.com',
        'https://*.analytics.google.com',
        'https://*.googletagmanager.com',
      ],
      'img-src': [
        "'self'",
        'data:',
        'https://*.google-analytics.com',
        'https://*.googletagmanager.com',
      ],
    });
    expect((data.backend as any).baseUrl).toBe('http://localhost:7007');
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
      'connect-src': [
        "'self'",
        'https:',
        'https://*.google-analytics.com',
        'https://*.analytics.google.com',
        'https://*.googletagmanager.com',
      ],
      'img-src': false,
      'frame-src': ['https://example.com'],
      'script-src': [
        "'self'",
        "'unsafe-eval'",
        'https://*.googletagmanager.com',
      ],
    });
  });

  it('gives the header Backstage sends the hosts, and only when on', () => {
    const header = (data: object) => {
      const { directives } = readHelmetOptions(
        new ConfigReader(data as any).getConfig('backend'),
      ).contentSecurityPolicy as any;
      return directives as Record<string, string[]>;
    };
    const off = header({ backend: { csp: { 'connect-src': ["'self'"] } } });
    expect(JSON.stringify(off)).not.toMatch(/google/);
    const on = header(applyAnalyticsCsp(withId()).data);
    expect(on['script-src']).toContain('https://*.googletagmanager.com');
    expect(on['connect-src']).toContain('https://*.google-analytics.com');
    expect(on['img-src']).toContain('https://*.google-analytics.com');
    // Everything else is Backstage's as before.
    expect(on['script-src']).toContain("'self'");
    expect(on['default-src']).toEqual(off['default-src']);
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
      'connect-src': ["'self'", 'https:'],
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
    expect(config.getStringArray('backend.csp.script-src')).toContain(
      'https://*.googletagmanager.com',
    );
    expect(config.getStringArray('backend.csp.connect-src')).toEqual([
      "'self'",
      'https:',
      'https://*.google-analytics.com',
      'https://*.analytics.google.com',
      'https://*.googletagmanager.com',
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
